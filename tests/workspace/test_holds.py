"""Every hold of a contact is kept (`contact_hold`): whatever gives a contact to an agent
starts one, whatever takes it away ends it and says how, on both databases."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from storage import hold_writes
from storage.engine import Database
from storage.models import ContactHold, Ticket
from storage.uow import read_session, unit_of_work
from tests.factories import NOW, add_agents, add_customer, add_ticket
from workspace.demo import build_demo
from workspace.desk import Desk
from workspace.importer import import_file
from workspace.presence import Presence
from workspace.queue import QueueFilter
from workspace.supervision import Supervision
from workspace.team import Team

Hold = tuple[str, int, datetime, datetime | None, str | None]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now

    def tick(self, minutes: float) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now


def holds(db: Database, ticket_id: str | None = None) -> list[Hold]:
    """The holds (of one contact, or all), in the order they started."""
    stmt: Any = select(
        col(ContactHold.ticket_id),
        col(ContactHold.agent_id),
        col(ContactHold.started_at),
        col(ContactHold.ended_at),
        col(ContactHold.ended_by),
    ).order_by(col(ContactHold.started_at), col(ContactHold.id))
    if ticket_id is not None:
        stmt = stmt.where(col(ContactHold.ticket_id) == ticket_id)
    with read_session(db) as s:
        return [tuple(r) for r in s.execute(stmt)]  # type: ignore[misc]


@pytest.fixture
def team(db: Database):
    add_customer(db)
    for n in range(1, 5):
        add_ticket(db, f"T-{n}", due_in=10 * n)
    return add_agents(db, "alex", "sam") + add_agents(db, "hana", role="supervisor")


def test_a_contact_released_and_claimed_again_keeps_both_holds(db: Database, team) -> None:
    alex, sam, _ = team
    clock = Clock()
    assert Desk(db, alex, clock=clock).claim("T-1").claimed
    released = clock.tick(4)
    Desk(db, alex, clock=clock).release("T-1")
    claimed = clock.tick(1)
    assert Desk(db, sam, clock=clock).claim("T-1").claimed
    resolved = clock.tick(6)
    Desk(db, sam, clock=clock).resolve("T-1", "resolved")
    assert holds(db, "T-1") == [
        ("T-1", alex.id, NOW, released, "release"),
        ("T-1", sam.id, claimed, resolved, "resolve"),
    ]


def test_next_and_a_contact_opened_for_a_customer_start_a_hold(db: Database, team) -> None:
    alex, sam, _ = team
    clock = Clock()
    row = Desk(db, alex, clock=clock).claim_next(QueueFilter())
    assert row is not None and row.id == "T-1"
    opened = Desk(db, sam, clock=clock).open_contact("C-1", "call", "Rang about a refund")
    assert holds(db) == [
        ("T-1", alex.id, NOW, None, None),
        (opened.id, sam.id, NOW, None, None),
    ]


@pytest.mark.parametrize(
    ("disposition", "ending"),
    [("resolved", "resolve"), ("pending", "park"), ("escalated", "escalate")],
)
def test_each_disposition_ends_the_hold_its_own_way(
    db: Database, team, disposition: str, ending: str
) -> None:
    alex = team[0]
    clock = Clock()
    desk = Desk(db, alex, clock=clock)
    desk.claim("T-1")
    done = clock.tick(3)
    desk.resolve("T-1", disposition)
    assert holds(db, "T-1") == [("T-1", alex.id, NOW, done, ending)]


def test_an_escalated_contact_gets_the_supervisor_s_hold_after_the_agent_s(
    db: Database, team
) -> None:
    alex, _, hana = team
    clock = Clock()
    Desk(db, alex, clock=clock).claim("T-1")
    escalated = clock.tick(2)
    Desk(db, alex, clock=clock).resolve("T-1", "escalated")
    taken = clock.tick(5)
    assert Desk(db, hana, clock=clock).claim("T-1").claimed
    closed = clock.tick(5)
    Desk(db, hana, clock=clock).resolve("T-1", "resolved")
    assert holds(db, "T-1") == [
        ("T-1", alex.id, NOW, escalated, "escalate"),
        ("T-1", hana.id, taken, closed, "resolve"),
    ]


def test_a_supervisor_freeing_or_giving_a_contact_ends_the_hold(db: Database, team) -> None:
    alex, sam, hana = team
    clock = Clock()
    desk = Desk(db, alex, clock=clock)
    desk.claim("T-1")
    desk.claim("T-2")
    boss = Supervision(db, hana, clock=clock)
    freed = clock.tick(1)
    boss.release("T-1")
    given = clock.tick(1)
    boss.assign("T-2", "sam")
    boss.assign("T-3", "sam")  # nobody held it: only sam's hold starts
    assert holds(db, "T-1") == [("T-1", alex.id, NOW, freed, "free")]
    assert holds(db, "T-2") == [
        ("T-2", alex.id, NOW, given, "assign"),
        ("T-2", sam.id, given, None, None),
    ]
    assert holds(db, "T-3") == [("T-3", sam.id, given, None, None)]


def test_a_lapsed_workspace_ends_its_agent_s_holds(db: Database, team) -> None:
    alex, sam, _ = team
    clock = Clock()
    gone = Presence(db, alex, clock=clock, lapse_after=timedelta(minutes=3))
    gone.begin()
    Desk(db, alex, clock=clock).claim("T-1")
    Desk(db, alex, clock=clock).claim("T-2")
    later = clock.tick(5)
    Presence(db, sam, clock=clock, lapse_after=timedelta(minutes=3)).lapse(later)
    assert holds(db) == [
        ("T-1", alex.id, NOW, later, "lapse"),
        ("T-2", alex.id, NOW, later, "lapse"),
    ]


def test_quitting_with_release_ends_the_holds_as_leaving(db: Database, team) -> None:
    alex = team[0]
    clock = Clock()
    Desk(db, alex, clock=clock).claim("T-1")
    workspace = Presence(db, alex, clock=clock)
    workspace.begin()
    quit_at = clock.tick(2)
    assert workspace.end(release=True) == ["T-1"]
    assert holds(db) == [("T-1", alex.id, NOW, quit_at, "leave")]


def test_someone_let_go_leaves_their_holds(db: Database) -> None:
    alex, sam = add_agents(db, "alex", "sam")
    add_customer(db)
    add_ticket(db, "T-1")
    add_ticket(db, "T-2")
    Desk(db, alex, clock=lambda: NOW).claim("T-1")
    Desk(db, sam, clock=lambda: NOW).claim("T-2")
    later = NOW + timedelta(hours=1)
    Team(db, actor="jordan", clock=lambda: later).change("alex", active=False)
    assert holds(db) == [
        ("T-1", alex.id, NOW, later, "leave"),
        ("T-2", sam.id, NOW, None, None),
    ]


def test_a_contact_never_has_two_running_holds(db: Database, team) -> None:
    alex, sam, _ = team
    Desk(db, alex, clock=lambda: NOW).claim("T-1")
    with pytest.raises(IntegrityError), unit_of_work(db) as s:
        hold_writes.start(s, "T-1", sam.id, NOW)
    assert holds(db, "T-1") == [("T-1", alex.id, NOW, None, None)]


def test_racing_claims_and_nexts_leave_one_hold_a_contact(db: Database) -> None:
    add_customer(db)
    for n in range(6):
        add_ticket(db, f"T-{n}", due_in=n)
    desks = [Desk(db, a, clock=lambda: NOW) for a in add_agents(db, *(f"a{i}" for i in range(4)))]
    barrier = threading.Barrier(len(desks))
    won: list[tuple[int, str]] = []
    lock = threading.Lock()

    def race(desk: Desk, by_next: bool) -> None:
        barrier.wait()
        for n in range(6):
            if by_next:
                row = desk.claim_next(QueueFilter())
                got = None if row is None else row.id
            else:
                got = f"T-{n}" if desk.claim(f"T-{n}").claimed else None
            if got is not None:
                with lock:
                    won.append((desk.agent.id, got))

    threads = [threading.Thread(target=race, args=(d, i % 2 == 0)) for i, d in enumerate(desks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted((h[1], h[0]) for h in holds(db)) == sorted(won)
    assert sorted(h[0] for h in holds(db)) == [f"T-{n}" for n in range(6)]
    assert all(h[3] is None for h in holds(db))


def test_an_import_moving_or_closing_held_contacts_ends_and_starts_holds(
    db: Database, tmp_path: Path
) -> None:
    alex, sam = add_agents(db, "alex", "sam")
    add_customer(db, "C-1001")
    for n in (1, 2):
        add_ticket(db, f"T-{n}", "C-1001")
        Desk(db, alex, clock=lambda: NOW).claim(f"T-{n}")
    line = {
        "type": "ticket",
        "customer": "C-1001",
        "channel": "email",
        "subject": "Cracked jug",
        "opened_at": "2026-11-07T08:40:00Z",
        "priority": "high",
    }
    moved_at = NOW + timedelta(minutes=30)
    resolved_at = NOW + timedelta(minutes=20)
    rows = [
        {**line, "id": "T-1", "status": "open", "assigned_to": "sam", "claimed_at": iso(moved_at)},
        {**line, "id": "T-2", "status": "resolved", "resolved_at": iso(resolved_at)},
        {**line, "id": "T-3", "status": "open", "assigned_to": "sam", "claimed_at": iso(NOW)},
    ]
    path = tmp_path / "moves.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    import_file(db, path)
    assert holds(db) == [
        ("T-1", alex.id, NOW, moved_at, "assign"),
        ("T-2", alex.id, NOW, resolved_at, "resolve"),
        ("T-3", sam.id, NOW, None, None),
        ("T-1", sam.id, moved_at, None, None),
    ]
    import_file(db, path)  # the same file again changes nothing
    assert len(holds(db)) == 4


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def test_the_demo_s_held_contacts_each_have_one_running_hold(db: Database) -> None:
    build_demo(db, customers=60, contacts=80, now=NOW)
    with read_session(db) as s:
        held = dict(
            s.execute(
                select(col(Ticket.id), col(Ticket.assigned_agent_id)).where(
                    col(Ticket.active), col(Ticket.assigned_agent_id).is_not(None)
                )
            ).all()
        )
        closed = dict(
            s.execute(
                select(col(Ticket.id), col(Ticket.resolved_at)).where(
                    col(Ticket.resolved_at).is_not(None)
                )
            ).all()
        )
    found = holds(db)
    running = [(h[0], h[1]) for h in found if h[3] is None]
    assert held and sorted(running) == sorted(held.items())
    assert all(h[3] is None or h[2] <= h[3] for h in found)
    assert all(h[3] is None or h[3] <= NOW for h in found)
    by_contact: dict[str, list[Hold]] = {}
    for h in found:
        by_contact.setdefault(h[0], []).append(h)
    assert set(closed) <= set(by_contact)
    for ticket_id, resolved_at in closed.items():
        chain = by_contact[ticket_id]
        assert 1 <= len(chain) <= 2 and chain[-1][3:] == (resolved_at, "resolve")
        assert all(a[3] is not None and a[3] <= b[2] for a, b in pairwise(chain))
        assert all(a[4] == "release" and a[1] != b[1] for a, b in pairwise(chain))
    assert any(len(chain) == 2 for chain in by_contact.values())
