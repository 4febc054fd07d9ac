"""What an executed action changes on its order, in the action's own transaction."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from storage.models import Order, Shipment


def set_status(session: Session, order_id: str, status: str, *, only_from: str) -> bool:
    """Move an order to `status` if it is still `only_from` (a cancel takes a pending order
    only); False when it was not."""
    stmt: Any = (
        update(Order)
        .where(col(Order.id) == order_id, col(Order.status) == only_from)
        .values(status=status)
    )
    return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def add_refund(session: Session, order_id: str, amount: Decimal) -> None:
    """Record money given back on the order (an executed refund), added where it is kept."""
    stmt: Any = (
        update(Order).where(col(Order.id) == order_id).values(refunded=col(Order.refunded) + amount)
    )
    session.execute(stmt)


def add_shipment(
    session: Session,
    *,
    ref: str,
    order_id: str,
    action_id: int,
    kind: str,
    items: str,
    status: str,
    at: datetime,
) -> None:
    """The shipment an executed reship or replacement sends the customer."""
    session.add(
        Shipment(
            ref=ref,
            order_id=order_id,
            action_id=action_id,
            kind=kind,
            items=items,
            status=status,
            created_at=at,
        )
    )
    session.flush()
