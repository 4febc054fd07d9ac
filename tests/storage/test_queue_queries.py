"""The queue's order, paging and filters, and the indexes that serve them."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest
from sqlalchemy import event, text

from storage import queue_queries as q
from storage.engine import Database
from storage.uow import read_session
from tests.factories import add_agents, add_customer, add_ticket
from workspace.queue import QueueFilter

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
    active view is the open contacts; with "mine", every contact the agent works."""
    worked = ("open",) if flt.agent_id is None else ("open", "escalated")
    shown = [
        t
        for t in made
        if (t.status in worked if flt.status is None else t.status == flt.status)
        and flt.channel in (None, t.channel)
        and (flt.agent_id is None or (t.held and flt.agent_id == holder))
    ]
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
