"""What generation carries between steps: plans, orders, stories, messages, row batches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from storage.lookup_keys import KEY_COLUMNS
from workspace.demo.catalogue import Product
from workspace.vocabulary import ContactStatus


@dataclass(slots=True)
class OpenPlan:
    """One open or pending contact, decided before its customer is generated."""

    number: int
    channel: str
    priority: str
    level: str
    status: str = ContactStatus.OPEN
    holder: str | None = None


@dataclass(slots=True)
class PlacedOrder:
    """An order as generated, kept while its customer's conversations are written."""

    id: str
    placed_at: datetime
    status: str
    promised_by: date
    delivered_at: datetime | None
    total: Decimal
    items: list[tuple[Product, int]]
    facts: dict[str, str] | None = None
    """The placeholder values that depend only on the order, worked out once."""


@dataclass(slots=True)
class Story:
    """What one open contact is about, and the order it concerns."""

    plan: OpenPlan
    key: str
    opened_at: datetime
    order: PlacedOrder | None = None
    repeat_of: Story | None = None
    after: Story | None = None
    """The same customer's earlier contact about the same thing, when this one chases it."""
    ctx: dict[str, str] | None = None
    """The placeholder values, shared by every contact of the story."""


@dataclass(slots=True)
class Msg:
    """One interaction before it gets its ref (refs follow each customer's time order)."""

    at: datetime
    channel: str
    direction: str
    kind: str
    text: str
    author: str | None
    subject: str | None = None
    ticket_id: str | None = None


#: The columns of each kind of row in a `Batch`, in the order of the tuples.
CUSTOMER_COLUMNS = ("id", "name", "email", "phone", "tier", "since", *KEY_COLUMNS)
ORDER_COLUMNS = ("id", "customer_id", "placed_at", "status", "promised_by", "delivered_at", "total")
ITEM_COLUMNS = ("order_id", "line", "sku", "name", "price", "quantity")
TICKET_COLUMNS = (
    "id",
    "customer_id",
    "channel",
    "subject",
    "status",
    "active",
    "priority",
    "priority_rank",
    "opened_at",
    "sla_due_at",
    "assigned_agent_id",
    "claimed_at",
    "first_response_at",
    "resolved_at",
    "disposition",
    "version",
    "parked_at",
)
HOLD_COLUMNS = ("ticket_id", "agent_id", "started_at", "ended_at", "ended_by")
SURVEY_COLUMNS = ("id", "ticket_id", "at", "csat", "ces", "nps", "comment")
INTERACTION_COLUMNS = (
    "ref",
    "customer_id",
    "ticket_id",
    "at",
    "channel",
    "direction",
    "kind",
    "subject",
    "text",
    "author",
)

Row = Sequence[Any]


@dataclass(slots=True)
class Batch:
    """The rows of one batch of customers, as tuples in the `*_COLUMNS` order.

    Inserted together and then dropped, so memory stays flat however large the set.
    """

    customers: list[Row] = field(default_factory=list)
    orders: list[Row] = field(default_factory=list)
    items: list[Row] = field(default_factory=list)
    tickets: list[Row] = field(default_factory=list)
    interactions: list[Row] = field(default_factory=list)
    holds: list[Row] = field(default_factory=list)
    """Every hold of the batch's contacts: one running for each held open contact, and the
    finished ones of resolved contacts (so handle time has figures)."""
    surveys: list[Row] = field(default_factory=list)
    """The answers customers gave to the survey after some resolved contacts (so CSAT, NPS
    and CES have figures)."""
    customers_done: int = 0
    """Customers generated so far, this batch included (as are the counts below)."""
    open_done: int = 0
    """Open and pending contacts generated so far."""
    counts: dict[str, int] = field(default_factory=dict)
    """Orders, order items, tickets and interactions generated so far."""

    def tables(self) -> list[tuple[str, tuple[str, ...], list[Row]]]:
        """The rows by table, parents before children (as foreign keys need them)."""
        return [
            ("customer", CUSTOMER_COLUMNS, self.customers),
            ("orders", ORDER_COLUMNS, self.orders),
            ("order_item", ITEM_COLUMNS, self.items),
            ("ticket", TICKET_COLUMNS, self.tickets),
            ("contact_hold", HOLD_COLUMNS, self.holds),
            ("survey", SURVEY_COLUMNS, self.surveys),
            ("interaction", INTERACTION_COLUMNS, self.interactions),
        ]
