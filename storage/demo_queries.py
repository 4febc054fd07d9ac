"""Reads the demo build makes once its rows are in: which contacts its actions are about."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlmodel import Session, col

from storage.models import Order, Ticket


def recent_closed_with_orders(session: Session, since: datetime, limit: int) -> Sequence[Row[Any]]:
    """The newest contacts resolved since `since` by an agent, each with its customer's
    newest delivered order (`ticket_id`, `customer_id`, `agent_id`, `resolved_at`,
    `order_id`, `total`); newest first, at most `limit`."""
    newest = (
        select(func.max(col(Order.id)))
        .where(col(Order.customer_id) == col(Ticket.customer_id), col(Order.status) == "delivered")
        .correlate(Ticket)
        .scalar_subquery()
    )
    closed = (
        select(
            col(Ticket.id).label("ticket_id"),
            col(Ticket.customer_id).label("customer_id"),
            col(Ticket.assigned_agent_id).label("agent_id"),
            col(Ticket.resolved_at).label("resolved_at"),
            newest.label("order_id"),
        )
        .where(
            col(Ticket.status) == "resolved",
            col(Ticket.resolved_at) >= since,
            col(Ticket.assigned_agent_id).is_not(None),
        )
        .order_by(col(Ticket.resolved_at).desc(), col(Ticket.id).desc())
        .limit(limit * 3)
        .subquery()
    )
    stmt = (
        select(closed, col(Order.total).label("total"))
        .join(Order, col(Order.id) == closed.c.order_id)
        .order_by(closed.c.resolved_at.desc(), closed.c.ticket_id.desc())
        .limit(limit)
    )
    return session.execute(stmt).all()
