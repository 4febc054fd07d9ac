"""Follow-ups: a promise to a customer comes back to its owner's queue when due, with its
SLA, shows in the customer's digest until done, and goes to the team when its owner is let
go (frozen clock)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from storage.engine import Database
from storage.models import FollowUp, Ticket
from storage.uow import read_session
from tests.factories import NOW, add_agents, add_customer, add_ticket
from workspace import follow_ups
from workspace.desk import Desk, unpark
from workspace.due import FollowUpInputError, parse_due
from workspace.follow_ups import FollowUps
from workspace.queue import QueueFilter
from workspace.reading import Reading
from workspace.team import Team
from workspace.team_config import DEFAULT_CONFIG


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def _ticket(db: Database, tid: str) -> Ticket:
    with read_session(db) as s:
        row = s.get(Ticket, tid)
        assert row is not None
        return Ticket.model_validate(row.model_dump())


def _statuses(db: Database) -> list[tuple[str, str, int | None]]:
    with read_session(db) as s:
        rows = s.execute(select(FollowUp).order_by(FollowUp.id)).scalars().all()  # type: ignore[arg-type]
        return [(r.kind, r.status, r.owner_id) for r in rows]


def _mine(db: Database, agent_id: int, clock: Clock) -> list[str]:
    rows = Reading(db, "USD", clock).queue_page(QueueFilter(agent_id=agent_id))
    return [r.id for r in rows]


@pytest.fixture
def shop(db: Database) -> tuple[Database, Clock, Desk]:
    add_customer(db, "C-1")
    (alex,) = add_agents(db, "alex")
    add_ticket(db, "T-1", holder=alex.id)
    clock = Clock()
    return db, clock, Desk(db, alex, clock)


def test_a_promise_comes_back_to_its_owner_when_due_with_its_sla(
    shop: tuple[Database, Clock, Desk],
) -> None:
    db, clock, desk = shop
    promises = FollowUps(db, desk.agent, clock)
    made = promises.promise("T-1", "call_back", "in 2h", "after the courier calls")
    assert (made.status, made.due_at, made.owner_name) == (
        "scheduled",
        NOW + timedelta(hours=2),
        "Alex",
    )
    desk.resolve("T-1", "resolved")  # the contact closes; the promise stays
    assert [f.id for f in promises.of_customer("C-1")] == [made.id]
    config = DEFAULT_CONFIG
    clock.now = NOW + timedelta(hours=1)
    assert follow_ups.bring_due(db, config, clock) == 0
    assert _ticket(db, "T-1").status == "resolved"
    clock.now = NOW + timedelta(hours=2, minutes=1)
    assert follow_ups.bring_due(db, config, clock) == 1
    ticket = _ticket(db, "T-1")
    assert (ticket.status, ticket.assigned_agent_id, ticket.active) == ("open", desk.agent.id, True)
    expected = config.service_levels.first_response_due("chat", "normal", clock.now)
    assert ticket.sla_due_at == expected
    assert _mine(db, desk.agent.id, clock) == ["T-1"]
    (due,) = promises.of_customer("C-1")
    assert due.status == "due" and "Call the customer back, due" in due.line(clock.now)
    assert not due.overdue(clock.now)
    assert follow_ups.overdue(db, clock.now) == (0, None)
    clock.now += follow_ups.OVERDUE_AFTER
    assert follow_ups.overdue(db, clock.now) == (1, made.due_at)
    assert "overdue since" in due.line(clock.now)
    assert follow_ups.bring_due(db, config, clock) == 0  # once only
    desk.resolve("T-1", "resolved")
    assert promises.of_customer("C-1") == []
    assert _statuses(db) == [("call_back", "done", desk.agent.id)]
    assert follow_ups.overdue(db, clock.now) == (0, None)


def test_a_pending_disposition_checks_back_unless_the_customer_writes(
    shop: tuple[Database, Clock, Desk],
) -> None:
    db, clock, desk = shop
    desk.resolve("T-1", "pending")
    assert _statuses(db) == [("check_back", "scheduled", desk.agent.id)]
    unpark(db, "T-1", wrote_at=NOW + timedelta(hours=5), by="inbound", now=NOW + timedelta(hours=5))
    assert _statuses(db) == [("check_back", "done", desk.agent.id)]
    clock.now = NOW + follow_ups.CHECK_BACK_AFTER + timedelta(minutes=1)
    assert follow_ups.bring_due(db, DEFAULT_CONFIG, clock) == 0


def test_a_silent_customer_brings_the_parked_contact_back_to_its_agent(
    shop: tuple[Database, Clock, Desk],
) -> None:
    db, clock, desk = shop
    desk.resolve("T-1", "pending")
    clock.now = NOW + follow_ups.CHECK_BACK_AFTER
    assert follow_ups.bring_due(db, DEFAULT_CONFIG, clock) == 1
    ticket = _ticket(db, "T-1")
    assert (ticket.status, ticket.assigned_agent_id, ticket.parked_at) == (
        "open",
        desk.agent.id,
        None,
    )


def test_an_owner_let_go_hands_the_promise_to_the_team(
    shop: tuple[Database, Clock, Desk],
) -> None:
    db, clock, desk = shop
    FollowUps(db, desk.agent, clock).promise("T-1", "check_tracking", "1d")
    desk.resolve("T-1", "resolved")
    add_agents(db, "jordan", role="supervisor")
    Team(db, actor="jordan", clock=clock).change("alex", active=False)
    assert _statuses(db) == [("check_tracking", "scheduled", None)]
    clock.now = NOW + timedelta(days=1)
    assert follow_ups.bring_due(db, DEFAULT_CONFIG, clock) == 1
    ticket = _ticket(db, "T-1")
    assert (ticket.status, ticket.assigned_agent_id) == ("open", None)  # the team's queue
    (due,) = FollowUps(db, desk.agent, clock).of_customer("C-1")
    assert due.owner_name is None and "(the team)" in due.line(clock.now)


def test_a_contact_someone_else_holds_stays_with_them(
    shop: tuple[Database, Clock, Desk],
) -> None:
    db, clock, desk = shop
    FollowUps(db, desk.agent, clock).promise("T-1", "call_back", "30m", team=False)
    desk.release("T-1")
    (sam,) = add_agents(db, "sam")
    assert Desk(db, sam, clock).claim("T-1").claimed
    clock.now = NOW + timedelta(minutes=30)
    assert follow_ups.bring_due(db, DEFAULT_CONFIG, clock) == 1
    assert _ticket(db, "T-1").assigned_agent_id == sam.id


@pytest.mark.parametrize(
    ("typed", "after"),
    [
        ("in 2h", timedelta(hours=2)),
        ("30m", timedelta(minutes=30)),
        ("1d4h", timedelta(days=1, hours=4)),
    ],
)
def test_due_times_as_agents_type_them(typed: str, after: timedelta) -> None:
    assert parse_due(typed, NOW) == NOW + after


def test_a_time_of_day_is_the_next_one() -> None:
    from workspace.timefmt import local

    due = parse_due("tomorrow 9:00", NOW)
    assert (local(due).hour, local(due).minute) == (9, 0)
    assert local(due).date() == local(NOW).date() + timedelta(days=1)
    soon = parse_due("23:59", NOW)
    assert timedelta(0) < soon - NOW <= timedelta(days=1)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "say when"),
        ("soonish", "is not a time"),
        ("25:00", "is not a time"),
        ("2019-01-01", "in the past"),
        ("2099-01-01", "more than a year"),
        ("2026-02-30 10:00", "is not a time"),
    ],
)
def test_a_due_time_that_is_not_one_is_named(typed: str, message: str) -> None:
    with pytest.raises(FollowUpInputError, match=message) as bad:
        parse_due(typed, NOW)
    assert bad.value.field == "due"


def test_an_unknown_kind_or_contact_promises_nothing(shop: tuple[Database, Clock, Desk]) -> None:
    db, clock, desk = shop
    promises = FollowUps(db, desk.agent, clock)
    with pytest.raises(FollowUpInputError, match="no follow-up called 'sing'"):
        promises.promise("T-1", "sing", "2h")
    with pytest.raises(Exception, match="contact T-404 does not exist"):
        promises.promise("T-404", "call_back", "2h")
    assert _statuses(db) == []


def test_the_monitor_shows_overdue_promises(shop: tuple[Database, Clock, Desk]) -> None:
    from tests.monitoring import monitor_reader
    from workspace.monitor import Monitor, urgent_title
    from workspace.policy_file import default_policy

    db, clock, desk = shop
    FollowUps(db, desk.agent, clock).promise("T-1", "call_back", "1h")
    FollowUps(db, desk.agent, clock).promise("T-1", "check_tracking", "3h")
    with monitor_reader(db) as reader:
        monitor = Monitor(reader, default_policy(), clock)
        clock.now = NOW + timedelta(hours=1, minutes=29)
        assert monitor.urgent().follow_ups_overdue == 0
        clock.now = NOW + timedelta(hours=2)
        urgent = monitor.urgent()
        assert (urgent.follow_ups_overdue, urgent.follow_up_due) == (1, NOW + timedelta(hours=1))
        assert urgent_title(urgent, clock.now).endswith(" · 1 follow-up overdue, oldest 1h00m")
        clock.now = NOW + timedelta(hours=4)
        assert monitor.urgent().follow_ups_overdue == 2
