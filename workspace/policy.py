"""How far an agent may go alone: the policy model and the verdict on a proposed action.

Reading and validating a policy file lives in `workspace.policy_file`; this module only holds
the validated policy and decides, as a pure function, what a proposal gets.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from storage.money import to_money
from workspace.text import count, words
from workspace.vocabulary import DEFAULT_TIER, ActionKind, VerdictKind, member

Leaf = bool | int | Decimal | tuple[str, ...]
"""One validated value of an action rule."""

Layer = Mapping[str, Leaf]
"""One mapping of an action rule, flattened to leaf paths (`limit.amount`) so layers merge
key by key."""


REASON_LEAF = "requires_reason"
"""The rule a verdict names when a reason the policy wants is missing (its leaf)."""


@dataclass(frozen=True)
class Limit:
    """At or under every figure here, the agent acts alone."""

    amount: Decimal | None
    """The most an agent may give alone, in the policy's currency; None: no fixed cap."""
    percent_of_order: Decimal | None
    """The most an agent may give alone as a percentage (0-100) of the order's total."""


@dataclass(frozen=True)
class Approval:
    """The band above the limit where a supervisor may approve."""

    up_to_amount: Decimal
    """The most a supervisor may approve; anything above is denied."""


@dataclass(frozen=True)
class Budget:
    """What one agent may give per calendar month (UTC), across all customers."""

    amount: Decimal | None
    """Total money a month; None: no money budget."""
    count: int | None
    """Number of grants a month; None: no count budget."""


@dataclass(frozen=True)
class PerCustomer:
    """How often one customer may receive this action, across all agents."""

    count: int
    """At most this many grants..."""
    days: int
    """...in this many days."""


@dataclass(frozen=True)
class ActionRule:
    """The rule for one action after merging the action, tier and role layers."""

    requires_reason: bool
    """The agent must type a reason."""
    limit: Limit
    """What the agent may give alone."""
    approval: Approval | None
    """The supervisor's band above the limit; None: nobody may go above the limit."""
    budget: Budget | None
    """The agent's monthly budget for this action; None: unbudgeted."""
    per_customer: PerCustomer | None
    """How often one customer may get it; None: no such cap."""
    order_status: tuple[str, ...] | None
    """The order must be in one of these states; None: any state, or no order."""
    order_age_days: int | None
    """The order may be at most this many days old; None: any age."""


@dataclass(frozen=True)
class Guarantee:
    """A promise the company made; breaking it entitles the customer to a grant."""

    name: str
    """Its key under `guarantees` (`two_day_shipping`)."""
    late_by_days: int
    """Broken when the order was delivered at least this many days after its promised date."""
    action: ActionKind
    """The action granted when it is broken."""
    amount: Decimal
    """Up to this much is allowed without approval and outside the budget."""


@dataclass(frozen=True)
class Policy:
    """A validated policy file; actions, tiers and roles are kept as flat layers to merge."""

    version: int
    """The policy format version (1)."""
    currency: str
    """The three-letter currency every amount is in."""
    actions: Mapping[str, Layer]
    """The base rule of each action that may be taken at all."""
    tiers: Mapping[str, Mapping[str, Layer]]
    """Overrides by customer tier, then by action."""
    roles: Mapping[str, Mapping[str, Layer]]
    """Overrides by agent role, then by action."""
    guarantees: Mapping[str, Guarantee]
    """Promises by name."""


@dataclass(frozen=True)
class ResolvedRule:
    """An action's merged rule, and which layer set each of its values."""

    rule: ActionRule
    """The merged rule."""
    sources: Mapping[str, str]
    """For each leaf path (`limit.amount`), the layer that set it (`tiers.gold.discount`)."""

    def path(self, leaf: str) -> str:
        """The full key path of a leaf, naming the layer that set it."""
        return f"{self.sources[leaf]}.{leaf}"


@dataclass(frozen=True)
class Proposal:
    """An action an agent proposes to take, with the facts the policy checks."""

    action: str
    """One of `ActionKind` (anything else is denied as unknown)."""
    amount: Decimal
    """Its value in the policy's currency (0 for actions that move no money)."""
    order_total: Decimal | None
    """The order's total, for percent-of-order limits; None: no order."""
    order_status: str | None
    """The order's state; None: no order."""
    order_age_days: int | None
    """Days since delivery (or since placing, if undelivered); None: no order."""
    reason: str
    """What the agent typed as the reason (may be empty)."""
    customer_tier: str
    """The customer's tier (`gold`), selecting `tiers.<tier>` overrides."""
    agent_role: str
    """The agent's role (`senior`), selecting `roles.<role>` overrides."""
    late_by_days: int | None = None
    """Days the order was delivered after its promised date; None: not late or not known."""


