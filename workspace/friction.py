"""The policy's friction over a period: what it refused and sent for approval, rule by rule,
how long approvals took, and how much of their budgets agents used.

Pure functions of stored facts, like `workspace.metrics`: `caredesk report --policy` prints
them, so a team sees which rule slows its agents down before loosening or tightening it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from workspace.metrics import Period, nearest_rank, seconds, timestamp, whole_seconds
from workspace.vocabulary import ActionStatus, VerdictKind


@dataclass(frozen=True)
class RuleTally:
    """How many actions requested in the period one rule decided one way (a fact)."""

    rule: str
    verdict: str
    status: str
    """Where they stand now."""
    count: int


@dataclass(frozen=True)
class Turnaround:
    """A request a supervisor decided in the period (a fact)."""

    requested_at: datetime
    decided_at: datetime


@dataclass(frozen=True)
class Spend:
    """One agent's executed actions of one kind in the period (a fact, and a row shown)."""

    agent: str
    kind: str
    count: int
    amount: Decimal


@dataclass(frozen=True)
class RuleFriction:
    """What one rule did to the actions requested in the period."""

    rule: str
    """The rule's key path, as the verdict named it."""
    denied: int
    """Refused by the policy outright."""
    requested: int
    """Sent for a supervisor's approval."""
    approved: int
    """Of those, approved (executed or not yet)."""
    refused: int
    """Of those, denied by a supervisor."""
    withdrawn: int
    """Of those, withdrawn by the agent."""
    waiting: int
    """Of those, still waiting."""


@dataclass(frozen=True)
class Friction:
    """The policy's friction over one period."""

    period: Period
    rules: tuple[RuleFriction, ...]
    """The rules that denied or asked for approval, most friction first."""
    decided: int
    """Requests a supervisor decided in the period."""
    turnaround_median_s: int | None
    """Median (nearest rank) of decided_at - requested_at, whole seconds; None: none
    decided."""
    turnaround_p90_s: int | None
    """90th percentile (nearest rank) of the same."""
    spend: tuple[Spend, ...]
    """Executed amounts by agent and kind, by agent then kind."""

    def to_dict(self) -> dict[str, object]:
        """As `caredesk report --policy --json` prints it."""
        return {
            "since": timestamp(self.period.since),
            "until": timestamp(self.period.until),
            "rules": [r.__dict__ for r in self.rules],
            "approvals_decided": self.decided,
            "approval_turnaround_median_s": self.turnaround_median_s,
            "approval_turnaround_p90_s": self.turnaround_p90_s,
            "budget_used": [
                {"agent": s.agent, "kind": s.kind, "count": s.count, "amount": str(s.amount)}
                for s in self.spend
            ],
        }


_APPROVED = {ActionStatus.APPROVED, ActionStatus.EXECUTED}


def rule_friction(tallies: Iterable[RuleTally]) -> tuple[RuleFriction, ...]:
    """Each rule's denials and approval requests, most of both first (then by rule); rules
    that only allowed are left out."""
    counts: dict[str, dict[str, int]] = {}
    for t in tallies:
        c = counts.setdefault(t.rule, dict.fromkeys(RuleFriction.__dataclass_fields__, 0))
        if t.verdict == VerdictKind.DENY:
            c["denied"] += t.count
        elif t.verdict == VerdictKind.NEEDS_APPROVAL:
            c["requested"] += t.count
            if t.status in _APPROVED:
                c["approved"] += t.count
            elif t.status == ActionStatus.DENIED:
                c["refused"] += t.count
            elif t.status == ActionStatus.WITHDRAWN:
                c["withdrawn"] += t.count
            elif t.status == ActionStatus.REQUESTED:
                c["waiting"] += t.count
    rules = [
        RuleFriction(**{**c, "rule": rule})  # type: ignore[arg-type]
        for rule, c in counts.items()
        if c["denied"] or c["requested"]
    ]
    return tuple(sorted(rules, key=lambda r: (-(r.denied + r.requested), r.rule)))


def friction(
    period: Period,
    tallies: Iterable[RuleTally],
    decided: Iterable[Turnaround],
    spend: Iterable[Spend],
) -> Friction:
    """The friction report of `period` from its facts."""
    waits = [seconds(d.decided_at - d.requested_at) for d in decided]
    median = nearest_rank(waits, 50)
    p90 = nearest_rank(waits, 90)
    return Friction(
        period=period,
        rules=rule_friction(tallies),
        decided=len(waits),
        turnaround_median_s=None if median is None else whole_seconds(median),
        turnaround_p90_s=None if p90 is None else whole_seconds(p90),
        spend=tuple(sorted(spend, key=lambda s: (s.agent, s.kind))),
    )
