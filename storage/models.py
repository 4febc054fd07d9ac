"""The tables. SQLModel classes stay in storage; plain records cross into workspace."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    text,
    true,
)
from sqlmodel import Field, SQLModel

from storage.lookup_keys import KEY_COLUMNS, customer_keys
from storage.types import Money, UTCDateTime


def _dt(*, nullable: bool = False, index: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable, index=index)


class Agent(SQLModel, table=True):
    """Someone who works contacts: an agent, a senior, a supervisor or a trainer."""

    __tablename__ = "agent"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    display_name: str = Field(sa_column=Column(String(200), nullable=False))
    role: str = Field(sa_column=Column(String(16), nullable=False))
    email: str | None = Field(default=None, sa_column=Column(Text))
    active: bool = Field(
        default=True, sa_column=Column(Boolean, nullable=False, server_default=true())
    )
    """False for someone who has left: they cannot open the workspace or claim."""
    news_seen_at: datetime | None = Field(default=None, sa_column=_dt(nullable=True))
    """Decisions on this agent's requests up to here were told to them."""


#: Lookup keys compare code point by code point on both databases (SQLite's own BINARY
#: order; the "C" collation on PostgreSQL), so a prefix is one range of their index.
_KEY = Text().with_variant(Text(collation="C"), "postgresql")


def _folded_id(name: str) -> Index:
    """An index of the lower-cased id: ids are matched whatever their case."""
    return Index(name, text("lower(id)"))


def _key() -> Any:
    return Field(default=None, sa_column=Column(_KEY))


class Customer(SQLModel, table=True):
    """A customer, keyed by the source system's id."""

    __tablename__ = "customer"
    __table_args__ = (
        _folded_id("ix_customer_id_folded"),
        Index("ix_customer_name_key", "name_key"),
        Index("ix_customer_rest_key", "rest_key"),
        Index("ix_customer_last_key", "last_key"),
        Index("ix_customer_email_key", "email_key"),
        Index("ix_customer_phone_key", "phone_key"),
    )

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    name: str = Field(sa_column=Column(Text, nullable=False))
    email: str | None = Field(default=None, sa_column=Column(Text))
    phone: str | None = Field(default=None, sa_column=Column(Text))
    tier: str = Field(sa_column=Column(String(32), nullable=False))
    since: date | None = None
    name_key: str | None = _key()
    """The folded name (`storage.lookup_keys`): what a lookup by name reads."""
    rest_key: str | None = _key()
    """The folded name from its second word on."""
    last_key: str | None = _key()
    """The folded last word, when it is the third or a later one."""
    email_key: str | None = _key()
    """The folded e-mail address."""
    phone_key: str | None = _key()
    """The phone number's last eight digits (`lookup_keys.PHONE_DIGITS`)."""


@event.listens_for(Customer, "before_insert")
@event.listens_for(Customer, "before_update")
def _fill_keys(_mapper: Any, _connection: Any, customer: Customer) -> None:
    """Every customer written through the ORM carries its lookup keys (bulk writers fill
    them themselves: `storage.lookup_keys.with_keys`)."""
    keys = customer_keys(customer.name, customer.email, customer.phone)
    for column in KEY_COLUMNS:
        setattr(customer, column, keys[column])


class Order(SQLModel, table=True):
    """An order the customer placed; its items are in `order_item`."""

    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_customer_placed", "customer_id", "placed_at"),
        _folded_id("ix_orders_id_folded"),
    )

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    customer_id: str = Field(foreign_key="customer.id", max_length=64)
    placed_at: datetime = Field(sa_column=_dt())
    status: str = Field(sa_column=Column(String(16), nullable=False))
    promised_by: date | None = None
    delivered_at: datetime | None = Field(default=None, sa_column=_dt(nullable=True))
    total: Decimal = Field(default=Decimal("0.00"), sa_column=Column(Money(), nullable=False))
    refunded: Decimal = Field(
        default=Decimal("0.00"), sa_column=Column(Money(), nullable=False, server_default="0")
    )
    """Money given back on it, kept as refunds execute."""


