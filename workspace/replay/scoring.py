"""Scoring a trainee's answers against their scenario (specs/scenario.md): pure, no database.

Each action in the answers is decided by the policy exactly as the workspace decides it
(`workspace.policy.decide`, with the order's facts on the scenario clock and what the same
answers already gave as the usage), so the report a trainee sees at the end of a replay, and
the one `caredesk replay --answers` prints later, are the same report.

Scoring starts at 100 and takes off each finding's weight (`WEIGHTS`), never below 0. A
replay passes with at least `PASS_MARK` and no forbidden or denied action. An action that
needs a supervisor's approval counts as taken when the scenario expects it (asking is the
lesson; in a replay the trainer is the supervisor), and is a `needs_approval` finding when
it does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from workspace.errors import InputRejected, Problem
from workspace.policy import Proposal, Usage, Verdict, decide, resolve
from workspace.proposals import proposal_of, replacement_value
from workspace.replay.model import Answers, ExpectedAction, Scenario, Step
from workspace.sla import format_duration
from workspace.vocabulary import ActionKind, VerdictKind, member

WEIGHTS: dict[str, int] = {
    "forbidden_action": 40,
    "missing_action": 25,
    "policy_denied": 20,
    "wrong_amount": 15,
    "wrong_disposition": 15,
    "needs_approval": 10,
    "history_not_reviewed": 10,
    "no_empathy": 10,
    "over_time": 10,
}
"""Points each finding takes off the score (`history_not_reviewed`: for each entry missed)."""

PASS_MARK = 80
"""The least score that passes (with no `forbidden_action` and no `policy_denied`)."""

FAILS_ALONE = frozenset({"forbidden_action", "policy_denied"})
"""Findings that fail a replay whatever the score."""

_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Finding:
    """Something the trainee did, or did not do, that the trainer can coach from."""

    kind: str
    """One of `WEIGHTS`."""
    detail: str
    """One sentence naming what, where and what was expected."""


@dataclass(frozen=True)
class ScoredAction:
    """An action the trainee took, with the verdict and the rule the policy gave it."""

    step: int
    """Its index in the answers' steps."""
    at: timedelta
    action: str
    order: str | None
    amount: Decimal
    verdict: str
    rule: str
    reason: str
    """The policy's sentence."""
    outside_budget: bool = False


