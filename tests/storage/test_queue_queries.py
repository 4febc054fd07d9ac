"""The queue's order, paging and filters, and the indexes that serve them."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, text

from storage import queue_queries as q
from storage.engine import Database
from storage.models import Ticket
from storage.uow import read_session, unit_of_work
from tests.factories import NOW, add_agents, add_customer, add_ticket
from workspace.queue import QueueFilter
from workspace.vocabulary import Channel, ContactStatus

CHANNELS = ["chat", "email", "call", "social", "sms"]
#: Priorities, most urgent first: the queue's order within one SLA due time.
PRIORITIES = ["urgent", "high", "normal", "low"]


@dataclass(frozen=True)
class Made:
    """A contact as `_fill` made it: what the queue must find, worked out without it."""

    id: str
    channel: str
    priority: str
    due_in: int
    opened_ago: int
    status: str
    held: bool


def _fill(db: Database, n: int = 60) -> tuple[list[Made], int]:
    """`n` contacts with ties on purpose (priority, then wait, then id decide), and the id
    of the agent holding every seventh."""
    rnd = random.Random(3)
    add_customer(db)
    (agent,) = add_agents(db, "sam")
    made = []
    for i in range(n):
        ticket = Made(
            id=f"T-{i:03d}",
            channel=rnd.choice(CHANNELS),
            priority=rnd.choice(PRIORITIES),
            due_in=rnd.randint(-30, 30),
            opened_ago=rnd.randint(1, 3),
            status="escalated"
            if i % 14 == 7
            else rnd.choice(["open", "open", "pending", "resolved"]),
            held=i % 7 == 0,
        )
        add_ticket(
            db,
            ticket.id,
            channel=ticket.channel,
            priority=ticket.priority,
            due_in=ticket.due_in,
            opened_ago=ticket.opened_ago,
            status=ticket.status,
            holder=agent.id if ticket.held else None,
        )
        made.append(ticket)
    return made, agent.id


def _expected(made: list[Made], flt: QueueFilter, holder: int) -> list[str]:
    """The ids the filter shows, in queue order: the soonest SLA breach first (the latest
    opening, a larger `opened_ago`, waits longest), computed here from what was made. The
    active view is the open contacts; with "mine", every contact the agent works. Resolved
    contacts come newest closed first; these have no resolution time, so they count as
    closed when they opened (the smallest `opened_ago` first, then the larger id)."""
    worked = ("open",) if flt.agent_id is None else ("open", "escalated")
    shown = [
        t
        for t in made
        if (t.status in worked if flt.status is None else t.status == flt.status)
        and flt.channel in (None, t.channel)
        and (flt.agent_id is None or (t.held and flt.agent_id == holder))
    ]
    if flt.status == "resolved":
        shown.sort(key=lambda t: t.id, reverse=True)
        shown.sort(key=lambda t: t.opened_ago)
    else:
        shown.sort(key=lambda t: (t.due_in, PRIORITIES.index(t.priority), -t.opened_ago, t.id))
    return [t.id for t in shown]


@pytest.mark.parametrize(
    "flt",
    [
        QueueFilter(),
        QueueFilter(channel="chat"),
        QueueFilter(status="pending"),
        QueueFilter(status="escalated"),
        QueueFilter(agent_id=1),
        QueueFilter(status="resolved", channel="email"),
    ],
)
def test_keyset_pages_walk_the_whole_queue_in_order(db: Database, flt: QueueFilter) -> None:
    made, holder = _fill(db)
    expected = _expected(made, flt, holder)
    assert len(expected) >= 3  # each filter shows enough rows to page through
    seen: list[str] = []
    with read_session(db) as s:
        assert q.count_queue(s, flt) == len(expected)
        page = q.page_after(s, flt, None, 7)
        while page:
            seen += [r.id for r in page]
            page = q.page_after(s, flt, page[-1], 7)
        assert seen == expected
        if len(expected) > 10:
            last = q.page_at(s, flt, 10, 1)[0]
            back = q.page_before(s, flt, last, 4)
            assert [r.id for r in back] == expected[6:10]
            assert q.position_of(s, flt, last) == 10


def test_queue_order_is_sla_then_priority_then_wait(sqlite_db: Database) -> None:
    add_customer(sqlite_db)
    add_ticket(sqlite_db, "late-low", priority="low", due_in=-5)
    add_ticket(sqlite_db, "soon-low", priority="low", due_in=5, opened_ago=1)
    add_ticket(sqlite_db, "soon-urgent", priority="urgent", due_in=5, opened_ago=1)
    add_ticket(sqlite_db, "soon-low-older", priority="low", due_in=5, opened_ago=9)
    with read_session(sqlite_db) as s:
        ids = [r.id for r in q.page_after(s, QueueFilter(), None, 10)]
    assert ids == ["late-low", "soon-urgent", "soon-low-older", "soon-low"]


@dataclass(frozen=True)
class Closed:
    """A contact made for the resolved view, and when it counts as closed."""

    id: str
    channel: str
    held: bool
    closed_at: datetime
    """Its resolution time, or (stored without one, as some imports) when it opened."""


def _fill_closed(db: Database, n: int = 40) -> tuple[list[Closed], int]:
    """`n` resolved contacts closed over the last hours, many at the same minute (the id
    decides), every fifth without a resolution time; and contacts in every other status,
    opened after all of them, that the resolved view must not show."""
    rnd = random.Random(11)
    add_customer(db)
    (agent,) = add_agents(db, "sam")
    made = []
    with unit_of_work(db) as s:
        for i in range(n):
            opened = NOW - timedelta(hours=10, minutes=rnd.randint(0, 90))
            resolved = NOW - timedelta(minutes=rnd.randint(0, 12) * 30) if i % 5 else None
            held = i % 3 == 0
            made.append(
                Closed(f"R-{i:03d}", rnd.choice(["chat", "email"]), held, resolved or opened)
            )
            s.add(
                Ticket(
                    id=made[-1].id,
                    customer_id="C-1",
                    channel=made[-1].channel,
                    subject="Closed",
                    status="resolved",
                    active=False,
                    priority="normal",
                    priority_rank=2,
                    opened_at=opened,
                    sla_due_at=opened + timedelta(hours=1),
                    assigned_agent_id=agent.id if held else None,
                    claimed_at=opened if held else None,
                    resolved_at=resolved,
                )
            )
    for i, status in enumerate(["open", "pending", "escalated"] * 2):
        add_ticket(db, f"W-{i}", status=status, channel="chat", opened_ago=1, holder=agent.id)
    return made, agent.id


@pytest.mark.parametrize(
    ("channel", "mine"), [(None, False), (Channel.EMAIL, False), (None, True), (Channel.CHAT, True)]
)
def test_the_resolved_view_lists_the_newest_closed_first(
    db: Database, channel: Channel | None, mine: bool
) -> None:
    made, sam = _fill_closed(db)
    flt = QueueFilter(
        status=ContactStatus.RESOLVED, channel=channel, agent_id=sam if mine else None
    )
    shown = [c for c in made if channel in (None, c.channel) and (c.held or not mine)]
    expected = [c.id for c in sorted(shown, key=lambda c: (c.closed_at, c.id), reverse=True)]
    assert len(expected) >= 6
    with read_session(db) as s:
        assert q.count_queue(s, flt) == len(expected)
        # A bounded count stops where it is told, and is exact below that.
        assert q.count_queue(s, flt, at_most=5) == 5
        assert q.count_queue(s, flt, at_most=len(expected) + 1) == len(expected)
        seen: list[str] = []
        page = q.page_after(s, flt, None, 4)
        while page:
            seen += [r.id for r in page]
            page = q.page_after(s, flt, page[-1], 4)
        assert seen == expected
        # Back up from the last row, a page at a time, to the top.
        last = q.page_at(s, flt, len(expected) - 1, 1)[0]
        back = [last.id]
        page = q.page_before(s, flt, last, 4)
        while page:
            back = [r.id for r in page] + back
            page = q.page_before(s, flt, page[0], 4)
        assert back == expected
        for index in (0, 3, len(expected) - 1):
            row = q.page_at(s, flt, index, 1)[0]
            assert row.id == expected[index]
            assert q.position_of(s, flt, row) == index


def explain(db: Database, run) -> str:
    """The SQLite query plan of the last statement `run` executes."""
    seen: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(db.read, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(db.read, "before_cursor_execute", capture)
    statement, parameters = seen[-1]
    with db.read.connect() as conn:
        plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    return " | ".join(str(row[-1]) for row in plan)


@pytest.mark.parametrize(
    ("flt", "index"),
    [
        # The active view is the open contacts: the status indexes serve it.
        (QueueFilter(), "ix_ticket_queue_status"),
        (QueueFilter(channel="sms"), "ix_ticket_queue_status_channel"),
        (QueueFilter(status="escalated"), "ix_ticket_queue_status"),
        (QueueFilter(status="open"), "ix_ticket_queue_status"),
        (QueueFilter(status="open", channel="sms"), "ix_ticket_queue_status_channel"),
        # The resolved view, newest closed first, from the closed contacts' own indexes.
        (QueueFilter(status=ContactStatus.RESOLVED), "ix_ticket_closed"),
        (QueueFilter(status=ContactStatus.RESOLVED, channel="sms"), "ix_ticket_closed_channel"),
        (QueueFilter(status=ContactStatus.RESOLVED, agent_id=1), "ix_ticket_closed_holder"),
    ],
)
def test_queue_pages_are_index_scans_without_a_sort(
    sqlite_db: Database, flt: QueueFilter, index: str
) -> None:
    _fill(sqlite_db, 30)
    with read_session(sqlite_db) as s:
        s.execute(text("ANALYZE"))
        first = q.page_after(s, flt, None, 5)
        assert first
        for run in (
            lambda: q.page_after(s, flt, first[-1], 50),
            lambda: q.page_before(s, flt, first[-1], 50),
            lambda: q.count_queue(s, flt),
        ):
            details = explain(sqlite_db, run)
            assert index in details, details
            assert "TEMP B-TREE" not in details, details


def test_keyset_paging_is_right_whatever_the_server_time_zone() -> None:
    """Keys are bound as UTC like the columns; a non-UTC session must not shift them."""
    from sqlalchemy.engine import make_url

    from storage.engine import make_database
    from storage.testing import fresh_postgres_schema
    from tests.conftest import PG_URL, require_postgres

    require_postgres()
    with fresh_postgres_schema(PG_URL) as db:
        _fill(db, 30)
        options = make_url(db.url).query["options"]
        zoned = make_url(db.url).update_query_dict(
            {"options": f"{options} -ctimezone=America/New_York"}
        )
        other = make_database(zoned)
        try:
            with read_session(other) as s:
                zone = s.execute(text("SHOW timezone")).scalar_one()
                assert zone == "America/New_York"
                flt = QueueFilter()
                first = q.page_after(s, flt, None, 5)
                second = q.page_after(s, flt, first[-1], 5)
                assert not {r.id for r in first} & {r.id for r in second}
                assert q.position_of(s, flt, second[0]) == 5
                assert [r.id for r in q.page_before(s, flt, second[0], 5)] == [r.id for r in first]
        finally:
            other.dispose()
