"""What the screens need to know about actions, without the database: names, requests,
outcomes and the sentences that describe them. Pure, so the workspace UI imports it at
start-up without loading the database stack."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from storage.money import to_money
from storage.records import ActionRecord, OrderRecord
from workspace.errors import ActionInputError
from workspace.policy import Headroom, Verdict
from workspace.text import one_line, preview

APPROVER_ROLES = frozenset({"supervisor"})
"""Roles that may approve or deny other agents' requests."""

TYPED_AMOUNT = frozenset({"discount", "refund", "store_credit"})
"""Actions whose amount the agent types; a replacement is worth its items, a reship its order."""

NEEDS_ORDER = frozenset({"refund", "replacement", "reship", "cancel_order"})
"""Actions that are always taken on an order."""

COMPENSATION_WINDOW = timedelta(days=90)
"""The customer context shows actions and compensation of this many days."""

MAX_AMOUNT = Decimal("1000000")
"""Typed amounts at or over this are refused as a typing mistake."""

LABELS: Mapping[str, str] = {
    "discount": "Discount",
    "refund": "Refund",
    "replacement": "No-charge replacement",
    "store_credit": "Store credit",
    "reship": "Reship",
    "cancel_order": "Cancel order",
}
"""How each action is named to people."""


@dataclass(frozen=True)
class ActionRequest:
    """What an agent proposes, as typed: validated when it is assessed."""

    kind: str
    """One of `ACTIONS`."""
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
    what = f"{LABELS.get(record.kind, record.kind)} of {record.amount} {record.currency}"
    what += f" for {preview(record.customer_name, 60)}"
    who = preview(record.decided_by_name or "", 60)
    why = f": {preview(record.decision_reason, 200)}" if record.decision_reason else ""
    if record.status == "executed":
        by = f", approved by {who}{why}" if record.decided_by_name else ""
        return f"#{record.id} {what}: executed{by}."
    if record.status == "requested":
        return f"#{record.id} {what}: waiting for a supervisor's approval."
    if record.status == "denied":
        if record.decided_by_name:
            return f"#{record.id} {what}: denied by {who}{why}."
        return f"#{record.id} {what}: denied: {one_line(record.verdict_reason)}."
    if record.status == "withdrawn":
        return f"#{record.id} {what}: withdrawn."
    return f"#{record.id} {what}: {one_line(record.status)}."


def headroom_text(room: Headroom, currency: str) -> str:
    """What the agent has left, in one line ("no budget or per-customer cap" when nothing)."""
    parts = []
    budget = []
    if room.budget_amount_left is not None:
        budget.append(f"{room.budget_amount_left} {currency}")
    if room.budget_count_left is not None:
        budget.append(f"{room.budget_count_left} grant(s)")
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
        if (
            order.status in ("pending", "shipped")
            and order.promised_by
            and today > order.promised_by
        ):
            return order.id
    for order in orders:
        if (
            order.delivered_at
            and order.promised_by
            and order.delivered_at.date() > order.promised_by
        ):
            return order.id
    for order in orders:
        if order.status in ("pending", "shipped"):
            return order.id
    return orders[0].id if orders else None