@dataclass(frozen=True)
class Usage:
    """What has already been given, as the database counts it inside the deciding transaction."""

    agent_month_amount: Decimal = Decimal("0.00")
    """Money this agent already gave with this action this calendar month (UTC)."""
    agent_month_count: int = 0
    """Grants this agent already made with this action this calendar month (UTC)."""
    customer_grants_in_window: int = 0
    """Grants of this action to this customer, by anyone, within the per-customer window."""
    order_given_back: Decimal = Decimal("0.00")
    """Money already given back on this order by refunds and discounts, by anyone."""
    order_same_action: int = 0
    """Actions of this kind already committed on this order (a second cancel or reship)."""
    order_guarantee_grants: int = 0
    """Grants already made on this order under a guarantee (a promise is kept once)."""


@dataclass(frozen=True)
class Headroom:
    """What the agent has left before acting, for the resolution pane to show."""

    budget_amount_left: Decimal | None
    """Money left in this month's budget; None: no money budget."""
    budget_count_left: int | None
    """Grants left in this month's budget; None: no count budget."""
    per_customer_left: int | None
    """Grants this customer may still receive in the window; None: no such cap."""


NO_HEADROOM = Headroom(None, None, None)


@dataclass(frozen=True)
class Verdict:
    """The one verdict a proposal gets, why, and what is left."""

    verdict: VerdictKind
    """The verdict."""
    rule: str
    """The key path that decided it (`tiers.gold.discount.limit.amount`)."""
    reason: str
    """One plain sentence with the figures."""
    headroom: Headroom
    """Budget and per-customer headroom before this action."""
    outside_budget: bool = False
    """Granted by a broken guarantee: it does not count against the budget."""


def fingerprint(policy: Policy) -> str:
    """A short hash of what the policy says (not how the file is laid out), stored with every
    action so operations can tell which policy decided it."""

    def plain(value: object) -> object:
        if isinstance(value, Mapping):
            return {str(k): plain(v) for k, v in sorted(value.items())}
        if isinstance(value, tuple):
            return [plain(v) for v in value]
        if isinstance(value, Guarantee):
            return [value.late_by_days, value.action, str(value.amount)]
        return str(value) if isinstance(value, Decimal) else value

    body = [
        policy.version,
        policy.currency,
        plain(policy.actions),
        plain(policy.tiers),
        plain(policy.roles),
        plain(policy.guarantees),
    ]
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()
    return digest[:16]


def merge_layers(*layers: tuple[str, Layer]) -> dict[str, str]:
    """Which layer sets each leaf when `layers` (path, layer) merge in order, later winning."""
    sources: dict[str, str] = {}
    for where, layer in layers:
        for leaf in layer:
            sources[leaf] = where
    return sources


def resolve(policy: Policy, action: str, tier: str, role: str) -> ResolvedRule | None:
    """The rule for `action` for a customer of `tier` served by an agent of `role`.

    Merge order: `actions.X`, then `tiers.<tier>.X`, then `roles.<role>.X`; a later layer
    replaces the leaves it names and keeps the rest. None if the action may not be taken.
    """
    base = policy.actions.get(action)
    if base is None:
        return None
    layers: list[tuple[str, Layer]] = [(f"actions.{action}", base)]
    tier_layer = policy.tiers.get(tier, {}).get(action)
    if tier_layer is not None:
        layers.append((f"tiers.{tier}.{action}", tier_layer))
    role_layer = policy.roles.get(role, {}).get(action)
    if role_layer is not None:
        layers.append((f"roles.{role}.{action}", role_layer))
    sources = merge_layers(*layers)
    by_path = dict(layers)
    values = {leaf: by_path[where][leaf] for leaf, where in sources.items()}
    return ResolvedRule(rule=build_rule(values), sources=sources)


