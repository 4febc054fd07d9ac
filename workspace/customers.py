"""Customers, their orders and their contacts, as the workspace knows them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from workspace.vocabulary import SETTLED_ORDERS


@dataclass(frozen=True)
class CustomerRecord:
    """A customer's profile."""

    id: str
    """Source-system id."""
    name: str
    """Full name (untrusted text)."""
    email: str | None
    """E-mail address."""
    phone: str | None
    """Phone number."""
    tier: str
    """`DEFAULT_TIER` or a tier the policy names."""
    since: date | None
    """Customer since."""


@dataclass(frozen=True)
class OrderItemRecord:
    """One line of an order."""

    sku: str
    """Stock-keeping unit."""
    name: str
    """Product name."""
    price: Decimal
    """Unit price."""
    quantity: int
    """How many."""


@dataclass(frozen=True)
class OrderRecord:
    """An order with its items."""

    id: str
    """Order id."""
    customer_id: str
    """Who placed it."""
    placed_at: datetime
    """When it was placed."""
    status: str
    """One of `OrderStatus`."""
    promised_by: date | None
    """The delivery date promised."""
    delivered_at: datetime | None
    """When it was delivered."""
    total: Decimal
    """Sum of its items."""
    items: tuple[OrderItemRecord, ...]
    """Its lines."""
    refunded: Decimal = Decimal("0.00")
    """Money given back on it by executed refunds."""

    @property
    def worth(self) -> str:
        """Its total, and what was refunded of it: `120.00 (20.00 refunded)`."""
        if self.refunded:
            return f"{self.total} ({self.refunded} refunded)"
        return str(self.total)


@dataclass(frozen=True)
class TicketRecord:
    """A contact of the customer's, past or present."""

    id: str
    """Ticket id."""
    channel: str
    """One of `Channel`."""
    subject: str
    """Subject (untrusted text)."""
    status: str
    """One of `ContactStatus`."""
    priority: str
    """One of `Priority`."""
    opened_at: datetime
    """When it arrived."""
    resolved_at: datetime | None
    """When it was resolved."""
    disposition: str | None
    """How it was resolved: one of `Disposition`."""


def customer_record(r: Any) -> CustomerRecord:
    """A customer from a row of `storage.customer_queries`."""
    return CustomerRecord(
        id=r.id, name=r.name, email=r.email, phone=r.phone, tier=r.tier, since=r.since
    )


def order_record(order: Any, items: Iterable[Any]) -> OrderRecord:
    """An order from its row and its items' rows (`storage.customer_queries.OrderRows`)."""
    return OrderRecord(
        id=order.id,
        customer_id=order.customer_id,
        placed_at=order.placed_at,
        status=order.status,
        promised_by=order.promised_by,
        delivered_at=order.delivered_at,
        total=order.total,
        items=tuple(OrderItemRecord(i.sku, i.name, i.price, i.quantity) for i in items),
        refunded=getattr(order, "refunded", None) or Decimal("0.00"),
    )


def ticket_record(r: Any) -> TicketRecord:
    """A contact from a row of `storage.customer_queries.customer_tickets`."""
    return TicketRecord(
        id=r.id,
        channel=r.channel,
        subject=r.subject,
        status=r.status,
        priority=r.priority,
        opened_at=r.opened_at,
        resolved_at=r.resolved_at,
        disposition=r.disposition,
    )


def days_late(order: OrderRecord) -> int | None:
    """How many days after its promised date the order was delivered (None: on time, or not yet)."""
    if order.promised_by is None or order.delivered_at is None:
        return None
    days = (order.delivered_at.date() - order.promised_by).days
    return days if days > 0 else None


def is_late(order: OrderRecord, today: date) -> bool:
    """Whether a live order broke its delivery promise (delivered late, or overdue now).

    Cancelled and returned orders are settled, so they are never listed as late.
    """
    if order.promised_by is None or order.status in SETTLED_ORDERS:
        return False
    if order.delivered_at is not None:
        return days_late(order) is not None
    return today > order.promised_by
