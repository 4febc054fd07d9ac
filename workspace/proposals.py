"""What the policy decides an action on: the proposal, from the order as it stands.

Pure and light (no database): the desk builds its proposals here inside the deciding
transaction, and a replay's scoring builds the same ones from a scenario's orders, so the two
agree to the day and the cent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from storage.money import to_money
from workspace.customers import OrderRecord, days_late
from workspace.errors import ActionInputError
from workspace.policy import Proposal
from workspace.vocabulary import ActionKind


def proposal_of(
    kind: ActionKind,
    amount: Decimal,
    order: OrderRecord | None,
    reason: str,
    tier: str,
    role: str,
    now: datetime,
) -> Proposal:
    """The facts the policy decides on, for an action on `order` at `now`: its age in whole
    days from delivery (or placing, if undelivered) to the action's day, and how late it came.
    The desk and a replay's scoring both decide through this, so they agree."""
    age = None
    if order is not None:
        since = order.delivered_at or order.placed_at
        age = max(0, (now.astimezone(UTC).date() - since.astimezone(UTC).date()).days)
    return Proposal(
        action=kind,
        amount=amount,
        order_total=order.total if order else None,
        order_status=order.status if order else None,
        order_age_days=age,
        reason=reason,
        customer_tier=tier,
        agent_role=role,
        late_by_days=days_late(order) if order else None,
    )


def replacement_value(order: OrderRecord, skus: tuple[str, ...]) -> tuple[Decimal, tuple[str, ...]]:
    """The value of the order's items named by `skus` (each line once), and the SKUs kept."""
    if not skus:
        raise ActionInputError("items", "choose the items to replace")
    by_sku = {item.sku: item for item in order.items}
    unknown = [s for s in skus if s not in by_sku]
    if unknown:
        known = ", ".join(by_sku) or "none"
        raise ActionInputError(
            "items", f"order {order.id} has no item {unknown[0]!r}; its items are {known}"
        )
    chosen = tuple(dict.fromkeys(skus))
    value = sum((by_sku[s].price * by_sku[s].quantity for s in chosen), Decimal("0"))
    return to_money(value), chosen