@dataclass(frozen=True)
class Report:
    """The scored replay."""

    scenario: str
    score: int
    passed: bool
    findings: tuple[Finding, ...]
    actions: tuple[ScoredAction, ...]
    trainee: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The JSON report of the spec: scenario, score, passed, findings, actions."""
        out: dict[str, Any] = {
            "scenario": self.scenario,
            "score": self.score,
            "passed": self.passed,
            "findings": [{"kind": f.kind, "detail": f.detail} for f in self.findings],
            "actions": [
                {
                    "action": a.action,
                    "order": a.order,
                    "amount": f"{a.amount:.2f}",
                    "verdict": a.verdict,
                    "rule": a.rule,
                    "reason": a.reason,
                    "at": f"{int(a.at.total_seconds())}s",
                }
                for a in self.actions
            ],
        }
        if self.trainee is not None:
            out["trainee"] = self.trainee
        return out


def score(scenario: Scenario, answers: Answers) -> Report:
    """The report on `answers` played against `scenario`; raises `InputRejected` (naming the
    answers file and the step) when the answers name what the scenario does not have."""
    _check_refs(scenario, answers)
    actions = _decide_all(scenario, answers)
    findings = [
        *_action_findings(scenario, actions, answers.steps),
        *_history_findings(scenario, answers),
        *_reply_findings(scenario, answers),
        *_end_findings(scenario, answers),
    ]
    points = 100 - sum(WEIGHTS[f.kind] for f in findings)
    total = max(0, points)
    passed = total >= PASS_MARK and not any(f.kind in FAILS_ALONE for f in findings)
    return Report(scenario.id, total, passed, tuple(findings), tuple(actions), answers.trainee)


# -- the answers against the scenario --------------------------------------------------------


def _check_refs(scenario: Scenario, answers: Answers) -> None:
    source = str(answers.source or "answers")
    name = answers.source.name if answers.source else "answers"
    problems: list[Problem] = []
    if answers.scenario != scenario.id:
        problems.append(
            Problem(name, "scenario", f"is {answers.scenario!r}; this scenario is {scenario.id!r}")
        )
    known = ", ".join(o.id for o in scenario.orders) or "none"
    for n, step in enumerate(answers.steps):
        where = f"steps[{n}]"
        if step.kind == "open":
            index = step.history_index
            if index is None or index >= len(scenario.history):
                last = len(scenario.history) - 1
                expected = f"history/0 to history/{last}" if last >= 0 else "nothing: no history"
                problems.append(
                    Problem(name, f"{where}.open", f"{step.open!r}: expected {expected}")
                )
        if step.kind != "action":
            continue
        kind = member(ActionKind, step.action or "")
        if kind is None:
            problems.append(Problem(name, f"{where}.action", f"unknown action {step.action!r}"))
            continue
        order = scenario.order(step.order) if step.order else None
        if step.order and order is None:
            problems.append(
                Problem(name, f"{where}.order", f"{step.order!r} is not an order here ({known})")
            )
        elif kind.needs_order and order is None:
            problems.append(
                Problem(name, f"{where}.order", f"{kind.words} needs an order ({known})")
            )
        elif kind.takes_items and order is not None:
            skus = {i.sku for i in order.items}
            unknown = [s for s in step.items if s not in skus]
            if not step.items or unknown:
                what = f"no item {unknown[0]!r}" if unknown else "no items chosen"
                problems.append(
                    Problem(
                        name,
                        f"{where}.items",
                        f"{what}; order {order.id} has {', '.join(sorted(skus))}",
                    )
                )
        if kind.typed_amount and step.amount is None:
            problems.append(Problem(name, f"{where}.amount", f"{kind.words} needs an amount"))
    if problems:
        raise InputRejected(source, problems)


def _proposal(scenario: Scenario, step: Step, kind: ActionKind) -> Proposal:
    """The proposal the desk would make of this step (`workspace.actions.proposal_of`)."""
    order = scenario.order(step.order) if step.order else None
    record = order.record(scenario.customer.id) if order else None
    if kind.takes_items:
        assert record is not None
        amount, _items = replacement_value(record, step.items)
    elif kind.whole_order:
        assert record is not None
        amount = record.total
    else:
        assert step.amount is not None
        amount = step.amount
    return proposal_of(
        kind,
        amount.quantize(_CENT),
        record,
        step.reason,
        scenario.customer.tier,
        scenario.agent.role,
        scenario.now + step.at,
    )


def _usage(
    scenario: Scenario,
    proposal: Proposal,
    at: datetime,
    before: list[ScoredAction],
    order: str | None,
) -> Usage:
    """What the same answers already committed, counted as the workspace's usage query counts
    the database: waiting requests included, denied attempts not; guarantee grants outside
    the agent's budget; per customer within the rule's window; per order by anyone."""
    committed = [a for a in before if a.verdict != VerdictKind.DENY]
    rule = resolve(scenario.policy, proposal.action, proposal.customer_tier, proposal.agent_role)
    cap = rule.rule.per_customer if rule else None
    month = at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    same = [a for a in committed if a.action == proposal.action]
    mine = [a for a in same if not a.outside_budget and scenario.now + a.at >= month]
    window = (
        [a for a in same if scenario.now + a.at >= at - timedelta(days=cap.days)] if cap else []
    )
    on_order = [a for a in committed if order is not None and a.order == order]
    return Usage(
        agent_month_amount=sum((a.amount for a in mine), Decimal("0.00")),
        agent_month_count=len(mine),
        customer_grants_in_window=len(window),
        order_given_back=sum(
            (a.amount for a in on_order if ActionKind(a.action).money_back), Decimal("0.00")
        ),
        order_same_action=sum(1 for a in on_order if a.action == proposal.action),
        order_guarantee_grants=sum(1 for a in on_order if a.outside_budget),
    )


def _decide_all(scenario: Scenario, answers: Answers) -> list[ScoredAction]:
    """Every action of the answers, decided in order, each seeing those before it."""
    taken: list[ScoredAction] = []
    for n, step in enumerate(answers.steps):
        if step.kind != "action":
            continue
        kind = ActionKind(step.action or "")
        proposal = _proposal(scenario, step, kind)
        usage = _usage(scenario, proposal, scenario.now + step.at, taken, step.order)
        verdict: Verdict = decide(scenario.policy, proposal, usage)
        taken.append(
            ScoredAction(
                step=n,
                at=step.at,
                action=kind.value,
                order=step.order,
                amount=proposal.amount,
                verdict=verdict.verdict.value,
                rule=verdict.rule,
                reason=verdict.reason,
                outside_budget=verdict.outside_budget,
            )
        )
    return taken


# -- findings ----------------------------------------------------------------------------------


def _words(action: str) -> str:
    kind = member(ActionKind, action)
    return kind.words if kind else action


def _on(order: str | None) -> str:
    return f" on {order}" if order else ""


def _matches(expected: ExpectedAction, taken: ScoredAction, steps: tuple[Step, ...]) -> bool:
    if taken.action != expected.action or taken.verdict == VerdictKind.DENY:
        return False
    if expected.order is not None and taken.order != expected.order:
        return False
    return not expected.items or set(steps[taken.step].items) == set(expected.items)


def _range(expected: ExpectedAction) -> str:
    bounds = expected.amount
    assert bounds is not None
    if bounds.min is not None and bounds.min == bounds.max:
        return f"{bounds.min:.2f}"
    if bounds.min is not None and bounds.max is not None:
        return f"between {bounds.min:.2f} and {bounds.max:.2f}"
    if bounds.min is not None:
        return f"at least {bounds.min:.2f}"
    return f"at most {bounds.max:.2f}"


def _action_findings(
    scenario: Scenario, actions: list[ScoredAction], steps: tuple[Step, ...]
) -> list[Finding]:
    found: list[Finding] = []
    forbidden = scenario.expect.forbidden
    used: set[int] = set()
    for expected in scenario.expect.actions:
        what = f"{_words(expected.action)}{_on(expected.order)}"
        candidates = [a for a in actions if a.step not in used and _matches(expected, a, steps)]
        if not candidates:
            found.append(Finding("missing_action", f"expected {what} was not taken"))
            continue
        bounds = expected.amount
        fitting = [a for a in candidates if bounds is None or bounds.holds(a.amount)]
        chosen = (fitting or candidates)[0]
        used.add(chosen.step)
        if not fitting:
            found.append(
                Finding(
                    "wrong_amount",
                    f"{what} was {chosen.amount:.2f}; expected {_range(expected)}",
                )
            )
    for taken in actions:
        what = f"{_words(taken.action)} of {taken.amount:.2f}{_on(taken.order)}"
        if any(
            f.action == taken.action and (f.order is None or f.order == taken.order)
            for f in forbidden
        ):
            found.append(Finding("forbidden_action", f"{what} should not have been offered"))
        elif taken.verdict == VerdictKind.DENY:
            found.append(
                Finding("policy_denied", f"{what} was refused by {taken.rule}: {taken.reason}")
            )
        elif taken.verdict == VerdictKind.NEEDS_APPROVAL and taken.step not in used:
            found.append(
                Finding(
                    "needs_approval",
                    f"{what} would have waited for a supervisor ({taken.rule}): {taken.reason}",
                )
            )
    return found


def _history_findings(scenario: Scenario, answers: Answers) -> list[Finding]:
    opened = {s.history_index for s in answers.steps if s.kind == "open"}
    found = []
    for index in scenario.expect.review_history:
        if index in opened:
            continue
        entry = scenario.history[index]
        about = entry.subject or entry.text
        label = about if len(about) <= 60 else about[:59] + "…"
        found.append(
            Finding(
                "history_not_reviewed",
                f"history entry {index} ({entry.channel}, {entry.at:%Y-%m-%d}: {label!r}) "
                "was not opened",
            )
        )
    return found


def _reply_findings(scenario: Scenario, answers: Answers) -> list[Finding]:
    phrases = scenario.expect.reply_phrases_any
    if not phrases:
        return []
    replies = [s.reply.casefold() for s in answers.steps if s.kind == "reply" and s.reply]
    if any(p.casefold() in r for p in phrases for r in replies):
        return []
    said = ", ".join(repr(p) for p in phrases)
    return [Finding("no_empathy", f"no reply said any of {said}")]


def _end_findings(scenario: Scenario, answers: Answers) -> list[Finding]:
    expect = scenario.expect
    ended = next((s for s in answers.steps if s.kind == "resolve"), None)
    found = []
    if expect.disposition is not None and (ended is None or ended.resolve != expect.disposition):
        how = "the contact was left open" if ended is None else f"it was closed {ended.resolve}"
        found.append(Finding("wrong_disposition", f"{how}; expected {expect.disposition}"))
    if expect.within is not None and (ended is None or ended.at > expect.within):
        limit = format_duration(int(expect.within.total_seconds()))
        how = (
            "the contact was never closed"
            if ended is None
            else f"it was closed after {format_duration(int(ended.at.total_seconds()))}"
        )
        found.append(Finding("over_time", f"{how}; expected within {limit}"))
    return found
