"""What generation carries between steps: plans, orders, stories, messages, row batches."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from workspace.demo.catalogue import Product


@dataclass(slots=True)
class OpenPlan:
    """One open or pending contact, decided before its customer is generated."""

    number: int
    channel: str
    priority: str
    level: str
    status: str = "open"
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


@dataclass(slots=True)
class Batch:
    """The rows of one batch of customers, inserted together and then dropped."""

    customers: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    tickets: list[dict[str, Any]] = field(default_factory=list)
    interactions: list[dict[str, Any]] = field(default_factory=list)
