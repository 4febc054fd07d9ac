"""What an executed action changes on its order, in the action's own transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from storage.models import Order


def set_status(session: Session, order_id: str, status: str, *, only_from: str) -> bool:
    """Move an order to `status` if it is still `only_from` (a cancel takes a pending order
    only); False when it was not."""
    stmt: Any = (
        update(Order)
        .where(col(Order.id) == order_id, col(Order.status) == only_from)
        .values(status=status)
    )
    return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]
