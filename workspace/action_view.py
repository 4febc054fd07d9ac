"""What the screens need to know about actions, without the database: names, requests,
outcomes and the sentences that describe them. Pure, so the workspace UI imports it at
start-up without loading the database stack."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from storage.money import to_money
from workspace.customers import OrderRecord
from workspace.errors import ActionInputError
from workspace.policy import Headroom, Verdict
from workspace.text import count, one_line, preview
from workspace.vocabulary import OPEN_ORDERS, ActionKind, ActionStatus, member

COMPENSATION_WINDOW = timedelta(days=90)
"""The customer context shows actions and compensation of this many days."""

MAX_AMOUNT = Decimal("1000000")
"""Typed amounts at or over this are refused as a typing mistake."""


@dataclass(frozen=True)
class ActionRecord:
    """One action as the workspace shows it."""

    id: int
    """Its number (`#12`)."""
    ref: str
    """Its idempotency key."""
    kind: str
    """One of `ActionKind`."""
    customer_id: str
    """For whom."""
    customer_name: str
    """The customer's name (untrusted text)."""
    customer_tier: str
    """The customer's tier."""
    order_id: str | None
    """On which order."""
    ticket_id: str | None
    """From which contact."""
    agent_id: int
    """Who asked."""
    agent_name: str
    """The asking agent's display name."""
    amount: Decimal
    """Its value."""
    currency: str
    """In this currency."""
    items: tuple[str, ...]
    """The SKUs replaced."""
    reason: str
    """Why, as the agent typed it (untrusted text)."""
    verdict: str
    """One of `VerdictKind`."""
    rule: str
    """The policy key path that decided."""
    verdict_reason: str
    """The verdict's sentence."""
    outside_budget: bool
    """Granted by a broken guarantee."""
    policy_hash: str
    """The fingerprint of the policy that decided it."""
    status: ActionStatus
    """Where it stands."""
    requested_at: datetime
    """When it was asked for."""
    decided_at: datetime | None
    """When a supervisor (or the requester, withdrawing) decided it."""
    decided_by_name: str | None
    """Who decided it."""
    decision_reason: str | None
    """The decider's reason (untrusted text)."""
    executed_at: datetime | None
    """When it was carried out."""
    delivery: str | None = None
    """Its message to the system that fulfils it: queued, retrying, delivered or failed;
    None before it executed."""
    shipment: str | None = None
    """The shipment an executed reship or replacement created (its reference)."""

    @property
    def label(self) -> str:
        """What kind of action it is, as people name it."""
        kind = member(ActionKind, self.kind)
        return kind.label if kind is not None else one_line(self.kind)

    @property
    def words(self) -> str:
        """Its kind in a sentence: `store credit`."""
        kind = member(ActionKind, self.kind)
        return kind.words if kind is not None else one_line(self.kind)


def action_record(r: Any) -> ActionRecord:
    """An action from a row of `storage.action_queries`."""
    return ActionRecord(
        id=r.id,
        ref=r.ref,
        kind=r.kind,
        customer_id=r.customer_id,
        customer_name=r.customer_name,
        customer_tier=r.customer_tier,
        order_id=r.order_id,
        ticket_id=r.ticket_id,
        agent_id=r.agent_id,
        agent_name=r.agent_name,
        amount=r.amount,
        currency=r.currency,
        items=tuple(json.loads(r.items)) if r.items else (),
        reason=r.reason,
        verdict=r.verdict,
        rule=r.rule,
        verdict_reason=r.verdict_reason,
        outside_budget=r.outside_budget,
        policy_hash=r.policy_hash,
        status=ActionStatus(r.status),
        requested_at=r.requested_at,
        decided_at=r.decided_at,
        decided_by_name=r.decided_by_name,
        decision_reason=r.decision_reason,
        executed_at=r.executed_at,
        delivery=getattr(r, "delivery", None),
        shipment=getattr(r, "shipment", None),
    )


DELIVERY_WORDS = {
    "queued": "to deliver",
    "retrying": "delivering, tried again",
    "delivered": "delivered",
    "failed": "delivery failed",
}
"""How an action's delivery reads beside its status."""


@dataclass(frozen=True)
class ActionRequest:
    """What an agent proposes, as typed: validated when it is assessed."""

    kind: str
    """One of `ActionKind`, as typed (an unknown one is refused when it is assessed)."""
    customer_id: str
    """For whom."""
    order_id: str | None = None
    """On which order (required for refunds, replacements, reships and cancellations)."""
    amount: str | Decimal | None = None
    """The amount typed (discount, refund, store credit); others are derived."""
    items: tuple[str, ...] = ()
    """The SKUs to replace (replacements)."""
    reason: str = ""
    """Why."""
    ticket_id: str | None = None
    """The contact it is taken from; the agent must hold it."""


