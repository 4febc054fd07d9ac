"""The customer context: a digest an agent reads in five seconds, so nobody repeats themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from workspace.action_view import ActionRecord
from workspace.customers import CustomerRecord, OrderRecord, TicketRecord, is_late
from workspace.follow_up_view import FollowUpRecord
from workspace.timeline import TimelineRecord
from workspace.vocabulary import OPEN_ORDERS, Direction

REPEAT_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class RepeatContact:
    """The customer already wrote or called about this recently, on another channel."""

    channels: tuple[str, ...]
    """The other channels they used, most recent first."""
    count: int
    """How many inbound messages on those channels in the window."""
    last_at: datetime
    """When the latest of them arrived."""


@dataclass(frozen=True)
class Compensation:
    """Actions for the customer in the last 90 days: given, waiting, and the latest few."""

    given: Decimal
    """Money given by executed actions (cancellations excluded)."""
    given_count: int
    """How many executed actions gave it."""
    currency: str
    """The policy's currency."""
    waiting: int
    """Requests waiting for a supervisor."""
    recent: tuple[ActionRecord, ...]
    """The latest actions, newest first."""


NO_COMPENSATION = Compensation(Decimal("0.00"), 0, "", 0, ())


@dataclass(frozen=True)
class Digest:
    """What the agent sees first about a customer."""

    customer: CustomerRecord
    """The profile."""
    open_orders: tuple[OrderRecord, ...]
    """Orders not yet delivered (pending or shipped), newest first."""
    late_orders: tuple[OrderRecord, ...]
    """Orders delivered after their promised date, or promised and still not delivered."""
    recent_tickets: tuple[TicketRecord, ...]
    """The last few contacts, newest first."""
    repeat: RepeatContact | None
    """Set when they contacted us in the last 7 days on another channel."""
    interactions: int
    """How many interactions their history holds."""
    compensation: Compensation = NO_COMPENSATION
    follow_ups: tuple[FollowUpRecord, ...] = ()
    """Promises to the customer not done yet, soonest due first."""
    """What they were given in the last 90 days, and what waits for approval."""


@dataclass(frozen=True)
class CustomerContext:
    """The digest and the first page of the timeline, loaded together for one selection."""

    ticket_id: str | None
    """The contact the context was loaded for (to drop stale results)."""
    digest: Digest
    """The digest."""
    timeline: tuple[TimelineRecord, ...]
    """The newest timeline entries."""
    has_more: bool
    """Whether older entries exist beyond `timeline`."""


def repeat_contact(
    recent: list[TimelineRecord], current_channel: str | None, now: datetime
) -> RepeatContact | None:
    """Inbound messages of the last 7 days on a channel other than this contact's."""
    since = now - REPEAT_WINDOW
    hits = [
        r
        for r in recent
        if r.direction == Direction.INBOUND and r.at >= since and r.channel != current_channel
    ]
    if not hits:
        return None
    channels: list[str] = []
    for r in sorted(hits, key=lambda r: r.at, reverse=True):
        if r.channel not in channels:
            channels.append(r.channel)
    return RepeatContact(channels=tuple(channels), count=len(hits), last_at=max(r.at for r in hits))


def make_digest(
    customer: CustomerRecord,
    orders: list[OrderRecord],
    tickets: list[TicketRecord],
    recent: list[TimelineRecord],
    interactions: int,
    current_channel: str | None,
    now: datetime,
    compensation: Compensation | None = None,
    follow_ups: tuple[FollowUpRecord, ...] = (),
) -> Digest:
    """Decide what the digest says; pure, so it is tested without a database."""
    today = now.date()
    return Digest(
        customer=customer,
        open_orders=tuple(o for o in orders if o.status in OPEN_ORDERS),
        late_orders=tuple(o for o in orders if is_late(o, today))[:3],
        recent_tickets=tuple(tickets[:3]),
        repeat=repeat_contact(recent, current_channel, now),
        interactions=interactions,
        compensation=compensation or NO_COMPENSATION,
        follow_ups=follow_ups,
    )
