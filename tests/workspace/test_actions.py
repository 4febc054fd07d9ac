"""Actions: decided in the transaction that records them, approved once, audited, idempotent."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from storage.engine import Database
from storage.models import Action, AuditEntry
from storage.uow import read_session
from tests.factories import NOW, add_agents, add_customer, add_order, add_ticket
from workspace.action_view import ActionRequest, action_message, month_start, parse_amount
from workspace.errors import ActionInputError, NotAllowed, NotHeld
from workspace.policy_file import default_policy, parse_policy
from workspace.workbench import Workbench

POLICY = default_policy()


def _desk(db: Database, name: str, role: str = "agent") -> Workbench:
    (agent,) = add_agents(db, name, role=role)
    return Workbench.open(db, agent, POLICY, clock=lambda: NOW)


def _shop(db: Database, tier: str = "standard") -> None:
    add_customer(db, "C-1", "Dana Whitfield", tier)
    add_order(
        db,
        "W1",
        placed=NOW - timedelta(days=10),
        delivered=NOW - timedelta(days=5),
        price="200.00",
    )


def _discount(amount: str, reason: str = "late parcel", **kw: object) -> ActionRequest:
    return ActionRequest(
        kind="discount", customer_id="C-1", order_id="W1", amount=amount, reason=reason, **kw
    )  # type: ignore[arg-type]


def _audit(db: Database) -> list[tuple[str, str, str]]:
    with read_session(db) as s:
        rows = s.execute(
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.entity_id).order_by(
                AuditEntry.id  # type: ignore[arg-type]
            )
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_allowed_action_is_executed_and_audited(db: Database) -> None:
    _shop(db)
    alex = _desk(db, "alex")
    outcome = alex.actions.take(_discount("20"))
    record = outcome.record
    assert (record.status, record.verdict) == ("executed", "allow")
    assert record.rule == "actions.discount.limit.amount"
    assert record.amount == Decimal("20.00") and record.executed_at == NOW
    assert "executed" in outcome.message and "Discount of 20.00 USD" in outcome.message
    n = str(record.id)
    assert _audit(db) == [
        ("alex", "action.request", n),
        ("alex", "action.verdict", n),
        ("alex", "action.execute", n),
    ]


def test_request_above_limit_waits_and_is_approved_once(db: Database) -> None:
    _shop(db)
    alex, jordan = _desk(db, "alex"), _desk(db, "jordan", role="supervisor")
    record = alex.actions.take(_discount("30")).record
    assert record.status == "requested" and record.verdict == "needs_approval"
    assert record.rule == "actions.discount.limit.amount"
    assert alex.reading.waiting_requests()[1] == 1

    first = jordan.approvals.approve(record.id, "loyal customer")
    assert first.changed and first.record.status == "executed"
    assert first.record.decided_by_name == "Jordan"
    assert first.record.decision_reason == "loyal customer"
    again = jordan.approvals.approve(record.id, "again")
    assert not again.changed and again.record.status == "executed"
    assert not jordan.approvals.deny(record.id, "changed my mind").changed
    actions = [a for _, a, _ in _audit(db)]
    assert actions.count("action.approve") == 1 and actions.count("action.execute") == 1
    assert alex.reading.waiting_requests() == ([], 0)
    (seen,) = alex.approvals.decided_since(NOW - timedelta(seconds=1))
    assert seen.id == record.id and seen.status == "executed"


def test_nobody_approves_their_own_request_and_agents_cannot_approve(db: Database) -> None:
    _shop(db)
    jordan = _desk(db, "jordan", role="supervisor")
    alex = _desk(db, "alex")
    own = jordan.actions.take(_discount("30")).record
    with pytest.raises(NotAllowed, match="own request"):
        jordan.approvals.approve(own.id, "fine")
    other = Workbench.open(db, alex.agent, POLICY, clock=lambda: NOW)
    with pytest.raises(NotAllowed, match="only a supervisor"):
        other.approvals.approve(own.id, "fine")
    with pytest.raises(ActionInputError, match="reason"):
        _desk(db, "morgan", role="supervisor").approvals.approve(own.id, "  ")
    with read_session(db) as s:
        assert s.execute(select(Action.status)).scalar_one() == "requested"


def test_withdrawn_request_cannot_be_decided(db: Database) -> None:
    _shop(db)
    alex, jordan = _desk(db, "alex"), _desk(db, "jordan", role="supervisor")
    record = alex.actions.take(_discount("30")).record
    with pytest.raises(NotAllowed):
        jordan.approvals.withdraw(record.id)
    assert alex.approvals.withdraw(record.id).changed
    late = jordan.approvals.approve(record.id, "ok")
    assert not late.changed and late.record.status == "withdrawn"
    assert not alex.approvals.withdraw(record.id).changed
    assert alex.approvals.decided_since(NOW - timedelta(seconds=1)) == []  # own withdrawal: no news


def test_denied_request_is_recorded_as_denied(db: Database) -> None:
    _shop(db)
    alex, jordan = _desk(db, "alex"), _desk(db, "jordan", role="supervisor")
    over = alex.actions.take(_discount("150")).record
    assert over.status == "denied" and over.rule == "actions.discount.approval.up_to_amount"
    assert "above the 100.00 a supervisor may approve" in over.verdict_reason
    asked = alex.actions.take(_discount("50")).record
    decision = jordan.approvals.deny(asked.id, "we already gave a voucher")
    assert decision.changed and decision.record.status == "denied"
    assert action_message(decision.record).endswith("denied by Jordan: we already gave a voucher.")
    assert [a for _, a, _ in _audit(db)][-1] == "action.deny"


def test_same_submission_twice_is_stored_once(db: Database) -> None:
    _shop(db)
    alex = _desk(db, "alex")
    first = alex.actions.take(_discount("10"), key="draft-1")
    second = alex.actions.take(_discount("10"), key="draft-1")
    assert not first.repeated and second.repeated and first.record.id == second.record.id
    with read_session(db) as s:
        assert len(s.execute(select(Action.id)).all()) == 1


def test_preview_stores_nothing_and_shows_headroom(sqlite_db: Database) -> None:
    _shop(sqlite_db)
    alex = _desk(sqlite_db, "alex")
    alex.actions.take(_discount("20"))
    seen = alex.actions.preview(_discount("5"))
    assert seen.verdict.verdict == "allow"
    room = seen.verdict.headroom
    assert (room.budget_amount_left, room.budget_count_left, room.per_customer_left) == (
        Decimal("280.00"),
        14,
        1,
    )
    with read_session(sqlite_db) as s:
        assert len(s.execute(select(Action.id)).all()) == 1


def test_per_customer_allowance_counts_every_agent(sqlite_db: Database) -> None:
    _shop(sqlite_db)
    alex, sam, riley = (_desk(sqlite_db, n) for n in ("alex", "sam", "riley"))
    assert alex.actions.take(_discount("10")).record.status == "executed"
    assert sam.actions.take(_discount("10")).record.status == "executed"
    third = riley.actions.take(_discount("10")).record
    assert third.status == "denied" and third.rule == "actions.discount.per_customer.count"


def test_waiting_requests_count_against_the_allowance_until_decided(sqlite_db: Database) -> None:
    _shop(sqlite_db)
    alex, jordan = _desk(sqlite_db, "alex"), _desk(sqlite_db, "jordan", role="supervisor")
    a = alex.actions.take(_discount("30")).record
    b = alex.actions.take(_discount("30")).record
    assert (a.status, b.status) == ("requested", "requested")
    assert alex.actions.take(_discount("5")).record.status == "denied"  # two grants pending
    jordan.approvals.deny(a.id, "no")
    assert alex.actions.take(_discount("5")).record.status == "executed"


def test_guarantee_grants_outside_the_budget(sqlite_db: Database) -> None:
    add_customer(sqlite_db, "C-1", "Dana Whitfield", "standard")
    add_order(
        sqlite_db,
        "W1",
        placed=NOW - timedelta(days=6),
        delivered=NOW - timedelta(days=2),
        promised=(NOW - timedelta(days=4)).date(),
    )
    alex = _desk(sqlite_db, "alex")
    credit = ActionRequest(
        kind="store_credit", customer_id="C-1", order_id="W1", amount="10", reason="late"
    )
    record = alex.actions.take(credit).record
    assert record.status == "executed" and record.rule == "guarantees.two_day_shipping"
    assert record.outside_budget
    after = alex.actions.preview(credit).verdict.headroom
    assert after.budget_amount_left == Decimal("400.00")  # the grant did not touch the budget


def test_budget_resets_with_the_calendar_month(sqlite_db: Database) -> None:
    policy = parse_policy(
        {
            "version": 1,
            "currency": "EUR",
            "actions": {"store_credit": {"limit": {"amount": 50}, "budget": {"amount": 60}}},
        },
        "p.yaml",
    )
    add_customer(sqlite_db, "C-1", "Dana Whitfield", "standard")
    (agent,) = add_agents(sqlite_db, "alex")
    october = Workbench.open(sqlite_db, agent, policy, clock=lambda: NOW - timedelta(days=10))
    november = Workbench.open(sqlite_db, agent, policy, clock=lambda: NOW)
    credit = ActionRequest(kind="store_credit", customer_id="C-1", amount="40", reason="x")
    assert october.actions.take(credit).record.status == "executed"
    assert november.actions.take(credit).record.status == "executed"
    third = november.actions.take(credit).record
    assert third.status == "denied" and third.rule == "actions.store_credit.budget.amount"
    assert third.currency == "EUR"
    assert month_start(NOW) == NOW.replace(day=1, hour=0)


def test_replacement_is_worth_its_items(sqlite_db: Database) -> None:
    _shop(sqlite_db)
    alex = _desk(sqlite_db, "alex")
    ok = ActionRequest(
        kind="replacement", customer_id="C-1", order_id="W1", items=("BL-200",), reason="cracked"
    )
    record = alex.actions.take(ok).record
    assert record.amount == Decimal("200.00") and record.items == ("BL-200",)
    assert record.status == "executed"
    with pytest.raises(ActionInputError, match="no item 'NOPE'; its items are BL-200") as bad:
        alex.actions.preview(
            ActionRequest(kind="replacement", customer_id="C-1", order_id="W1", items=("NOPE",))
        )
    assert bad.value.field == "items"
    with pytest.raises(ActionInputError, match="choose the items"):
        alex.actions.preview(ActionRequest(kind="replacement", customer_id="C-1", order_id="W1"))


@pytest.mark.parametrize(
    ("request_", "field", "message"),
    [
        (ActionRequest(kind="gift", customer_id="C-1"), "action", "unknown action 'gift'"),
        (ActionRequest(kind="discount", customer_id="C-9", amount="5"), "customer", "C-9"),
        (
            ActionRequest(kind="refund", customer_id="C-1", amount="5"),
            "order",
            "choose the order to refund",
        ),
        (
            ActionRequest(kind="discount", customer_id="C-1", order_id="W9", amount="5"),
            "order",
            "order W9 is not one of C-1's orders",
        ),
        (ActionRequest(kind="discount", customer_id="C-1"), "amount", "type an amount"),
    ],
)
def test_bad_requests_name_the_field(
    sqlite_db: Database, request_: ActionRequest, field: str, message: str
) -> None:
    _shop(sqlite_db)
    alex = _desk(sqlite_db, "alex")
    with pytest.raises(ActionInputError, match=message) as error:
        alex.actions.take(request_)
    assert error.value.field == field
    with read_session(sqlite_db) as s:
        assert s.execute(select(Action.id)).first() is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "is not an amount"),
        ("1.234", "is not an amount"),
        ("-5", "more than 0"),
        ("0", "more than 0"),
        ("NaN", "is not an amount"),
        ("1e9", "too large"),
        ("", "type an amount"),
    ],
)
def test_amounts_are_checked(text: str, message: str) -> None:
    with pytest.raises(ActionInputError, match=message):
        parse_amount(text)


def test_amounts_are_exact_decimals() -> None:
    assert parse_amount(" 19.9 ") == Decimal("19.90")
    assert parse_amount("1,250.50") == Decimal("1250.50")


def test_an_action_from_a_contact_needs_the_contact_held(sqlite_db: Database) -> None:
    _shop(sqlite_db)
    alex = _desk(sqlite_db, "alex")
    add_ticket(sqlite_db, "T-1", "C-1")
    with pytest.raises(NotHeld):
        alex.actions.take(_discount("5", ticket_id="T-1"))


def test_request_and_verdict_are_in_the_audit_with_figures(sqlite_db: Database) -> None:
    _shop(sqlite_db)
    alex = _desk(sqlite_db, "alex")
    alex.actions.take(_discount("30", reason="broken lid"))
    with read_session(sqlite_db) as s:
        afters = s.execute(select(AuditEntry.action, AuditEntry.after)).all()
    request, verdict = (json.loads(a) for _, a in afters)
    assert request["amount"] == "30.00" and request["reason"] == "broken lid"
    assert verdict["verdict"] == "needs_approval"
    assert verdict["rule"] == "actions.discount.limit.amount"


# -- races: the last of a budget, the last grant for a customer ------------------------------


def _race(jobs: list[Workbench], request: ActionRequest) -> list[str]:
    barrier = threading.Barrier(len(jobs))
    results: list[str] = []
    errors: list[BaseException] = []

    def run(desk: Workbench) -> None:
        barrier.wait()
        try:
            results.append(desk.actions.take(request).record.status)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(d,)) for d in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return results


def test_one_agent_in_many_sessions_cannot_overspend_the_budget(db: Database) -> None:
    """Eight sessions of one agent race for the last 30.00 of a 300.00 budget."""
    policy = parse_policy(
        {
            "version": 1,
            "currency": "USD",
            "actions": {"store_credit": {"limit": {"amount": 20}, "budget": {"amount": 300}}},
        },
        "p.yaml",
    )
    add_customer(db, "C-1", "Dana Whitfield", "standard")
    (agent,) = add_agents(db, "alex")
    sessions = [Workbench.open(db, agent, policy, clock=lambda: NOW) for _ in range(8)]
    credit = ActionRequest(kind="store_credit", customer_id="C-1", amount="18", reason="x")
    spent = Decimal(0)
    while spent + 18 <= 270:
        assert sessions[0].actions.take(credit).record.status == "executed"
        spent += 18
    # 270.00 spent: 30.00 left, so exactly one more 18.00 fits.
    results = _race(sessions, credit)
    assert sorted(results) == ["denied"] * 7 + ["executed"]
    with read_session(db) as s:
        executed = s.execute(select(Action.amount).where(Action.status == "executed")).all()
    assert sum(a for (a,) in executed) == Decimal("288.00")


def test_many_agents_cannot_exceed_a_per_customer_allowance(db: Database) -> None:
    """Eight agents race to give one customer a discount; the policy allows two in 90 days."""
    _shop(db)
    agents = add_agents(db, *(f"agent{i}" for i in range(8)))
    desks = [Workbench.open(db, a, POLICY, clock=lambda: NOW) for a in agents]
    results = _race(desks, _discount("10"))
    assert sorted(results) == ["denied"] * 6 + ["executed"] * 2


def test_a_guarantee_is_kept_once_per_order(sqlite_db: Database) -> None:
    add_customer(sqlite_db, "C-1", "Dana Whitfield", "standard")
    add_order(
        sqlite_db,
        "W1",
        placed=NOW - timedelta(days=6),
        delivered=NOW - timedelta(days=2),
        promised=(NOW - timedelta(days=4)).date(),
    )
    alex, sam = _desk(sqlite_db, "alex"), _desk(sqlite_db, "sam")
    credit = ActionRequest(
        kind="store_credit", customer_id="C-1", order_id="W1", amount="10", reason="late"
    )
    assert alex.actions.take(credit).record.rule == "guarantees.two_day_shipping"
    again = sam.actions.take(credit).record  # another agent, same broken promise
    assert again.rule == "actions.store_credit.limit.amount" and not again.outside_budget
    assert sam.actions.preview(credit).verdict.headroom.budget_amount_left == Decimal("390.00")


def test_money_given_back_never_exceeds_the_order_total(db: Database) -> None:
    _shop(db)  # W1: 200.00, delivered five days ago
    alex, sam = _desk(db, "alex"), _desk(db, "sam")
    refund = ActionRequest(
        kind="refund", customer_id="C-1", order_id="W1", amount="150", reason="broken"
    )
    assert alex.actions.take(refund).record.status == "executed"
    second = sam.actions.take(refund).record
    assert second.status == "denied" and second.rule == "actions.refund"
    assert "with the 150.00 already given back would be more than the order's 200.00 total" in (
        second.verdict_reason
    )
    assert sam.actions.take(_discount("20")).record.status == "executed"  # 170.00 of 200.00


def test_an_order_is_cancelled_once(sqlite_db: Database) -> None:
    add_customer(sqlite_db, "C-1", "Dana Whitfield", "standard")
    add_order(sqlite_db, "W2", placed=NOW - timedelta(days=1), status="pending")
    alex, sam = _desk(sqlite_db, "alex"), _desk(sqlite_db, "sam")
    cancel = ActionRequest(kind="cancel_order", customer_id="C-1", order_id="W2", reason="x")
    assert alex.actions.take(cancel).record.status == "executed"
    second = sam.actions.take(cancel).record
    # The first cancel cancelled the order: the second is refused as the order now stands.
    assert second.status == "denied" and "not cancelled" in second.verdict_reason


def test_two_supervisors_approving_at_once_execute_it_once(db: Database) -> None:
    _shop(db)
    alex = _desk(db, "alex")
    record = alex.actions.take(_discount("30")).record
    supervisors = [_desk(db, f"boss{i}", role="supervisor") for i in range(4)]
    barrier = threading.Barrier(len(supervisors))
    changed: list[bool] = []

    def decide(desk: Workbench) -> None:
        barrier.wait()
        changed.append(desk.approvals.approve(record.id, "ok").changed)

    threads = [threading.Thread(target=decide, args=(d,)) for d in supervisors]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(changed) == [False, False, False, True]
    actions = [a for _, a, _ in _audit(db)]
    assert actions.count("action.approve") == 1 and actions.count("action.execute") == 1


def test_a_missing_reason_is_asked_for_in_the_preview_and_denied_when_taken(
    sqlite_db: Database,
) -> None:
    _shop(sqlite_db)
    alex = _desk(sqlite_db, "alex")
    seen = alex.actions.preview(_discount("20", reason="  "))
    assert seen.reason_needed and seen.verdict.verdict == "allow"
    over = alex.actions.preview(_discount("60", reason=""))
    assert over.reason_needed and over.verdict.verdict == "needs_approval"
    assert not alex.actions.preview(_discount("20")).reason_needed
    taken = alex.actions.take(_discount("20", reason=""))
    assert taken.record.status == "denied"
    assert taken.record.rule == "actions.discount.requires_reason"


def test_the_shipped_policy_refunds_a_returned_order(sqlite_db: Database) -> None:
    add_customer(sqlite_db, "C-1", "Dana Whitfield", "standard")
    add_order(
        sqlite_db,
        "W2",
        placed=NOW - timedelta(days=20),
        delivered=NOW - timedelta(days=15),
        status="returned",
        price="80.00",
    )
    alex = _desk(sqlite_db, "alex")
    refund = ActionRequest(
        kind="refund", customer_id="C-1", order_id="W2", amount="80", reason="returned"
    )
    outcome = alex.actions.take(refund)
    assert outcome.record.status == "executed"


def test_verdict_sentences_read_as_english(sqlite_db: Database) -> None:
    _shop(sqlite_db)
    alex = _desk(sqlite_db, "alex")
    credit = ActionRequest(kind="store_credit", customer_id="C-1", amount="500", reason="r")
    reason = alex.actions.preview(credit).verdict.reason
    assert reason.startswith("store credit of 500.00 is above")
    assert "store_credit" not in reason
    alex.actions.take(_discount("20"))
    alex.actions.take(_discount("20"))
    third = alex.actions.preview(_discount("5")).verdict.reason
    assert third.startswith("the customer already had 2 discount grants in the last 90 days")