@dataclass(frozen=True)
class Assessment:
    """The verdict a request would get now, and the figures it was decided on."""

    verdict: Verdict
    """The verdict, rule, sentence and headroom."""
    amount: Decimal
    """The amount decided on (typed, or the items' or order's value)."""
    currency: str
    """The policy's currency."""
    reason_needed: bool = False
    """The policy wants a reason and none is typed yet: the verdict is the one the action
    gets once it has one (the form asks for the reason rather than showing a denial)."""


@dataclass(frozen=True)
class ActionOutcome:
    """What taking an action did."""

    record: ActionRecord
    """The stored action (executed, requested or denied)."""
    repeated: bool
    """The same request was already stored (a double submit): nothing new happened."""
    headroom: Headroom | None = None
    """The headroom before this action, as decided under the lock; None for a repeat."""

    @property
    def message(self) -> str:
        """One sentence for the agent."""
        return action_message(self.record)


@dataclass(frozen=True)
class Decision:
    """What deciding (or withdrawing) a request did."""

    record: ActionRecord
    """The action as it now stands."""
    changed: bool
    """False when it had already been decided or withdrawn: nothing changed."""


def parse_amount(text: str | Decimal | None) -> Decimal:
    """A typed amount: a positive decimal with at most two decimals, under MAX_AMOUNT."""
    if text is None or (isinstance(text, str) and not text.strip()):
        raise ActionInputError("amount", "type an amount")
    expected = "expected an amount such as 20 or 19.99"
    try:
        value = text if isinstance(text, Decimal) else Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise ActionInputError("amount", f"{text!r} is not an amount; {expected}") from None
    exponent = value.as_tuple().exponent
    if not value.is_finite() or (isinstance(exponent, int) and exponent < -2):
        raise ActionInputError("amount", f"{text!r} is not an amount; {expected}")
    if value <= 0:
        raise ActionInputError("amount", "the amount must be more than 0")
    if value >= MAX_AMOUNT:
        raise ActionInputError("amount", f"{value} is too large for an amount")
    return to_money(value)


def action_message(record: ActionRecord) -> str:
    """One sentence saying where an action stands; names and reasons are made safe to show."""
    what = f"{record.label} of {record.amount} {record.currency}"
    what += f" for {preview(record.customer_name, 60)}"
    who = preview(record.decided_by_name or "", 60)
    why = f": {preview(record.decision_reason, 200)}" if record.decision_reason else ""
    status = record.status
    if status is ActionStatus.EXECUTED:
        by = f", approved by {who}{why}" if record.decided_by_name else ""
        return f"#{record.id} {what}: executed{by}."
    if status is ActionStatus.REQUESTED:
        return f"#{record.id} {what}: waiting for a supervisor's approval."
    if status is ActionStatus.DENIED:
        if record.decided_by_name:
            return f"#{record.id} {what}: denied by {who}{why}."
        return f"#{record.id} {what}: denied: {one_line(record.verdict_reason)}."
    return f"#{record.id} {what}: {status.label}."


def headroom_text(room: Headroom, currency: str) -> str:
    """What the agent has left, in one line ("no budget or per-customer cap" when nothing)."""
    parts = []
    budget = []
    if room.budget_amount_left is not None:
        budget.append(f"{room.budget_amount_left} {currency}")
    if room.budget_count_left is not None:
        budget.append(count(room.budget_count_left, "grant"))
    if budget:
        parts.append("left this month: " + " and ".join(budget))
    if room.per_customer_left is not None:
        parts.append(f"this customer may get {room.per_customer_left} more")
    return "; ".join(parts) if parts else "no budget or per-customer cap"


def month_start(now: datetime) -> datetime:
    """The first instant of `now`'s calendar month, UTC."""
    now = now.astimezone(UTC)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def likely_order(orders: Sequence[OrderRecord], subject: str, today: date) -> str | None:
    """The order a contact is most likely about: one its subject names, else a late one,
    else one still open (pending or shipped), else the newest; None when there are none."""
    for order in orders:
        if order.id and order.id in subject:
            return order.id
    for order in orders:
        if order.status in OPEN_ORDERS and order.promised_by and today > order.promised_by:
            return order.id
    for order in orders:
        if (
            order.delivered_at
            and order.promised_by
            and order.delivered_at.date() > order.promised_by
        ):
            return order.id
    for order in orders:
        if order.status in OPEN_ORDERS:
            return order.id
    return orders[0].id if orders else None
