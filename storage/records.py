"""Plain, frozen records: what storage hands to the workspace layer (never a table object)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

#: Queue order within equal SLA due times: the lower, the sooner.
PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}

ACTIVE = "active"
"""The queue's default status filter: open and pending contacts together."""


@dataclass(frozen=True)
class AgentRecord:
    """Someone who works contacts."""

    id: int
    """Database id."""
    name: str
    """Login name, unique (`--agent NAME`)."""
    display_name: str
    """Name shown to colleagues."""
    role: str
    """agent, senior, supervisor or trainer."""


@dataclass(frozen=True)
class QueueKey:
    """A row's place in queue order: time to SLA breach, then priority, then waiting."""

    sla_due_at: datetime
    """When the SLA is breached."""
    priority_rank: int
    """0 urgent, 1 high, 2 normal, 3 low."""
    opened_at: datetime
    """When the contact arrived."""
    id: str
    """Ticket id, the final tie-breaker."""


@dataclass(frozen=True)
class QueueFilter:
    """Which contacts the queue shows."""

    status: str = ACTIVE
    """`active` (open and pending), `open`, `pending` or `resolved`."""
    channel: str | None = None
    """Only this channel, or every channel."""
    agent_id: int | None = None
    """Only the contacts this agent holds ("mine"), or everyone's."""


@dataclass(frozen=True)
class QueueRow:
    """One contact as the queue shows it."""

    id: str
    """Ticket id."""
    customer_id: str
    """The customer's id."""
    customer_name: str
    """The customer's name (untrusted text)."""
    tier: str
    """The customer's tier."""
    channel: str
    """chat, email, call, social or sms."""
    subject: str
    """Subject line (untrusted text)."""
    status: str
    """open, pending or resolved."""
    priority: str
    """urgent, high, normal or low."""
    opened_at: datetime
    """When the contact arrived."""
    sla_due_at: datetime
    """When its SLA is breached."""
    holder_id: int | None
    """The agent holding it, if any."""
    holder_name: str | None
    """That agent's display name."""
    claimed_at: datetime | None
    """When it was claimed."""
    version: int
    """Optimistic-concurrency version."""
    key: QueueKey
    """Its place in queue order."""

    @property
    def active(self) -> bool:
        """Whether the contact is still being worked (open or pending)."""
        return self.status != "resolved"


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
    """standard, silver, gold or platinum."""
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
    """pending, shipped, delivered, cancelled or returned."""
    promised_by: date | None
    """The delivery date promised."""
    delivered_at: datetime | None
    """When it was delivered."""
    total: Decimal
    """Sum of its items."""
    items: tuple[OrderItemRecord, ...]
    """Its lines."""


@dataclass(frozen=True)
class TicketRecord:
    """A contact of the customer's, past or present."""

    id: str
    """Ticket id."""
    channel: str
    """Channel it came in on."""
    subject: str
    """Subject (untrusted text)."""
    status: str
    """open, pending or resolved."""
    priority: str
    """Priority."""
    opened_at: datetime
    """When it arrived."""
    resolved_at: datetime | None
    """When it was resolved."""
    disposition: str | None
    """How it was resolved."""


@dataclass(frozen=True)
class TimelineKey:
    """A timeline entry's place, newest first: time, then source, then id."""

    at: datetime
    """When it happened."""
    source: int
    """0 interaction, 1 order event (ties keep interactions after order events)."""
    id: int | str
    """The interaction's id (int), or the order event's id (`W1001/placed`)."""


@dataclass(frozen=True)
class TimelineRecord:
    """One entry of the unified timeline."""

    key: TimelineKey
    """Its place, for paging."""
    kind: str
    """message, note, order_placed or order_delivered."""
    at: datetime
    """When it happened."""
    channel: str
    """chat, email, call, social, sms, or `order` for order events."""
    direction: str
    """inbound, outbound, internal, or `event`."""
    subject: str | None
    """Subject (untrusted text)."""
    text: str
    """Full text (untrusted text)."""
    author: str | None
    """Who wrote it, for outbound messages and notes."""
    ref: str
    """Source id: the interaction's ref or the order's id."""
    ticket_id: str | None
    """The contact it belongs to, if any."""


@dataclass(frozen=True)
class ClaimOutcome:
    """The result of trying to claim a contact."""

    claimed: bool
    """True when this agent now holds it."""
    ticket_id: str
    """The contact."""
    holder_name: str | None
    """Who holds it (this agent on success, another on failure)."""
    reason: str
    """One plain sentence for the agent."""


ACTION_STATUSES = ("requested", "approved", "denied", "withdrawn", "executed")
"""Where an action can stand; it only ever moves forward."""

COMMITTED = ("requested", "approved", "executed")
"""Statuses that count against budgets and per-customer allowances (pending ones included,
so two waiting requests cannot both be approved past a limit)."""


@dataclass(frozen=True)
class ActionRecord:
    """One action as the workspace shows it."""

    id: int
    """Its number (`#12`)."""
    ref: str
    """Its idempotency key."""
    kind: str
    """discount, refund, replacement, store_credit, reship or cancel_order."""
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
    """allow, needs_approval or deny."""
    rule: str
    """The policy key path that decided."""
    verdict_reason: str
    """The verdict's sentence."""
    outside_budget: bool
    """Granted by a broken guarantee."""
    policy_hash: str
    """The fingerprint of the policy that decided it."""
    status: str
    """One of ACTION_STATUSES."""
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


@dataclass(frozen=True)
class ActionUsage:
    """What has been committed already, counted inside the deciding transaction."""

    agent_month_amount: Decimal
    """This agent's committed amount of this action this month, outside-budget grants excluded."""
    agent_month_count: int
    """This agent's committed grants of this action this month, outside-budget ones excluded."""
    customer_count: int
    """This customer's committed grants of this action, by anyone, in the window."""


@dataclass(frozen=True)
class OrderUsage:
    """What is already committed on one order, by anyone."""

    given_back: Decimal
    """Money given back by refunds and discounts."""
    same_kind: int
    """Actions of the kind being decided."""
    guarantee_grants: int
    """Grants made under a guarantee."""


@dataclass(frozen=True)
class InstalledPolicy:
    """The team's policy as installed in the database."""

    installed_at: datetime
    """When."""
    installed_by: str
    """By whom."""
    fingerprint: str
    """Its fingerprint."""
    source: str
    """The file name it was installed from."""
    body: str
    """The file's text."""
