"""Scoring answers against a scenario: each finding of the spec, the score, `passed`, and the
autopilot's 100. The scenario is the spec's own example, under the policy CareDesk ships."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from workspace.errors import InputRejected
from workspace.policy_file import default_policy
from workspace.replay.autopilot import autopilot
from workspace.replay.model import (
    AmountRange,
    Answers,
    Contact,
    Expect,
    ExpectedAction,
    ForbiddenAction,
    HistoryEntry,
    Scenario,
    ScenarioCustomer,
    ScenarioItem,
    ScenarioOrder,
    Step,
    Turn,
)
from workspace.replay.scoring import PASS_MARK, WEIGHTS, score


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def s(seconds: int) -> timedelta:
    return timedelta(seconds=seconds)


BLENDER = Scenario(
    version=1,
    id="late-blender",
    title="Two-day guarantee missed, jug cracked",
    policy=default_policy(),
    now=at("2026-11-07T09:00:00+00:00"),
    customer=ScenarioCustomer("C-1001", "Dana Whitfield", tier="gold"),
    orders=(
        ScenarioOrder(
            id="W1001",
            placed_at=at("2026-11-01T09:00:00+00:00"),
            status="delivered",
            promised_by=date(2026, 11, 3),
            delivered_at=at("2026-11-05T15:00:00+00:00"),
            items=(ScenarioItem("BL-200", "Countertop blender", Decimal("129.00")),),
        ),
    ),
    history=(
        HistoryEntry(at("2026-11-04T10:02:00+00:00"), "chat", "inbound", "Where is it?"),
        HistoryEntry(at("2026-11-04T10:05:00+00:00"), "chat", "outbound", "Tomorrow.", None, "sam"),
        HistoryEntry(
            at("2026-11-06T08:40:00+00:00"),
            "email",
            "inbound",
            "It finally came, two days late, and the jug is cracked.",
            "Blender arrived with a cracked jug",
        ),
    ),
    contact=Contact(
        "call",
        "Cracked jug, late delivery",
        (
            Turn("Hi, I've written twice already.", at=s(0)),
            Turn("Thanks!", after_action="replacement"),
        ),
    ),
    expect=Expect(
        actions=(
            ExpectedAction("replacement", "W1001", ("BL-200",)),
            ExpectedAction(
                "store_credit", "W1001", (), AmountRange(Decimal("10.00"), Decimal("10.00"))
            ),
        ),
        forbidden=(ForbiddenAction("refund"),),
        disposition="resolved",
        review_history=(2,),
        reply_phrases_any=("sorry", "apolog", "I hear you"),
        within=timedelta(minutes=8),
    ),
)

GOOD = (
    Step(s(5), "open", open="history/2"),
    Step(s(30), "reply", reply="I'm so SORRY, that should never happen."),
    Step(s(60), "action", action="replacement", order="W1001", items=("BL-200",), reason="cracked"),
    Step(
        s(75),
        "action",
        action="store_credit",
        order="W1001",
        amount=Decimal("10.00"),
        reason="late",
    ),
    Step(s(90), "resolve", resolve="resolved"),
)


def answers(*steps: Step) -> Answers:
    return Answers("late-blender", tuple(steps), trainee="Robin")


def kinds(steps: tuple[Step, ...]) -> list[str]:
    return [f.kind for f in score(BLENDER, answers(*steps)).findings]


def test_the_specs_answers_score_100_with_each_action_decided() -> None:
    report = score(BLENDER, answers(*GOOD))
    assert (report.score, report.passed, report.findings) == (100, True, ())
    shown = report.as_json()
    assert shown["trainee"] == "Robin"
    assert [(a["action"], a["order"], a["amount"], a["verdict"]) for a in shown["actions"]] == [
        ("replacement", "W1001", "129.00", "allow"),
        ("store_credit", "W1001", "10.00", "allow"),
    ]
    # The store credit is the broken two-day promise's: granted outside the budget.
    assert shown["actions"][1]["rule"] == "guarantees.two_day_shipping"
    assert report.actions[1].outside_budget


def test_the_autopilot_scores_100() -> None:
    played = autopilot(BLENDER)
    report = score(BLENDER, played)
    assert (report.score, report.passed, report.findings) == (100, True, ())
    assert played.steps[-1].at <= timedelta(minutes=8)


def test_a_forbidden_action_fails_whatever_the_score() -> None:
    refund = Step(s(80), "action", action="refund", order="W1001", amount=Decimal("20.00"))
    report = score(BLENDER, answers(*GOOD[:4], refund, GOOD[4]))
    assert [f.kind for f in report.findings] == ["forbidden_action"]
    assert report.score == 100 - WEIGHTS["forbidden_action"]
    assert "refund of 20.00 on W1001 should not have been offered" in report.findings[0].detail
    assert not report.passed


def test_an_action_the_policy_denies_fails_and_names_the_rule() -> None:
    # Even with a supervisor's approval a discount stops at 100.00: 110.00 is refused.
    discount = Step(s(80), "action", action="discount", order="W1001", amount=Decimal("110.00"))
    report = score(BLENDER, answers(*GOOD[:4], replace(discount, reason="sorry"), GOOD[4]))
    assert [f.kind for f in report.findings] == ["policy_denied"]
    assert "actions.discount.approval.up_to_amount" in report.findings[0].detail
    assert report.score == 80 and not report.passed


def test_a_second_replacement_of_one_order_is_denied_by_what_the_first_used() -> None:
    again = replace(GOOD[2], at=s(70))
    report = score(BLENDER, answers(*GOOD[:3], again, *GOOD[3:]))
    assert [a.verdict for a in report.actions] == ["allow", "deny", "allow"]
    assert [f.kind for f in report.findings] == ["policy_denied"]


def test_the_wrong_amount_and_a_missing_action() -> None:
    credit = replace(GOOD[3], amount=Decimal("15.00"))
    report = score(BLENDER, answers(GOOD[0], GOOD[1], credit, GOOD[4]))
    assert [f.kind for f in report.findings] == ["missing_action", "wrong_amount"]
    assert report.findings[0].detail == "expected replacement on W1001 was not taken"
    assert report.findings[1].detail == "store credit on W1001 was 15.00; expected 10.00"
    assert report.score == 100 - 25 - 15 and not report.passed


def test_skipping_the_history_and_no_empathy() -> None:
    cold = replace(GOOD[1], reply="Replacement sent.")
    report = score(BLENDER, answers(cold, *GOOD[2:]))
    assert [f.kind for f in report.findings] == ["history_not_reviewed", "no_empathy"]
    assert "history entry 2 (email, 2026-11-06" in report.findings[0].detail
    assert report.score == PASS_MARK and report.passed


def test_resolving_too_late_or_never() -> None:
    late = replace(GOOD[4], at=timedelta(minutes=9, seconds=30))
    report = score(BLENDER, answers(*GOOD[:4], late))
    assert [f.detail for f in report.findings] == ["it was closed after 9m; expected within 8m"]
    assert kinds(GOOD[:4]) == ["wrong_disposition", "over_time"]
    assert kinds((*GOOD[:4], replace(GOOD[4], resolve="pending"))) == ["wrong_disposition"]


def test_an_unexpected_action_that_would_wait_is_a_finding_an_expected_one_is_not() -> None:
    # 60.00 off a 129.00 order is above the gold limit of 40.00 and within the approval band.
    ask = Step(s(80), "action", action="discount", order="W1001", amount=Decimal("60.00"))
    report = score(BLENDER, answers(*GOOD[:4], replace(ask, reason="goodwill"), GOOD[4]))
    assert [f.kind for f in report.findings] == ["needs_approval"]
    assert report.actions[-1].verdict == "needs_approval"
    expected = replace(
        BLENDER,
        expect=replace(
            BLENDER.expect,
            actions=(*BLENDER.expect.actions, ExpectedAction("discount", "W1001")),
        ),
    )
    report = score(expected, answers(*GOOD[:4], replace(ask, reason="goodwill"), GOOD[4]))
    assert report.findings == () and report.score == 100


def test_nothing_done_scores_nothing() -> None:
    report = score(BLENDER, answers())
    assert report.score == 100 - 2 * 25 - 10 - 10 - 15 - 10 and not report.passed
    assert {f.kind for f in report.findings} == {
        "missing_action",
        "history_not_reviewed",
        "no_empathy",
        "wrong_disposition",
        "over_time",
    }


@pytest.mark.parametrize(
    ("step", "field", "said"),
    [
        (Step(s(1), "open", open="history/7"), "steps[0].open", "expected history/0 to history/2"),
        (
            Step(s(1), "action", action="refund", order="W9", amount=Decimal("1.00")),
            "steps[0].order",
            "'W9' is not an order here (W1001)",
        ),
        (
            Step(s(1), "action", action="replacement", order="W1001", items=("XX-1",)),
            "steps[0].items",
            "no item 'XX-1'; order W1001 has BL-200",
        ),
        (
            Step(s(1), "action", action="refund", order="W1001"),
            "steps[0].amount",
            "needs an amount",
        ),
    ],
)
def test_answers_naming_what_the_scenario_lacks_are_refused(
    step: Step, field: str, said: str
) -> None:
    with pytest.raises(InputRejected) as refused:
        score(BLENDER, answers(step))
    (problem,) = refused.value.problems
    assert problem.field == field and said in problem.message


def test_answers_for_another_scenario_are_refused() -> None:
    with pytest.raises(InputRejected, match="this scenario is 'late-blender'"):
        score(BLENDER, Answers("other", ()))
