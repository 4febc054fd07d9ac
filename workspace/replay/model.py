"""A training scenario and a trainee's answers, as read from their files (specs/scenario.md).

Plain values only, already validated: every loader of a scenario or answers file returns these,
and the scoring, the autopilot and the replay read nothing else. Times in a scenario are
aware UTC datetimes; relative times (`45s`, `2m`) are `timedelta`s from the start of the contact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Literal

from workspace.customers import OrderItemRecord, OrderRecord
from workspace.policy import Policy

FORMAT_VERSION = 1
"""The `scenario:` format version this CareDesk reads."""


@dataclass(frozen=True)
class ScenarioAgent:
    """Who the trainee plays."""

    name: str = "trainee"
    role: str = "agent"
    """One of the team roles (`agent`, `senior`, `supervisor`, `trainer`): it selects the
    policy's `roles.<role>` overrides."""


@dataclass(frozen=True)
class ScenarioCustomer:
    id: str
    name: str
    email: str | None = None
    phone: str | None = None
    tier: str = "standard"
    since: date | None = None


@dataclass(frozen=True)
class ScenarioItem:
    sku: str
    name: str
    price: Decimal
    quantity: int = 1


@dataclass(frozen=True)
class ScenarioOrder:
    id: str
    placed_at: datetime
    status: str
    """One of `OrderStatus`."""
    items: tuple[ScenarioItem, ...]
    promised_by: date | None = None
    delivered_at: datetime | None = None

    @property
    def total(self) -> Decimal:
        """The sum of its items, as the workspace counts an order's total."""
        return sum((i.price * i.quantity for i in self.items), Decimal("0.00"))

    def record(self, customer_id: str) -> OrderRecord:
        """The order as the workspace's policy checks see it."""
        return OrderRecord(
            id=self.id,
            customer_id=customer_id,
            placed_at=self.placed_at,
            status=self.status,
            promised_by=self.promised_by,
            delivered_at=self.delivered_at,
            total=self.total,
            items=tuple(
                OrderItemRecord(sku=i.sku, name=i.name, price=i.price, quantity=i.quantity)
                for i in self.items
            ),
        )


@dataclass(frozen=True)
class HistoryEntry:
    """An earlier contact's message: one entry of the context pane."""

    at: datetime
    channel: str
    """One of `Channel`."""
    direction: Literal["inbound", "outbound"]
    text: str
    subject: str | None = None
    author: str | None = None
    """Who wrote an outbound message."""


@dataclass(frozen=True)
class Turn:
    """Something the customer says in the live contact: at a time, or once an action is taken.
    Exactly one of `at` and `after_action` is set."""

    customer: str
    at: timedelta | None = None
    after_action: str | None = None
    """An `ActionKind` value."""


@dataclass(frozen=True)
class Contact:
    """The live contact the trainee handles."""

    channel: str
    subject: str
    turns: tuple[Turn, ...]


@dataclass(frozen=True)
class AmountRange:
    """Bounds an expected action's amount must fall within (both included)."""

    min: Decimal | None = None
    max: Decimal | None = None

    def holds(self, amount: Decimal) -> bool:
        return (self.min is None or amount >= self.min) and (self.max is None or amount <= self.max)


@dataclass(frozen=True)
class ExpectedAction:
    action: str
    """An `ActionKind` value."""
    order: str | None = None
    items: tuple[str, ...] = ()
    amount: AmountRange | None = None


@dataclass(frozen=True)
class ForbiddenAction:
    action: str
    order: str | None = None
    """Only on this order; None: on any."""


@dataclass(frozen=True)
class Expect:
    """What a good agent does; all of it optional."""

    actions: tuple[ExpectedAction, ...] = ()
    forbidden: tuple[ForbiddenAction, ...] = ()
    disposition: str | None = None
    """One of `Disposition`."""
    review_history: tuple[int, ...] = ()
    """Indexes of `Scenario.history` to open (`all` in the file: every index)."""
    reply_phrases_any: tuple[str, ...] = ()
    within: timedelta | None = None


@dataclass(frozen=True)
class Scenario:
    version: int
    id: str
    title: str
    policy: Policy
    customer: ScenarioCustomer
    contact: Contact
    now: datetime
    """The scenario clock at the start of the contact (a file without `now` starts one hour
    after the latest moment it names, or at 2026-01-01T09:00:00Z if it names none)."""
    agent: ScenarioAgent = field(default_factory=ScenarioAgent)
    orders: tuple[ScenarioOrder, ...] = ()
    history: tuple[HistoryEntry, ...] = ()
    expect: Expect = field(default_factory=Expect)
    source: Path | None = None
    """The file it was read from."""

    def order(self, order_id: str) -> ScenarioOrder | None:
        return next((o for o in self.orders if o.id == order_id), None)


StepKind = Literal["open", "reply", "action", "resolve"]


@dataclass(frozen=True)
class Step:
    """One thing the trainee did, `at` after the contact started."""

    at: timedelta
    kind: StepKind
    open: str | None = None
    """What was opened: `history/<index>`."""
    reply: str | None = None
    action: str | None = None
    order: str | None = None
    items: tuple[str, ...] = ()
    amount: Decimal | None = None
    """The amount typed (discount, refund, store credit); None for the others."""
    reason: str = ""
    resolve: str | None = None
    """The disposition chosen."""

    @property
    def history_index(self) -> int | None:
        """The history entry an `open` step opened."""
        if self.open is None or not self.open.startswith("history/"):
            return None
        tail = self.open.removeprefix("history/")
        return int(tail) if tail.isdigit() else None


@dataclass(frozen=True)
class Answers:
    """What a trainee did, in the order it happened."""

    scenario: str
    """The scenario's id."""
    steps: tuple[Step, ...]
    trainee: str | None = None
    """Who played it (the class report's first column)."""
    source: Path | None = None
