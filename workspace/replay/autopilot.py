"""The autopilot: a scenario's own `expect` played as a trainee's answers (specs/scenario.md).

It opens the history the scenario names, replies with its first phrase, takes its actions at
their smallest allowed amount and closes the contact as expected, a few seconds apart. A
well-formed scenario scores 100 this way: it is how a trainer checks that a scenario can be
solved within its policy, and `caredesk scenario check` runs it on every file.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from workspace.replay.model import Answers, ExpectedAction, Scenario, Step
from workspace.vocabulary import ActionKind

PACE = timedelta(seconds=5)
"""Time between two of the autopilot's steps (less when the scenario's `within` is short)."""

REASON = "autopilot: the scenario's expected action"
"""The reason typed for every action (a policy may require one)."""

THANKS = "Thank you for your patience."
"""The reply when the scenario names no phrase."""

SMALLEST = Decimal("0.01")
"""A typed amount with no lower bound in the scenario."""


def _amount(expected: ExpectedAction) -> Decimal | None:
    if not ActionKind(expected.action).typed_amount:
        return None
    bounds = expected.amount
    if bounds is None:
        return SMALLEST
    if bounds.min is not None:
        return bounds.min
    assert bounds.max is not None
    return min(SMALLEST, bounds.max)


def autopilot(scenario: Scenario) -> Answers:
    """The answers that play `scenario`'s expectations."""
    expect = scenario.expect
    steps: list[Step] = []
    count = len(expect.review_history) + len(expect.actions) + 2
    pace = PACE if expect.within is None else min(PACE, expect.within / count)

    def at() -> timedelta:
        return pace * (len(steps) + 1)

    for index in expect.review_history:
        steps.append(Step(at=at(), kind="open", open=f"history/{index}"))
    phrase = expect.reply_phrases_any[0] if expect.reply_phrases_any else THANKS
    steps.append(Step(at=at(), kind="reply", reply=phrase))
    for expected in expect.actions:
        steps.append(
            Step(
                at=at(),
                kind="action",
                action=expected.action,
                order=expected.order,
                items=expected.items,
                amount=_amount(expected),
                reason=REASON,
            )
        )
    steps.append(Step(at=at(), kind="resolve", resolve=expect.disposition or "resolved"))
    return Answers(scenario=scenario.id, steps=tuple(steps), trainee="autopilot")