def build_rule(values: Layer) -> ActionRule:
    """An `ActionRule` from merged, validated leaves."""

    def money(leaf: str) -> Decimal | None:
        value = values.get(leaf)
        return value if isinstance(value, Decimal) else None

    def whole(leaf: str) -> int | None:
        value = values.get(leaf)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    up_to = money("approval.up_to_amount")
    customer_count, customer_days = whole("per_customer.count"), whole("per_customer.days")
    budget = Budget(money("budget.amount"), whole("budget.count"))
    statuses = values.get("order_status")
    return ActionRule(
        requires_reason=values.get("requires_reason") is True,
        limit=Limit(money("limit.amount"), money("limit.percent_of_order")),
        approval=None if up_to is None else Approval(up_to),
        budget=None if budget == Budget(None, None) else budget,
        per_customer=(
            None
            if customer_count is None or customer_days is None
            else PerCustomer(customer_count, customer_days)
        ),
        order_status=statuses if isinstance(statuses, tuple) else None,
        order_age_days=whole("order_age_days"),
    )


def _fmt(amount: Decimal) -> str:
    return str(to_money(amount))


def headroom(rule: ActionRule, usage: Usage) -> Headroom:
    """What the agent has left under `rule` before acting, never below zero."""
    budget, cap = rule.budget, rule.per_customer
    amount_left = count_left = None
    if budget is not None and budget.amount is not None:
        amount_left = to_money(max(Decimal(0), budget.amount - usage.agent_month_amount))
    if budget is not None and budget.count is not None:
        count_left = max(0, budget.count - usage.agent_month_count)
    customer_left = None if cap is None else max(0, cap.count - usage.customer_grants_in_window)
    return Headroom(amount_left, count_left, customer_left)


def _limit_cap(resolved: ResolvedRule, proposal: Proposal) -> tuple[Decimal, str, str] | None:
    """The effective limit (the lower of amount and percent caps), its key path and wording.

    None when the rule sets no limit. A percent cap with no order total to measure is 0.00,
    so the amount needs approval rather than slipping through unchecked.
    """
    limit = resolved.rule.limit
    caps: list[tuple[Decimal, str, str]] = []
    if limit.amount is not None:
        caps.append((limit.amount, resolved.path("limit.amount"), _fmt(limit.amount)))
    if limit.percent_of_order is not None:
        percent = f"{limit.percent_of_order.normalize():f}%"
        path = resolved.path("limit.percent_of_order")
        if proposal.order_total is None:
            caps.append((Decimal(0), path, f"0.00 ({percent} of no order)"))
        else:
            cap = to_money(proposal.order_total * limit.percent_of_order / 100)
            total = _fmt(proposal.order_total)
            caps.append((cap, path, f"{_fmt(cap)} ({percent} of the {total} order)"))
    return min(caps, key=lambda c: c[0]) if caps else None


def broken_guarantee(policy: Policy, proposal: Proposal) -> Guarantee | None:
    """The first guarantee (by name) that was broken and grants this action and amount."""
    late = proposal.late_by_days
    for _, promise in sorted(policy.guarantees.items()):
        if (
            promise.action == proposal.action
            and late is not None
            and late >= promise.late_by_days
            and proposal.amount <= promise.amount
        ):
            return promise
    return None


