"""Contacts parked while waiting on the customer, and escalated to those who work the
escalation queue: who sees them, who "next" hands them to, and what their SLA clock does."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from storage import contact_writes, queue_queries
from storage.engine import Database
from storage.models import AuditEntry, Change, Ticket
from storage.uow import read_session, unit_of_work
from tests.factories import NOW, add_agents, add_customer, add_ticket, reading
from workspace.agents import AgentRecord
from workspace.desk import Desk, unpark
from workspace.errors import NotHeld
from workspace.queue import QueueFilter, cells
from workspace.sla import DEFAULT_LEVELS, SlaLevel
from workspace.team_config import TeamConfig
from workspace.vocabulary import ContactStatus, Disposition, Role


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def team(db: Database) -> tuple[AgentRecord, AgentRecord, AgentRecord]:
    """Alex (agent), Mia (senior) and Hana (supervisor); T-1 due in 30 minutes, T-2 in 60."""
    add_customer(db)
    (alex,) = add_agents(db, "alex")
    (mia,) = add_agents(db, "mia", role="senior")
    (hana,) = add_agents(db, "hana", role="supervisor")
    add_ticket(db, "T-1", due_in=30)
    add_ticket(db, "T-2", due_in=60)
    return alex, mia, hana


def _ticket(db: Database, tid: str) -> Ticket:
    with read_session(db) as s:
        t = s.get(Ticket, tid)
        assert t is not None
        s.expunge(t)
        return t


def _ids(desk: Desk, flt: QueueFilter) -> list[str]:
    return [r.id for r in reading(desk).queue_page(flt)]


def test_the_words_storage_spells_are_the_vocabularys() -> None:
    assert queue_queries.OPEN == ContactStatus.OPEN
    assert contact_writes.ESCALATED == ContactStatus.ESCALATED
    assert contact_writes.ESCALATION_ROLES == (Role.SUPERVISOR,)
    assert [d.status for d in Disposition] == [
        ContactStatus.RESOLVED,
        ContactStatus.ESCALATED,
        ContactStatus.PENDING,
    ]
    assert [s for s in ContactStatus if s.active] == [ContactStatus.OPEN, ContactStatus.ESCALATED]


# -- parked -----------------------------------------------------------------------------------


def test_a_parked_contact_leaves_the_queue_and_next_skips_it(db: Database, team, clock) -> None:
    alex, mia, _ = team
    desk = Desk(db, alex, clock=clock)
    assert desk.claim("T-1").claimed
    desk.resolve("T-1", "pending")
    t = _ticket(db, "T-1")
    assert (t.status, t.active, t.disposition) == ("pending", False, "pending")
    assert (t.parked_at, t.assigned_agent_id, t.resolved_at) == (NOW, None, None)
    # Out of the agents' queue, still there to look at in the pending view.
    assert _ids(desk, QueueFilter()) == ["T-2"]
    assert _ids(desk, QueueFilter(status=ContactStatus.PENDING)) == ["T-1"]
    # "Next" hands out T-2, although T-1 is due sooner; then nothing, whatever the view.
    other = Desk(db, mia, clock=clock)
    assert [other.claim_next(QueueFilter()).id] == ["T-2"]
    assert desk.claim_next(QueueFilter()) is None
    assert desk.claim_next(QueueFilter(status=ContactStatus.PENDING)) is None
    assert not desk.claim("T-1").claimed
    assert _ticket(db, "T-1").assigned_agent_id is None


def test_parking_stops_the_clock_and_unparking_moves_the_due_time(
    db: Database, team, clock
) -> None:
    alex, _, _ = team
    desk = Desk(db, alex, clock=clock)
    desk.claim("T-1")
    clock.now = NOW + timedelta(minutes=10)  # parked with 20 minutes left
    desk.resolve("T-1", "pending")
    parked = reading(desk).contact("T-1")
    assert parked is not None and parked.parked_at == clock.now
    # Hours later the queue still shows what was left when it was parked.
    clock.now = NOW + timedelta(hours=3)
    shown = cells(parked, clock.now, alex.id).sla
    assert (shown.level, shown.text) == (SlaLevel.PAUSED, "paused 20m left")
    # The customer writes 50 minutes after it was parked: due 50 minutes later than it was.
    wrote_at = NOW + timedelta(minutes=60)
    assert unpark(db, "T-1", wrote_at=wrote_at, by="import", now=clock.now)
    t = _ticket(db, "T-1")
    assert (t.status, t.active, t.parked_at) == ("open", True, None)
    assert t.sla_due_at == NOW + timedelta(minutes=30 + 50)
    assert t.sla_due_at - wrote_at == timedelta(minutes=20)  # what it had left
    assert _ids(desk, QueueFilter()) == ["T-2", "T-1"]  # T-2 due at +60, T-1 now at +80
    assert desk.claim_next(QueueFilter()).id == "T-2"
    assert desk.claim_next(QueueFilter()).id == "T-1"
    # Un-parking is audited and announced; a second call finds nothing parked.
    assert not unpark(db, "T-1", wrote_at=wrote_at, by="import", now=clock.now)
    with read_session(db) as s:
        entry = s.execute(
            select(AuditEntry.actor, AuditEntry.before, AuditEntry.after).where(
                AuditEntry.action == "unpark"
            )
        ).one()
        kinds = s.execute(select(Change.kind).where(Change.ticket_id == "T-1")).scalars().all()
    assert entry[0] == "import"
    assert json.loads(entry[1] or "{}")["status"] == "pending"
    assert json.loads(entry[2] or "{}") == {
        "status": "open",
        "sla_due_at": (NOW + timedelta(minutes=80)).isoformat(),
    }
    assert "unpark" in kinds


def test_a_message_older_than_the_parking_unparks_without_moving_the_due_time(
    db: Database, team, clock
) -> None:
    alex, _, _ = team
    desk = Desk(db, alex, clock=clock)
    desk.claim("T-1")
    clock.now = NOW + timedelta(minutes=10)
    desk.resolve("T-1", "pending")
    # Written before the agent parked it, imported only now: the clock never should have
    # stopped, so nothing is added.
    assert unpark(db, "T-1", wrote_at=NOW + timedelta(minutes=5), by="import", now=clock.now)
    t = _ticket(db, "T-1")
    assert (t.status, t.sla_due_at) == ("open", NOW + timedelta(minutes=30))
    assert not unpark(db, "T-2", wrote_at=NOW, by="import", now=NOW)  # never parked


def test_unparking_runs_in_the_callers_unit_of_work(db: Database, team) -> None:
    from workspace.audit_trail import AuditTrail
    from workspace.desk import resume_parked

    alex, _, _ = team
    desk = Desk(db, alex, clock=lambda: NOW)
    desk.claim("T-1")
    desk.resolve("T-1", "pending")
    with pytest.raises(RuntimeError), unit_of_work(db) as s:
        assert resume_parked(s, "T-1", wrote_at=NOW, now=NOW, trail=AuditTrail("import"))
        raise RuntimeError("the import failed after")
    assert _ticket(db, "T-1").status == "pending"  # rolled back with the rest


# -- escalated --------------------------------------------------------------------------------


def test_an_escalated_contact_leaves_the_agents_queue_for_the_supervisors(
    db: Database, team, clock
) -> None:
    alex, mia, hana = team
    desk = Desk(db, alex, clock=clock)
    assert desk.claim("T-1").claimed
    desk.resolve("T-1", "escalated")
    t = _ticket(db, "T-1")
    assert (t.status, t.active, t.disposition) == ("escalated", True, "escalated")
    assert (t.assigned_agent_id, t.resolved_at, t.parked_at) == (None, None, None)
    # Agents do not see it in their queue, and "next" never hands it to them.
    assert _ids(desk, QueueFilter()) == ["T-2"]
    senior = Desk(db, mia, clock=clock)
    assert not senior.sees_escalation and not desk.sees_escalation
    assert senior.claim_next(QueueFilter(status=ContactStatus.ESCALATED)) is None
    assert senior.claim_next(QueueFilter()).id == "T-2"
    assert desk.claim_next(QueueFilter()) is None
    assert not desk.claim("T-1").claimed  # not even by its id
    assert _ticket(db, "T-1").assigned_agent_id is None
    # The supervisor sees it in the escalation queue, and "next" there claims it.
    boss = Desk(db, hana, clock=clock)
    assert boss.sees_escalation
    assert _ids(boss, QueueFilter(status=ContactStatus.ESCALATED)) == ["T-1"]
    assert boss.claim_next(QueueFilter()) is None  # the agents' queue: T-2 is Mia's
    got = boss.claim_next(QueueFilter(status=ContactStatus.ESCALATED))
    assert got is not None and got.id == "T-1" and got.holder_id == hana.id
    # Held, it is among the supervisor's own contacts.
    assert _ids(boss, QueueFilter(agent_id=hana.id)) == ["T-1"]


def test_a_supervisor_replies_on_and_resolves_an_escalated_contact(
    db: Database, team, clock
) -> None:
    alex, _, hana = team
    desk = Desk(db, alex, clock=clock)
    desk.claim("T-1")
    desk.resolve("T-1", "escalated")
    with pytest.raises(NotHeld):
        desk.write("T-1", "still mine?")
    boss = Desk(db, hana, clock=clock)
    assert boss.claim("T-1").claimed
    boss.write("T-1", "I have refunded the jug myself.")
    clock.now = NOW + timedelta(minutes=5)
    boss.resolve("T-1", "resolved")
    t = _ticket(db, "T-1")
    assert (t.status, t.active, t.disposition) == ("resolved", False, "resolved")
    assert (t.resolved_at, t.first_response_at, t.assigned_agent_id) == (
        clock.now,
        NOW,
        hana.id,
    )
    assert _ids(boss, QueueFilter(status=ContactStatus.ESCALATED)) == []


def test_the_roles_the_team_names_claim_escalations_too(db: Database, team) -> None:
    alex, mia, _ = team
    Desk(db, alex, clock=lambda: NOW).claim("T-1")
    Desk(db, alex, clock=lambda: NOW).resolve("T-1", "escalated")
    with unit_of_work(db) as s:
        assert not contact_writes.claim(s, "T-1", alex.id, NOW, escalation_roles=("senior",))
        assert contact_writes.claim(
            s, "T-1", mia.id, NOW, escalation_roles=("supervisor", "senior")
        )
    assert _ticket(db, "T-1").assigned_agent_id == mia.id


def test_a_desk_lets_the_roles_its_configuration_names_claim_escalations(
    db: Database, team, clock
) -> None:
    alex, mia, _ = team
    for tid in ("T-1", "T-2"):
        Desk(db, alex, clock=clock).claim(tid)
        Desk(db, alex, clock=clock).resolve(tid, "escalated")
    seniors_too = TeamConfig(DEFAULT_LEVELS, frozenset({Role.SUPERVISOR, Role.SENIOR}))
    senior = Desk(db, mia, clock=clock, config=seniors_too)
    assert senior.sees_escalation
    assert senior.claim("T-1").claimed
    got = senior.claim_next(QueueFilter(status=ContactStatus.ESCALATED))
    assert got is not None and got.id == "T-2" and got.holder_id == mia.id
    assert [_ticket(db, t).assigned_agent_id for t in ("T-1", "T-2")] == [mia.id, mia.id]


def test_a_refused_claim_says_why(db: Database, team, clock) -> None:
    alex, mia, _ = team
    desk = Desk(db, alex, clock=clock)
    desk.claim("T-1")
    desk.resolve("T-1", "escalated")
    desk.claim("T-2")
    desk.resolve("T-2", "pending")
    senior = Desk(db, mia, clock=clock)
    escalated = senior.claim("T-1")
    assert not escalated.claimed and escalated.holder_name is None
    assert escalated.reason == "contact T-1 is escalated: a supervisor claims it"
    parked = senior.claim("T-2")
    assert not parked.claimed
    assert parked.reason == "contact T-2 is parked until the customer answers"
    assert senior.claim("T-9").reason == "contact T-9 does not exist"
