"""What a policy says, as plain text an operations manager reads to confirm what they wrote.

`caredesk policy check FILE` prints this after loading the file: the base rule of every action
as a table, then each tier's and role's overrides and each guarantee by full key path. Pure:
no terminal, no Textual or Rich.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from storage.money import to_money
from workspace.policy import ActionRule, Guarantee, Layer, Leaf, Policy, build_rule
from workspace.text import one_line
from workspace.vocabulary import ActionKind

COLUMNS = (
    "action",
    "alone up to",
    "approval up to",
    "budget/month",
    "per customer",
    "order status",
    "max order age (days)",
    "reason required",
)
"""The headings of the table of base rules, one column per part of an action's rule."""

GAP = "  "
"""What separates two columns."""

NONE = "-"
"""A cell whose rule is not set."""


def _money(amount: Decimal) -> str:
    return str(to_money(amount))


def _percent(percent: Decimal) -> str:
    return f"{percent.normalize():f}%"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _leaf(leaf: str, value: Leaf) -> str:
    """One override value as the table would show it."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return ", ".join(value)
    if isinstance(value, Decimal):
        return _percent(value) if leaf == "limit.percent_of_order" else _money(value)
    return str(value)


def _cells(action: str, rule: ActionRule) -> tuple[str, ...]:
    """The table row of one action's base rule."""
    limit, budget, cap = rule.limit, rule.budget, rule.per_customer
    alone = [] if limit.amount is None else [_money(limit.amount)]
    if limit.percent_of_order is not None:
        alone.append(f"{_percent(limit.percent_of_order)} of order")
    spend: list[str] = []
    if budget is not None and budget.amount is not None:
        spend.append(_money(budget.amount))
    if budget is not None and budget.count is not None:
        spend.append(_plural(budget.count, "grant"))
    return (
        action,
        " / ".join(alone) or NONE,
        NONE if rule.approval is None else _money(rule.approval.up_to_amount),
        ", ".join(spend) or NONE,
        NONE if cap is None else f"{cap.count} in {_plural(cap.days, 'day')}",
        NONE if rule.order_status is None else ", ".join(rule.order_status),
        NONE if rule.order_age_days is None else str(rule.order_age_days),
        "yes" if rule.requires_reason else "no",
    )


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows as lines, every column starting at the same offset; no trailing spaces."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [GAP.join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]


def _overrides(
    section: str, heading: str, layers: Mapping[str, Mapping[str, Layer]], base: Mapping[str, Layer]
) -> list[str]:
    """One block per tier or role: each leaf it sets, by full key path, and its value."""
    lines: list[str] = []
    for name, by_action in layers.items():
        shown = one_line(name)
        rows: list[tuple[str, str]] = []
        for action, layer in by_action.items():
            for leaf, value in layer.items():
                same = base.get(action, {}).get(leaf) == value
                note = f"  (same as actions.{action})" if same else ""
                rows.append((f"{section}.{shown}.{action}.{leaf}", _leaf(leaf, value) + note))
        lines += ["", f"{heading} {shown}:"]
        lines += [f"  {line}" for line in _table(rows)] if rows else ["  (nothing changes)"]
    return lines


def _guarantee(promise: Guarantee) -> tuple[str, str]:
    late = _plural(promise.late_by_days, "day")
    grant = f"{promise.action} up to {_money(promise.amount)}"
    return (
        f"guarantees.{one_line(promise.name)}",
        f"late by >= {late}: {grant}, without approval, outside the budget",
    )


def policy_table(policy: Policy) -> str:
    """The whole report on `policy`, one line per rule, ending without a newline."""
    lines = [
        f"policy version {policy.version}, currency {policy.currency}: "
        f"{_plural(len(policy.actions), 'action')}, "
        f"{_plural(sum(1 for layers in policy.tiers.values() if layers), 'tier override')}, "
        f"{_plural(len(policy.roles), 'role override')}, "
        f"{_plural(len(policy.guarantees), 'guarantee')}",
        "",
    ]
    table = [COLUMNS] + [
        _cells(action, build_rule(policy.actions[action]))
        for action in ActionKind
        if action in policy.actions
    ]
    lines += _table(table)
    absent = [action for action in ActionKind if action not in policy.actions]
    if absent:
        lines.append(f"cannot be taken: {', '.join(absent)}")
    lines += _overrides("tiers", "customers of tier", policy.tiers, policy.actions)
    lines += _overrides("roles", "agents with role", policy.roles, policy.actions)
    if policy.guarantees:
        lines += ["", "guarantees: what a broken promise grants"]
        rows = [_guarantee(promise) for promise in policy.guarantees.values()]
        lines += [f"  {line}" for line in _table(rows)]
    return "\n".join(lines)