def decide(policy: Policy, proposal: Proposal, usage: Usage) -> Verdict:
    """The verdict on `proposal` given what was already used. Pure: no clock, no database.

    Precedence, first match wins: unknown action, negative amount, missing reason,
    `order_status`, `order_age_days`, `per_customer` (deny: not eligible, not even a guarantee
    overrides eligibility); a second cancel or reship of one order, or refunds and discounts
    beyond the order's total (deny); then a broken guarantee granting this action and
    amount, once per order (allow, outside the budget); then above `approval.up_to_amount`
    (deny); above the effective limit, the lower of `limit.amount` and
    `limit.percent_of_order` of the order (needs_approval within an approval band, else
    deny); the monthly budget amount, then count, exceeded (needs_approval within an
    approval band, else deny); otherwise allow.
    """
    action, amount = proposal.action, proposal.amount
    resolved = resolve(policy, action, proposal.customer_tier, proposal.agent_role)
    kind_of = member(ActionKind, action)
    if resolved is None or kind_of is None:
        reason = f"{action} is not an action this policy allows"
        return Verdict(VerdictKind.DENY, f"actions.{action}", reason, NO_HEADROOM)
    rule, room = resolved.rule, headroom(resolved.rule, usage)
    named = kind_of.words
    what = f"{named} of {_fmt(amount)}"

    def deny(leaf: str, reason: str) -> Verdict:
        return Verdict(VerdictKind.DENY, resolved.path(leaf), reason, room)

    if amount < 0:
        return Verdict(VerdictKind.DENY, f"actions.{action}", f"{what} is negative", room)
    if rule.requires_reason and not proposal.reason.strip():
        return deny(REASON_LEAF, f"{named} needs a reason, and none was given")
    if rule.order_status is not None and proposal.order_status not in rule.order_status:
        allowed = ", ".join(rule.order_status)
        status = proposal.order_status or "no order"
        return deny("order_status", f"{named} needs an order that is {allowed}, not {status}")
    if rule.order_age_days is not None and (
        proposal.order_age_days is None or proposal.order_age_days > rule.order_age_days
    ):
        age = (
            "of unknown age"
            if proposal.order_age_days is None
            else f"{count(proposal.order_age_days, 'day')} old"
        )
        return deny(
            "order_age_days",
            f"{named} is only possible within {count(rule.order_age_days, 'day')}; "
            f"the order is {age}",
        )
    cap = rule.per_customer
    if cap is not None and usage.customer_grants_in_window >= cap.count:
        return deny(
            "per_customer.count",
            f"the customer already had {count(usage.customer_grants_in_window, named + ' grant')}"
            f" in the last {count(cap.days, 'day')}; at most {cap.count} are allowed",
        )
    if kind_of.once_per_order and usage.order_same_action > 0:
        return Verdict(
            VerdictKind.DENY,
            f"actions.{action}",
            f"this order already has a {kind_of.words}; it is done once per order",
            room,
        )
    total = proposal.order_total
    if kind_of.money_back and total is not None and usage.order_given_back + amount > total:
        given = usage.order_given_back
        already = f" with the {_fmt(given)} already given back" if given else ""
        reason = f"{what}{already} would be more than the order's {_fmt(total)} total"
        return Verdict(VerdictKind.DENY, f"actions.{action}", reason, room)
    promise = None if usage.order_guarantee_grants else broken_guarantee(policy, proposal)
    if promise is not None:
        reason = (
            f"{what} is within the {_fmt(promise.amount)} guaranteed by {words(promise.name)} "
            f"(delivered {count(proposal.late_by_days or 0, 'day')} late); it is outside the "
            "budget"
        )
        return Verdict(
            VerdictKind.ALLOW, f"guarantees.{promise.name}", reason, room, outside_budget=True
        )
    band = rule.approval
    if band is not None and amount > band.up_to_amount:
        return deny(
            "approval.up_to_amount",
            f"{what} is above the {_fmt(band.up_to_amount)} a supervisor may approve",
        )
    approve = (
        "; no approval is possible"
        if band is None
        else f"; a supervisor can approve up to {_fmt(band.up_to_amount)}"
    )
    kind = VerdictKind.DENY if band is None else VerdictKind.NEEDS_APPROVAL
    limit = _limit_cap(resolved, proposal)
    if limit is not None and amount > limit[0]:
        reason = f"{what} is above the {limit[2]} an agent may give alone{approve}"
        return Verdict(kind, limit[1], reason, room)
    budget, left = rule.budget, room.budget_amount_left
    if budget is not None and budget.amount is not None and left is not None and amount > left:
        reason = (
            f"{what} is more than the {_fmt(left)} left of this month's "
            f"{_fmt(budget.amount)} budget{approve}"
        )
        return Verdict(kind, resolved.path("budget.amount"), reason, room)
    if budget is not None and budget.count is not None and room.budget_count_left == 0:
        reason = (
            f"all {count(budget.count, named + ' grant')} of this month's budget are used{approve}"
        )
        return Verdict(kind, resolved.path("budget.count"), reason, room)
    reason = f"{what} is within what an agent may give alone"
    # The rule that decided it: the limit it was checked against, where there is one.
    decided = limit[1] if limit is not None else f"actions.{action}"
    return Verdict(VerdictKind.ALLOW, decided, reason, room)


def known_tiers(policy: Policy) -> frozenset[str]:
    """The tiers a customer may have under `policy`: its own, and the default one."""
    return frozenset(policy.tiers) | {DEFAULT_TIER}