class OrderItem(SQLModel, table=True):
    """One line of an order."""

    __tablename__ = "order_item"
    __table_args__ = (UniqueConstraint("order_id", "line", name="uq_order_item_line"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: str = Field(foreign_key="orders.id", max_length=64, index=True)
    line: int = Field(sa_column=Column(Integer, nullable=False))
    sku: str = Field(sa_column=Column(String(64), nullable=False))
    name: str = Field(sa_column=Column(Text, nullable=False))
    price: Decimal = Field(sa_column=Column(Money(), nullable=False))
    quantity: int = 1


class Interaction(SQLModel, table=True):
    """A message or note on any channel: one entry of the customer's timeline."""

    __tablename__ = "interaction"
    __table_args__ = (
        Index("ix_interaction_timeline", "customer_id", "at", "id"),
        Index("ix_interaction_ticket", "ticket_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    customer_id: str = Field(foreign_key="customer.id", max_length=64)
    ticket_id: str | None = Field(default=None, foreign_key="ticket.id", max_length=64)
    at: datetime = Field(sa_column=_dt())
    channel: str = Field(sa_column=Column(String(16), nullable=False))
    direction: str = Field(sa_column=Column(String(16), nullable=False))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    subject: str | None = Field(default=None, sa_column=Column(Text))
    text: str = Field(sa_column=Column(Text, nullable=False))
    author: str | None = Field(default=None, sa_column=Column(Text))


_UNHELD = text("assigned_agent_id IS NULL")

#: Closed contacts (`queue_queries.CLOSED`), spelled as a literal: the resolved view's query
#: names the status the same way, so both planners see it may read these partial indexes.
_CLOSED = text("status = 'resolved'")


def _closed_index(name: str, *narrowed_by: str) -> Index:
    """Closed contacts, newest closed first once read backwards (`queue_queries.CLOSED_AT`):
    only the resolved view reads them, and only closing a contact writes to them (a claim
    or a reply on the contacts being worked never does).

    `status` is a key column though every entry is closed: SQLite plans without statistics,
    and an equality on it weighs this index against the status indexes, which would sort.
    """
    closed_at = text("coalesce(resolved_at, opened_at)")
    return Index(
        name, *narrowed_by, closed_at, "id", postgresql_where=_CLOSED, sqlite_where=_CLOSED
    )


class Ticket(SQLModel, table=True):
    """A contact waiting for (or handled by) an agent: one row of the queue."""

    __tablename__ = "ticket"
    __table_args__ = (
        # "Next": the contacts nobody holds, in queue order (a claim takes its row out).
        Index(
            "ix_ticket_unheld",
            "status",
            "sla_due_at",
            "priority_rank",
            "opened_at",
            "id",
            postgresql_where=_UNHELD,
            sqlite_where=_UNHELD,
        ),
        Index(
            "ix_ticket_unheld_channel",
            "status",
            "channel",
            "sla_due_at",
            "priority_rank",
            "opened_at",
            "id",
            postgresql_where=_UNHELD,
            sqlite_where=_UNHELD,
        ),
        Index("ix_ticket_queue_status", "status", "sla_due_at", "priority_rank", "opened_at", "id"),
        Index(
            "ix_ticket_queue_status_channel",
            "status",
            "channel",
            "sla_due_at",
            "priority_rank",
            "opened_at",
            "id",
        ),
        # "Mine": one holder's contacts, already in queue order.
        Index(
            "ix_ticket_queue_holder_active",
            "assigned_agent_id",
            "active",
            "sla_due_at",
            "priority_rank",
            "opened_at",
            "id",
        ),
        Index(
            "ix_ticket_queue_holder_status",
            "assigned_agent_id",
            "status",
            "sla_due_at",
            "priority_rank",
            "opened_at",
            "id",
        ),
        # The resolved view: everyone's, one channel's, or one agent's ("mine").
        _closed_index("ix_ticket_closed", "status"),
        _closed_index("ix_ticket_closed_channel", "status", "channel"),
        _closed_index("ix_ticket_closed_holder", "assigned_agent_id", "status"),
        Index("ix_ticket_customer", "customer_id", "opened_at"),
        _folded_id("ix_ticket_id_folded"),
        # The report (specs/metrics.md): contacts opened, and first replies, in a period.
        Index("ix_ticket_opened", "opened_at", "channel"),
        Index("ix_ticket_first_response", "first_response_at"),
    )

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    customer_id: str = Field(foreign_key="customer.id", max_length=64)
    channel: str = Field(sa_column=Column(String(16), nullable=False))
    subject: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    active: bool
    priority: str = Field(sa_column=Column(String(16), nullable=False))
    priority_rank: int
    opened_at: datetime = Field(sa_column=_dt())
    sla_due_at: datetime = Field(sa_column=_dt())
    assigned_agent_id: int | None = Field(default=None, foreign_key="agent.id")
    claimed_at: datetime | None = Field(default=None, sa_column=_dt(nullable=True))
    first_response_at: datetime | None = Field(default=None, sa_column=_dt(nullable=True))
    resolved_at: datetime | None = Field(default=None, sa_column=_dt(nullable=True))
    disposition: str | None = Field(default=None, sa_column=Column(String(32)))
    reopened: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    """How many times it was reopened (in the source system, or here)."""
    handle_seconds: int | None = Field(default=None, sa_column=Column(Integer))
    """Time agents spent on it in the source system."""
    parked_at: datetime | None = Field(default=None, sa_column=_dt(nullable=True))
    """When it was parked waiting on the customer; its SLA clock stands still from then."""
    version: int = 0


class AuditEntry(SQLModel, table=True):
    """One append-only entry of the audit log; `hash` chains it to the entry before."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        # `caredesk audit log`: by time, by actor and by what an entry is about.
        Index("ix_audit_at", "at", "id"),
        Index("ix_audit_actor", "actor", "at", "id"),
        Index("ix_audit_entity", "entity", "entity_id", "at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=_dt())
    actor: str = Field(sa_column=Column(String(64), nullable=False))
    action: str = Field(sa_column=Column(String(32), nullable=False))
    entity: str = Field(sa_column=Column(String(32), nullable=False))
    entity_id: str = Field(sa_column=Column(String(64), nullable=False))
    before: str | None = Field(default=None, sa_column=Column(Text))
    after: str | None = Field(default=None, sa_column=Column(Text))
    prev_hash: str = Field(sa_column=Column(String(64), nullable=False))
    hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    seal: str | None = Field(default=None, sa_column=Column(String(80)))
    """For an entry about money or a promise: `<key id>:<HMAC-SHA256 of hash>`, made with
    the team's audit key, which the database never sees (`workspace.audit_seal`)."""


#: Actions someone decided (a supervisor, or the requester withdrawing): the policy's own
#: decisions have no decider, and the timeline reads its decisions without them.
_DECIDED = text("decided_by IS NOT NULL")


class Action(SQLModel, table=True):
    """A policy-bounded action taken for a customer: requested, decided once, executed once.

    The verdict is decided in the transaction that inserts the row; `status` then moves only
    forward, by conditional updates: requested -> approved -> executed, or requested ->
    denied / withdrawn. An action the policy allows is inserted as approved and executed in
    the same transaction; one it denies is inserted as denied.
    """

    __tablename__ = "action"
    __table_args__ = (
        Index("ix_action_budget", "agent_id", "kind", "requested_at"),
        Index("ix_action_customer", "customer_id", "requested_at", "id"),
        # The customer's timeline: the decisions, newest first (`action_queries.decided_page`).
        Index(
            "ix_action_customer_decided",
            "customer_id",
            "decided_at",
            "id",
            postgresql_where=_DECIDED,
            sqlite_where=_DECIDED,
        ),
        Index("ix_action_customer_status", "customer_id", "status", "requested_at"),
        Index("ix_action_status", "status", "requested_at", "id"),
        Index("ix_action_decided", "agent_id", "decided_at"),
        Index("ix_action_order", "order_id"),
        # The report: what was executed, and which requests were decided, in a period.
        Index("ix_action_executed", "executed_at"),
        Index("ix_action_decided_at", "decided_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    """The idempotency key: the same request submitted twice is stored once."""
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    customer_id: str = Field(foreign_key="customer.id", max_length=64)
    order_id: str | None = Field(default=None, foreign_key="orders.id", max_length=64)
    ticket_id: str | None = Field(default=None, foreign_key="ticket.id", max_length=64)
    agent_id: int = Field(foreign_key="agent.id")
    amount: Decimal = Field(sa_column=Column(Money(), nullable=False))
    currency: str = Field(sa_column=Column(String(3), nullable=False))
    items: str | None = Field(default=None, sa_column=Column(Text))
    """The SKUs replaced, as a JSON array (replacements only)."""
    reason: str = Field(sa_column=Column(Text, nullable=False))
    verdict: str = Field(sa_column=Column(String(16), nullable=False))
    rule: str = Field(sa_column=Column(Text, nullable=False))
    verdict_reason: str = Field(sa_column=Column(Text, nullable=False))
    outside_budget: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    policy_hash: str = Field(sa_column=Column(String(16), nullable=False))
    """The fingerprint of the policy that decided it."""
    status: str = Field(sa_column=Column(String(16), nullable=False))
    requested_at: datetime = Field(sa_column=_dt())
    decided_at: datetime | None = Field(default=None, sa_column=_dt(nullable=True))
    decided_by: int | None = Field(default=None, foreign_key="agent.id")
    decision_reason: str | None = Field(default=None, sa_column=Column(Text))
    executed_at: datetime | None = Field(default=None, sa_column=_dt(nullable=True))


class ActionKey(SQLModel, table=True):
    """An agent's idempotency key: the request it first named and, once taken, its action.

    Claimed in a transaction of its own before the action is decided (`lease_until`, `holder`),
    so a second submit with the same key while the first is in flight is told so; marked
    taken in the action's own transaction.
    """

    __tablename__ = "action_key"

    agent_id: int = Field(foreign_key="agent.id", primary_key=True)
    key: str = Field(sa_column=Column(String(64), primary_key=True))
    request: str = Field(sa_column=Column(Text, nullable=False))
    """The request as first asked, as canonical JSON: a reuse must ask the same."""
    first_at: datetime = Field(sa_column=_dt())
    action_id: int | None = Field(default=None, foreign_key="action.id")
    """The action taken; None while the first submit is still deciding."""
    holder: str | None = Field(default=None, sa_column=Column(String(32)))
    """Which submit is deciding now (a random token), until `lease_until`."""
    lease_until: datetime | None = Field(default=None, sa_column=_dt(nullable=True))


class PolicyVersion(SQLModel, table=True):
    """A policy installed for the whole team; the newest one decides every action."""

    __tablename__ = "policy_version"

    id: int | None = Field(default=None, primary_key=True)
    installed_at: datetime = Field(sa_column=_dt())
    installed_by: str = Field(sa_column=Column(String(64), nullable=False))
    fingerprint: str = Field(sa_column=Column(String(16), nullable=False))
    source: str = Field(sa_column=Column(Text, nullable=False))
    """The file name it was installed from."""
    body: str = Field(sa_column=Column(Text, nullable=False))
    """The policy file's text, exactly as installed."""


class Survey(SQLModel, table=True):
    """A customer's answer to a survey about one contact (specs/metrics.md)."""

    __tablename__ = "survey"
    __table_args__ = (
        Index("ix_survey_ticket", "ticket_id"),
        Index("ix_survey_at", "at"),  # the report: the surveys answered in a period
    )

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    ticket_id: str = Field(foreign_key="ticket.id", max_length=64)
    at: datetime = Field(sa_column=_dt())
    csat: int | None = None
    ces: int | None = None
    nps: int | None = None
    comment: str | None = Field(default=None, sa_column=Column(Text))
    """What the customer wrote, as they wrote it (untrusted text)."""


#: Holds still running: at most one per contact, found when it ends.
_RUNNING = text("ended_at IS NULL")
_ENDED = text("ended_at IS NOT NULL")


class ContactHold(SQLModel, table=True):
    """One stretch of time an agent held a contact: from the claim (or the open, or being
    given it) until it ended (released, resolved, parked, escalated, lapsed, freed or given
    to someone else). Handle time is the sum of a contact's holds (specs/metrics.md), and an
    agent's handle time today is the sum of theirs; both are read through the indexes below,
    which a claim (a running hold) adds to as little as it can.
    """

    __tablename__ = "contact_hold"
    __table_args__ = (
        Index("ix_contact_hold_ticket", "ticket_id", "started_at"),
        Index("ix_contact_hold_ended", "ended_at", postgresql_where=_ENDED, sqlite_where=_ENDED),
        Index(
            "ix_contact_hold_agent_running",
            "agent_id",
            "started_at",
            "ticket_id",
            postgresql_where=_RUNNING,
            sqlite_where=_RUNNING,
        ),
        Index(
            "ix_contact_hold_running",
            "ticket_id",
            unique=True,
            postgresql_where=_RUNNING,
            sqlite_where=_RUNNING,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: str = Field(sa_column=Column(String(64), nullable=False))
    agent_id: int = Field(foreign_key="agent.id")
    started_at: datetime = Field(sa_column=_dt())
    ended_at: datetime | None = Field(default=None, sa_column=_dt(nullable=True))
    """None while the agent still holds it."""
    ended_by: str | None = Field(default=None, sa_column=Column(String(16)))
    """How it ended: one of `HoldEnd` (release, resolve, park, escalate, lapse, free,
    assign, leave)."""


class DeskSession(SQLModel, table=True):
    """One open workspace: who runs it, when it last beat, and the contact it has open.

    A workspace beats every few seconds; one whose beat is older than the lapse time is
    gone, and the holds of an agent with no workspace left are released.
    """

    __tablename__ = "desk_session"
    __table_args__ = (
        Index("ix_desk_session_beat", "beat_at"),
        Index("ix_desk_session_viewing", "viewing_ticket_id"),
        Index("ix_desk_session_agent", "agent_id"),
    )

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    agent_id: int = Field(foreign_key="agent.id")
    started_at: datetime = Field(sa_column=_dt())
    beat_at: datetime = Field(sa_column=_dt())
    viewing_ticket_id: str | None = Field(default=None, sa_column=Column(String(64)))
    """The contact open in this workspace, so others see "Sam is viewing"."""
    host: str = Field(sa_column=Column(Text, nullable=False))


class Change(SQLModel, table=True):
    """One change other workspaces should see: the live feed reads these in order.

    Written in the transaction of the change itself, so a change is announced exactly when
    it commits; `ticket_id` is None for a change to many contacts at once (an import).
    """

    __tablename__ = "change"
    __table_args__ = (Index("ix_change_at", "at"),)

    seq: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=_dt())
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    ticket_id: str | None = Field(default=None, sa_column=Column(String(64)))
    agent_id: int | None = None
    """Who made the change (None for the system: an import, a lapse)."""


class TeamSetting(SQLModel, table=True):
    """The team's configuration (service levels and the like), installed like its policy:
    the newest version is in effect, and every version is kept."""

    __tablename__ = "team_setting"

    id: int | None = Field(default=None, primary_key=True)
    installed_at: datetime = Field(sa_column=_dt())
    installed_by: str = Field(sa_column=Column(String(64), nullable=False))
    source: str = Field(sa_column=Column(Text, nullable=False))
    """The file name it was installed from."""
    body: str = Field(sa_column=Column(Text, nullable=False))
    """The configuration file's text, exactly as installed."""


_WAITING = text("status IN ('queued', 'retrying')")
_ORPHANED = text("orphaned > 0")


class Delivery(SQLModel, table=True):
    """An executed action's message to the system that fulfils it (the outbox), written in
    the action's own transaction and sent by deliverers; one per action."""

    __tablename__ = "delivery"
    __table_args__ = (
        Index("ix_delivery_action", "action_id", unique=True),
        Index("ix_delivery_due", "next_at", "id", postgresql_where=_WAITING, sqlite_where=_WAITING),
        Index("ix_delivery_status", "status", "created_at"),
        Index(
            "ix_delivery_orphaned", "orphaned", postgresql_where=_ORPHANED, sqlite_where=_ORPHANED
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id")
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    """The action's kind: which endpoint the message goes to."""
    webhook_id: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    """The message's idempotency key, the same on every retry."""
    payload: str = Field(sa_column=Column(Text, nullable=False))
    """The JSON body, exactly as signed and sent."""
    status: str = Field(sa_column=Column(String(16), nullable=False))
    """queued, retrying, delivered or failed."""
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    created_at: datetime = Field(sa_column=_dt())
    next_at: datetime = Field(sa_column=_dt())
    """When it is next due."""
    leased_until: datetime | None = Field(default=None, sa_column=_dt(nullable=True))
    """A deliverer holds it until then."""
    leased_by: str | None = Field(default=None, sa_column=Column(String(64)))
    delivered_at: datetime | None = Field(default=None, sa_column=_dt(nullable=True))
    receiver_ref: str | None = Field(default=None, sa_column=Column(Text))
    """What the receiver answered as its own reference, if anything."""
    orphaned: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    """Sends whose answer was never known (its deliverer died in flight, or the answer timed
    out): the receiver may have had it that many extra times."""
    in_flight: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    """A deliverer is sending it now."""
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    response: str | None = Field(default=None, sa_column=Column(Text))
    """The receiver's answer to a request it refused for good."""


class DeliveryEndpoint(SQLModel, table=True):
    """An endpoint a receiver said is gone (410): nothing is sent to it until it is enabled."""

    __tablename__ = "delivery_endpoint"

    url: str = Field(sa_column=Column(String(1000), primary_key=True))
    disabled_at: datetime | None = Field(default=None, sa_column=_dt(nullable=True))
    reason: str | None = Field(default=None, sa_column=Column(Text))


class Shipment(SQLModel, table=True):
    """What a reship or a replacement sends the customer, written in the action's own
    transaction; one per action."""

    __tablename__ = "shipment"
    __table_args__ = (
        Index("ix_shipment_action", "action_id", unique=True),
        Index("ix_shipment_order", "order_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(sa_column=Column(String(32), nullable=False, unique=True))
    order_id: str = Field(foreign_key="orders.id", max_length=64)
    action_id: int = Field(foreign_key="action.id")
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    items: str = Field(sa_column=Column(Text, nullable=False))
    """The SKUs sent, as a JSON list."""
    status: str = Field(sa_column=Column(String(16), nullable=False))
    created_at: datetime = Field(sa_column=_dt())


_SCHEDULED = text("status = 'scheduled'")


class FollowUp(SQLModel, table=True):
    """A promise to a customer (call back, check tracking, confirm an arrival): due at a
    time, owned by an agent (None: the team). Scheduled until due, then due (its contact in
    its owner's queue) until done."""

    __tablename__ = "follow_up"
    __table_args__ = (
        Index(
            "ix_follow_up_scheduled",
            "due_at",
            "id",
            postgresql_where=_SCHEDULED,
            sqlite_where=_SCHEDULED,
        ),
        Index("ix_follow_up_customer", "customer_id", "status", "due_at"),
        Index("ix_follow_up_ticket", "ticket_id", "status"),
        Index("ix_follow_up_owner", "owner_id", "status"),
        Index("ix_follow_up_status", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: str = Field(foreign_key="ticket.id", max_length=64)
    customer_id: str = Field(foreign_key="customer.id", max_length=64)
    owner_id: int | None = Field(default=None, foreign_key="agent.id")
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    due_at: datetime = Field(sa_column=_dt())
    status: str = Field(sa_column=Column(String(16), nullable=False))
    created_at: datetime = Field(sa_column=_dt())
    created_by: int = Field(foreign_key="agent.id")
    surfaced_at: datetime | None = Field(default=None, sa_column=_dt(nullable=True))
    done_at: datetime | None = Field(default=None, sa_column=_dt(nullable=True))
    done_by: int | None = Field(default=None, foreign_key="agent.id")
