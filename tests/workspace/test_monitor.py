"""The wallboard's reads: known rows in, the figures each panel shows out, on both databases,
through a read-only connection."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert
from sqlmodel import select

from storage.engine import Database
from storage.models import Action, ContactHold, DeskSession, Ticket
from storage.uow import unit_of_work
from tests.factories import NOW, add_agents, add_customer, add_ticket
from tests.monitoring import monitor_reader
from workspace.errors import CareDeskError
from workspace.monitor import (
    Monitor,
    agent_budget,
    agent_lines,
    budget_lines,
    depth_lines,
    friction_lines,
    friction_title,
    spend_lines,
    team_budgets,
    urgent_lines,
)
from workspace.policy_file import default_policy


def fill_floor(db: Database) -> tuple[int, int, int]:
    """Three agents (Sam holds two contacts, Riley's workspace is silent), six contacts."""
    alex, sam, riley = add_agents(db, "alex", "sam", "riley")
    add_customer(db, "C-1", "Dana Whitfield", "gold")
    add_customer(db, "C-2", "Omar Haddad", "standard")
    add_ticket(db, "T-1", "C-1", channel="call", due_in=4)
    add_ticket(db, "T-2", "C-2", channel="email", due_in=-3, holder=sam.id)
    add_ticket(db, "T-3", "C-1", channel="chat", due_in=40)
    add_ticket(db, "T-4", "C-2", channel="chat", due_in=90, holder=sam.id)
    add_ticket(db, "T-5", "C-2", channel="chat", due_in=-30, status="escalated")
    add_ticket(db, "T-6", "C-1", channel="sms", due_in=-60, status="pending")
    with unit_of_work(db) as s:
        # Sam held T-2 since 25 minutes ago; T-4 only now.
        s.execute(
            Ticket.__table__.update()  # type: ignore[attr-defined]
            .where(Ticket.__table__.c.id == "T-2")  # type: ignore[attr-defined]
            .values(claimed_at=NOW - timedelta(minutes=25))
        )
        s.execute(
            insert(DeskSession).values(
                id="s1",
                agent_id=sam.id,
                started_at=NOW,
                beat_at=NOW - timedelta(seconds=5),
                viewing_ticket_id="T-2",
                host="h",
            )
        )
        s.execute(
            insert(DeskSession).values(
                id="s2",
                agent_id=riley.id,
                started_at=NOW,
                beat_at=NOW - timedelta(minutes=2),
                viewing_ticket_id="T-3",
                host="h",
            )
        )
        for ticket, since in (("T-2", timedelta(minutes=25)), ("T-4", timedelta(0))):
            s.add(ContactHold(ticket_id=ticket, agent_id=sam.id, started_at=NOW - since))
        for minutes, length in ((50, 6), (30, 4)):  # two holds Sam ended today: 10 minutes
            start = NOW - timedelta(minutes=minutes)
            s.add(
                ContactHold(
                    ticket_id="T-9",
                    agent_id=sam.id,
                    started_at=start,
                    ended_at=start + timedelta(minutes=length),
                    ended_by="resolve",
                )
            )
        s.add(  # ended yesterday: not today's
            ContactHold(
                ticket_id="T-8",
                agent_id=sam.id,
                started_at=NOW - timedelta(days=1, hours=2),
                ended_at=NOW - timedelta(days=1),
                ended_by="resolve",
            )
        )
    return alex.id, sam.id, riley.id


def add_action(
    db: Database,
    ref: str,
    agent_id: int,
    kind: str,
    amount: str,
    *,
    status: str,
    ago: timedelta,
    executed_ago: timedelta | None = None,
    verdict: str = "allow",
    rule: str = "r",
) -> None:
    """An action requested `ago`; an executed one was executed then too, unless
    `executed_ago` says when (a request a supervisor approved later)."""
    executed = None
    if status == "executed":
        executed = NOW - (ago if executed_ago is None else executed_ago)
    with unit_of_work(db) as s:
        s.add(
            Action(
                ref=ref,
                kind=kind,
                customer_id="C-1",
                agent_id=agent_id,
                amount=Decimal(amount),
                currency="USD",
                reason="late",
                verdict=verdict,
                rule=rule,
                verdict_reason="ok",
                policy_hash="x",
                status=status,
                requested_at=NOW - ago,
                executed_at=executed,
            )
        )


def test_each_panel_reads_what_the_floor_holds(db: Database) -> None:
    _alex, sam, _riley = fill_floor(db)
    add_action(db, "A-1", sam, "discount", "20.00", status="executed", ago=timedelta(hours=1))
    add_action(db, "A-2", sam, "discount", "5.00", status="executed", ago=timedelta(days=3))
    add_action(db, "A-3", sam, "refund", "60.00", status="requested", ago=timedelta(minutes=20))
    add_action(db, "A-4", sam, "discount", "99.00", status="denied", ago=timedelta(hours=1))
    # Asked for last month, approved and executed today: given today, as the report says.
    late = {"ago": timedelta(days=40), "executed_ago": timedelta(minutes=5)}
    add_action(db, "A-5", sam, "discount", "7.00", status="executed", **late)  # type: ignore[arg-type]
    with monitor_reader(db) as reader:
        monitor = Monitor(reader, default_policy(), clock=lambda: NOW)

        depth = {d.channel: d for d in monitor.depth()}
        assert (depth["chat"].waiting, depth["chat"].held, depth["chat"].escalated) == (1, 1, 1)
        assert (depth["email"].waiting, depth["email"].held) == (0, 1)
        assert depth["sms"].pending == 1
        total = depth["all"]
        assert (total.waiting, total.held, total.pending, total.escalated) == (2, 2, 1, 1)
        assert depth_lines([total])[0].cells == ("all", "2", "2", "1", "1 (1)")

        urgent = monitor.urgent()
        assert [r.id for r in urgent.rows] == ["T-5", "T-2", "T-1"]  # parked T-6 is paused
        assert (urgent.breached, urgent.at_risk) == (2, 1)
        lines = urgent_lines(urgent, NOW)
        assert [line.tone for line in lines] == ["breached", "breached", "risk"]
        assert lines[1].cells[:5] == ("BREACHED 3m", "email", "T-2", "Omar Haddad", "Sam")

        floor = {a.name: a for a in monitor.floor()}
        assert list(floor) == ["Alex", "Riley", "Sam"]
        s = floor["Sam"]
        assert (s.held, s.held_id, s.viewing, s.handled, s.handled_s) == (2, "T-2", "T-2", 2, 600)
        by_name = {line.cells[0]: line for line in agent_lines(list(floor.values()), NOW)}
        assert by_name["Sam"].cells == ("Sam", "here", "T-2 +1 25m", "T-2", "2 · 10m")
        assert by_name["Riley"].cells[1:4] == ("silent 2m", "-", "-")
        assert by_name["Riley"].tone == by_name["Alex"].tone == "quiet"
        assert by_name["Alex"].cells[1] == "away"

        waiting, count = monitor.approvals()
        assert count == 1 and waiting[0].ref == "A-3"

        spend = {s.kind: s for s in monitor.compensation()}
        assert (spend["discount"].today, spend["discount"].today_n) == (Decimal("27.00"), 2)
        # November: the three executed in it, not the denied one.
        assert spend["discount"].month == Decimal("32.00")
        assert spend["refund"].month == Decimal("0.00")
        budgets = team_budgets(default_policy(), {"agent": 3})
        assert spend["discount"].budget == budgets["discount"][0]
        assert len(spend_lines(list(spend.values()))) == len(spend)

        assert monitor.viewers(["T-2", "T-3", "T-1"]) == {"T-2": ("Sam",), "T-3": ("Riley",)}


def test_a_team_budget_is_every_agent_budget_summed() -> None:
    policy = default_policy()
    one = team_budgets(policy, {"agent": 1})
    assert team_budgets(policy, {"agent": 4})["discount"][0] == (
        None if one["discount"][0] is None else one["discount"][0] * 4
    )
    assert team_budgets(policy, {}) == {kind: (None, None) for kind in one}


def test_the_monitor_refuses_a_database_opened_for_work(sqlite_db: Database) -> None:
    with pytest.raises(CareDeskError, match="read-only"):
        Monitor(sqlite_db, default_policy())


def test_the_urgent_list_is_bounded(sqlite_db: Database) -> None:
    add_customer(sqlite_db, "C-1")
    for i in range(12):
        add_ticket(sqlite_db, f"T-{i:02d}", due_in=-i)
    with monitor_reader(sqlite_db) as reader:
        urgent = Monitor(reader, default_policy(), clock=lambda: NOW).urgent(limit=5)
        assert [r.id for r in urgent.rows] == ["T-11", "T-10", "T-09", "T-08", "T-07"]
        assert urgent.breached == 11  # due exactly now is not yet breached
    with unit_of_work(sqlite_db) as s:
        assert len(s.exec(select(Ticket)).all()) == 12


def test_the_policys_friction_this_month(db: Database) -> None:
    _alex, sam, _riley = fill_floor(db)
    limit = "actions.refund.limit.amount"
    asked = {"verdict": "needs_approval", "rule": limit}
    add_action(
        db, "A-1", sam, "refund", "60.00", status="requested", ago=timedelta(hours=1), **asked
    )
    add_action(db, "A-2", sam, "refund", "70.00", status="denied", ago=timedelta(hours=2), **asked)
    age = "actions.refund.order_age_days"
    for n in range(3):
        add_action(
            db,
            f"D-{n}",
            sam,
            "refund",
            "5.00",
            status="denied",
            ago=timedelta(hours=3),
            verdict="deny",
            rule=age,
        )
    add_action(
        db,
        "OLD",
        sam,
        "refund",
        "5.00",
        status="denied",
        ago=timedelta(days=40),
        verdict="deny",
        rule=age,
    )
    # What Sam gave this month, against the shipped policy's agent budget for discounts.
    add_action(db, "G-1", sam, "discount", "30.00", status="executed", ago=timedelta(hours=1))
    with monitor_reader(db) as reader:
        view = Monitor(reader, default_policy(), clock=lambda: NOW).friction()
    found = view.friction
    lines = friction_lines(found)
    # The rule that stops agents most first; last month's denial is not this month's.
    assert [line.cells for line in lines] == [
        (age, "3", "0", "0", "0", "0"),
        (limit, "0", "2", "0", "1", "1"),
    ]
    assert [line.tone for line in lines] == ["over", ""]
    assert friction_title(found).startswith(" · November 2026")
    budget, grants = agent_budget(default_policy(), "discount", "agent")
    assert budget is not None
    (given,) = view.spend
    assert (given.agent, given.kind, given.amount, given.budget) == (
        "Sam",
        "discount",
        Decimal("30.00"),
        budget,
    )
    (line,) = budget_lines(view.spend)
    assert line.cells[:3] == ("Sam", "Discount", "30.00 (1)")
    assert line.cells[4] == f"{max(30 / float(budget), 1 / grants if grants else 0) * 100:.0f}%"
