"""Policy files and verdicts: pure functions, no database."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from workspace.errors import InputRejected
from workspace.policy import Headroom, Policy, Proposal, Usage, Verdict, decide
from workspace.policy_file import default_policy, load_policy, parse_policy

D = Decimal
POLICY = default_policy()


def propose(action: str = "discount", amount: str = "10.00", **changes: object) -> Proposal:
    facts: dict[str, object] = {
        "action": action,
        "amount": D(amount),
        "order_total": D("200.00"),
        "order_status": "delivered",
        "order_age_days": 5,
        "reason": "cracked jug",
        "customer_tier": "standard",
        "agent_role": "agent",
        "late_by_days": None,
    }
    facts.update(changes)
    return Proposal(**facts)  # type: ignore[arg-type]


def check(proposal: Proposal, usage: Usage | None = None, policy: Policy = POLICY) -> Verdict:
    return decide(policy, proposal, usage or Usage())


def test_the_default_policy_loads() -> None:
    assert POLICY.version == 1 and POLICY.currency == "USD"
    assert set(POLICY.actions) == {
        "discount",
        "refund",
        "replacement",
        "store_credit",
        "reship",
        "cancel_order",
    }
    assert POLICY.guarantees["two_day_shipping"].amount == D("10.00")


def test_allow_within_every_limit() -> None:
    verdict = check(propose("refund", "100.00"))
    # The rule that decided it is the limit it was held to: the lower of 150.00 and 100% of
    # the 200.00 order.
    assert verdict.verdict == "allow" and verdict.rule == "actions.refund.limit.amount"
    assert "100.00" in verdict.reason and not verdict.outside_budget
    small = check(propose("refund", "100.00", order_total=D("120.00")))
    assert small.rule == "actions.refund.limit.percent_of_order"
    unbounded = check(propose("cancel_order", "0.00", order_status="pending"))
    assert (unbounded.verdict, unbounded.rule) == ("allow", "actions.cancel_order")


def test_unknown_action_is_denied() -> None:
    verdict = check(propose("teleport"))
    assert (verdict.verdict, verdict.rule) == ("deny", "actions.teleport")
    assert verdict.headroom == Headroom(None, None, None)


def test_action_missing_from_actions_is_denied() -> None:
    policy = parse_policy({"version": 1, "currency": "USD", "actions": {"refund": {}}}, "p.yaml")
    assert check(propose("discount"), policy=policy).verdict == "deny"


def test_missing_reason_is_denied() -> None:
    verdict = check(propose("discount", reason="  "))
    assert (verdict.verdict, verdict.rule) == ("deny", "actions.discount.requires_reason")


def test_wrong_order_status_is_denied() -> None:
    verdict = check(propose("refund", order_status="shipped"))
    assert (verdict.verdict, verdict.rule) == ("deny", "actions.refund.order_status")
    assert "delivered" in verdict.reason and "shipped" in verdict.reason


def test_order_too_old_is_denied() -> None:
    verdict = check(propose("refund", order_age_days=31))
    assert (verdict.verdict, verdict.rule) == ("deny", "actions.refund.order_age_days")
    assert "30 days" in verdict.reason and "31 days old" in verdict.reason
    assert check(propose("refund", order_age_days=30)).verdict == "allow"


def test_above_the_limit_needs_approval_with_the_figures() -> None:
    verdict = check(propose("refund", "180.00"))
    assert (verdict.verdict, verdict.rule) == ("needs_approval", "actions.refund.limit.amount")
    assert verdict.reason == (
        "refund of 180.00 is above the 150.00 an agent may give alone; "
        "a supervisor can approve up to 1000.00"
    )


def test_above_the_approval_band_is_denied() -> None:
    verdict = check(propose("refund", "1000.01", order_total=D("2000.00")))
    assert (verdict.verdict, verdict.rule) == ("deny", "actions.refund.approval.up_to_amount")
    assert "1000.01" in verdict.reason and "1000.00" in verdict.reason


def test_above_a_limit_without_approval_band_is_denied() -> None:
    verdict = check(propose("reship", "150.01", order_status="shipped"))
    assert (verdict.verdict, verdict.rule) == ("deny", "actions.reship.limit.amount")
    assert "no approval is possible" in verdict.reason
    assert check(propose("reship", "150.00", order_status="shipped")).verdict == "allow"


def test_percent_of_order_limit_is_the_lower_cap() -> None:
    verdict = check(propose("discount", "22.00", order_total=D("100.00")))
    assert verdict.verdict == "needs_approval"
    assert verdict.rule == "actions.discount.limit.percent_of_order"
    assert "20.00 (20% of the 100.00 order)" in verdict.reason
    assert check(propose("discount", "20.00", order_total=D("100.00"))).verdict == "allow"


def test_gold_tier_raises_the_discount_limit() -> None:
    assert check(propose("discount", "35.00")).verdict == "needs_approval"
    verdict = check(propose("discount", "35.00", customer_tier="gold"))
    assert verdict.verdict == "allow"
    above = check(propose("discount", "45.00", customer_tier="gold"))
    assert above.rule == "tiers.gold.discount.limit.amount" and "40.00" in above.reason


def test_senior_role_merges_over_gold_keeping_the_tier_percent() -> None:
    senior = {"customer_tier": "gold", "agent_role": "senior"}
    assert check(propose("discount", "48.00", **senior)).verdict == "allow"
    verdict = check(propose("discount", "55.00", **senior))
    assert verdict.rule == "roles.senior.discount.limit.amount"
    capped = check(propose("discount", "45.00", order_total=D("100.00"), **senior))
    assert capped.rule == "tiers.gold.discount.limit.percent_of_order"
    assert "30.00 (30% of the 100.00 order)" in capped.reason


def test_a_broken_guarantee_allows_outside_the_budget() -> None:
    spent = Usage(agent_month_amount=D("400.00"))
    verdict = check(propose("store_credit", "10.00", late_by_days=2), spent)
    assert (verdict.verdict, verdict.rule) == ("allow", "guarantees.two_day_shipping")
    assert verdict.outside_budget and "10.00" in verdict.reason


def test_no_guarantee_when_not_late_or_above_its_amount() -> None:
    spent = Usage(agent_month_amount=D("400.00"))
    on_time = check(propose("store_credit", "10.00", late_by_days=0), spent)
    assert (on_time.verdict, on_time.outside_budget) == ("deny", False)
    assert on_time.rule == "actions.store_credit.budget.amount"
    more = check(propose("store_credit", "15.00", late_by_days=3))
    assert (more.verdict, more.rule) == ("allow", "actions.store_credit.limit.amount")


def test_budget_amount_exhausted_needs_approval_within_the_band() -> None:
    usage = Usage(agent_month_amount=D("290.00"), agent_month_count=3)
    verdict = check(propose("discount", "20.00"), usage)
    assert (verdict.verdict, verdict.rule) == ("needs_approval", "actions.discount.budget.amount")
    assert "10.00 left" in verdict.reason and "300.00" in verdict.reason
    assert verdict.headroom == Headroom(D("10.00"), 12, 2)


def test_budget_exceeded_without_a_band_is_denied() -> None:
    verdict = check(propose("store_credit", "15.00"), Usage(agent_month_amount=D("390.00")))
    assert (verdict.verdict, verdict.rule) == ("deny", "actions.store_credit.budget.amount")


def test_budget_amount_above_the_band_is_denied() -> None:
    usage = Usage(agent_month_amount=D("290.00"))
    assert check(propose("discount", "101.00", order_total=D("900.00")), usage).verdict == "deny"


def test_budget_count_exhausted_needs_approval() -> None:
    verdict = check(propose("discount", "5.00"), Usage(agent_month_count=15))
    assert (verdict.verdict, verdict.rule) == ("needs_approval", "actions.discount.budget.count")
    assert "15" in verdict.reason and verdict.headroom.budget_count_left == 0


def test_per_customer_exhausted_is_denied() -> None:
    verdict = check(propose("discount", "5.00"), Usage(customer_grants_in_window=2))
    assert (verdict.verdict, verdict.rule) == ("deny", "actions.discount.per_customer.count")
    assert "2" in verdict.reason and "90 days" in verdict.reason
    assert verdict.headroom.per_customer_left == 0


def test_headroom_without_limits_is_none() -> None:
    verdict = check(propose("cancel_order", "0", order_status="pending"))
    assert verdict.verdict == "allow" and verdict.headroom == Headroom(None, None, None)


# Malformed files ----------------------------------------------------------------------

GOOD = "version: 1\ncurrency: USD\nactions:\n  refund:\n    limit: {amount: 150.00}\n"


def refused(tmp_path: Path, text: str) -> list[tuple[str | None, str]]:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputRejected) as rejected:
        load_policy(path)
    assert "refused" in str(rejected.value)
    return [(p.field, p.message) for p in rejected.value.problems]


def test_a_good_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(GOOD, encoding="utf-8")
    assert load_policy(path).actions["refund"]["limit.amount"] == D("150.00")


def test_unknown_key_is_named(tmp_path: Path) -> None:
    problems = refused(tmp_path, GOOD + "    limt: {amount: 1}\n")
    assert problems[0][0] == "actions.refund.limt" and "unknown key" in problems[0][1]


def test_wrong_type_and_all_problems_listed(tmp_path: Path) -> None:
    text = GOOD.replace("150.00", "lots") + "    order_age_days: soon\n"
    problems = dict(refused(tmp_path, text))
    assert "got 'lots'" in problems["actions.refund.limit.amount"]
    assert "whole number" in problems["actions.refund.order_age_days"]


def test_three_decimals_and_negative_amounts_are_refused(tmp_path: Path) -> None:
    problems = dict(refused(tmp_path, GOOD.replace("150.00", "25.005")))
    assert "at most 2 decimals" in problems["actions.refund.limit.amount"]
    problems = dict(refused(tmp_path, GOOD.replace("150.00", "-1")))
    assert ">= 0" in problems["actions.refund.limit.amount"]


def test_percent_above_100_is_refused(tmp_path: Path) -> None:
    problems = dict(refused(tmp_path, GOOD.replace("amount: 150.00", "percent_of_order: 101")))
    assert "0 to 100" in problems["actions.refund.limit.percent_of_order"]


def test_missing_required_keys(tmp_path: Path) -> None:
    problems = dict(refused(tmp_path, "tiers: {}\n"))
    for key in ("version", "currency", "actions"):
        assert problems[key] == "is required"


def test_bad_version_and_currency(tmp_path: Path) -> None:
    text = GOOD.replace("version: 1", "version: 2").replace("USD", "dollars")
    problems = dict(refused(tmp_path, text))
    assert "expected 1" in problems["version"] and "three-letter" in problems["currency"]


def test_unknown_action_and_order_state(tmp_path: Path) -> None:
    text = GOOD + "  teleport: {}\n  reship: {order_status: [lost]}\n"
    problems = dict(refused(tmp_path, text))
    assert "unknown key" in problems["actions.teleport"]
    assert "order states" in problems["actions.reship.order_status"]


def test_override_of_missing_action_and_bad_guarantee(tmp_path: Path) -> None:
    text = GOOD + (
        "tiers:\n  gold:\n    discount: {limit: {amount: 40.00}}\n"
        "guarantees:\n  fast:\n    when: {}\n    grants: {action: reship, amount: 5.00}\n"
    )
    problems = dict(refused(tmp_path, text))
    assert "not under actions" in problems["tiers.gold.discount"]
    assert problems["guarantees.fast.when.late_by_days"] == "is required"
    assert "got 'reship'" in problems["guarantees.fast.grants.action"]


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    bomb = 'a: &a ["x","x"]\nb: &b [*a,*a]\nc: [*b,*b]\n'
    problems = refused(tmp_path, bomb)
    assert problems[0][0] is None and "aliases" in problems[0][1]


def test_file_over_1_mb_is_refused(tmp_path: Path) -> None:
    problems = refused(tmp_path, GOOD + "#" * (1024 * 1024) + "\n")
    assert "1 MB" in problems[0][1]


def test_not_a_mapping_is_refused(tmp_path: Path) -> None:
    problems = refused(tmp_path, "- just\n- a list\n")
    assert problems[0][0] is None and "expected a mapping" in problems[0][1]


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("version: 1\nactions: [\n", encoding="utf-8")
    with pytest.raises(InputRejected) as rejected:
        load_policy(path)
    assert rejected.value.problems[0].where.startswith("policy.yaml:")


def test_per_customer_needs_both_count_and_days(tmp_path: Path) -> None:
    problems = dict(refused(tmp_path, GOOD + "    per_customer: {count: 1}\n"))
    assert "count and days" in problems["actions.refund.per_customer"]


def test_a_guarantee_already_granted_on_the_order_is_not_granted_again() -> None:
    used = Usage(agent_month_amount=D("400.00"), order_guarantee_grants=1)
    verdict = check(propose("store_credit", "10.00", late_by_days=2), used)
    assert (verdict.verdict, verdict.rule) == ("deny", "actions.store_credit.budget.amount")
    assert not verdict.outside_budget


def test_refunds_and_discounts_stay_within_the_order_total() -> None:
    given = Usage(order_given_back=D("190.00"))
    assert check(propose("refund", "10.00"), given).verdict == "allow"  # exactly 200.00
    over = check(propose("refund", "10.01"), given)
    assert (over.verdict, over.rule) == ("deny", "actions.refund")
    assert "already given back would be more than the order's 200.00 total" in over.reason
    assert check(propose("store_credit", "10.00"), given).verdict == "allow"  # not money back


@pytest.mark.parametrize("action", ["cancel_order", "reship"])
def test_cancel_and_reship_happen_once_per_order(action: str) -> None:
    status = {"cancel_order": "pending", "reship": "shipped"}[action]
    first = check(propose(action, "50.00", order_status=status))
    assert first.verdict == "allow"
    again = check(propose(action, "50.00", order_status=status), Usage(order_same_action=1))
    assert (again.verdict, again.rule) == ("deny", f"actions.{action}")
    assert "once per order" in again.reason


def test_money_back_above_the_order_total_says_so_plainly() -> None:
    over = check(propose("refund", "250.00"))
    assert over.reason == "refund of 250.00 would be more than the order's 200.00 total"
