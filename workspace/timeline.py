"""The unified timeline: the customer's interactions merged with their orders' events and the
actions taken for them (`action_entries`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from workspace.customers import OrderRecord, days_late
from workspace.vocabulary import ORDER_CHANNEL, Direction, OrderEvent, Tone

INTERACTION, ORDER_EVENT, ACTION, DECISION = 0, 1, 2, 3
"""A timeline key's source. Entries of one moment sort by it, the highest first: a decision
above the action it decides, an action above an order event, an order event above an
interaction. Each source is a keyset of its own (time, then id), so a page is exact."""

ACTION_CHANNEL = "action"
"""The channel an action's entries are shown under on the timeline."""


@dataclass(frozen=True)
class TimelineKey:
    """A timeline entry's place, newest first: time, then source, then id."""

    at: datetime
    """When it happened."""
    source: int
    """`INTERACTION`, `ORDER_EVENT`, `ACTION` or `DECISION`."""
    id: int | str
    """The interaction's or the action's id (int), or the order event's id (`W1001/placed`)."""


@dataclass(frozen=True)
class TimelineRecord:
    """One entry of the unified timeline."""

    key: TimelineKey
    """Its place, for paging."""
    kind: str
    """One of `InteractionKind`, `OrderEvent` or `action_entries.ActionEvent`."""
    at: datetime
    """When it happened."""
    channel: str
    """One of `Channel`, `ORDER_CHANNEL` for order events or `ACTION_CHANNEL` for actions."""
    direction: str
    """One of `Direction`."""
    subject: str | None
    """Subject (untrusted text)."""
    text: str
    """Full text (untrusted text)."""
    author: str | None
    """Who wrote it, for outbound messages and notes."""
    ref: str
    """Source id: the interaction's ref, the order's id or the action's number (`#12`)."""
    ticket_id: str | None
    """The contact it belongs to, if any."""
    tone: Tone | None = None
    """Where an action stands now, for widgets to colour (None for other entries)."""


def interaction_record(r: Any) -> TimelineRecord:
    """A timeline entry from an interaction's row of `storage.customer_queries`."""
    return TimelineRecord(
        key=TimelineKey(at=r.at, source=INTERACTION, id=r.id),
        kind=r.kind,
        at=r.at,
        channel=r.channel,
        direction=r.direction,
        subject=r.subject,
        text=r.text,
        author=r.author,
        ref=r.ref,
        ticket_id=r.ticket_id,
    )


def _event(
    order: OrderRecord, kind: OrderEvent, at: datetime, subject: str, text: str
) -> TimelineRecord:
    return TimelineRecord(
        key=TimelineKey(at=at, source=ORDER_EVENT, id=f"{order.id}/{kind.word}"),
        kind=kind,
        at=at,
        channel=ORDER_CHANNEL,
        direction=Direction.EVENT,
        subject=subject,
        text=text,
        author=None,
        ref=order.id,
        ticket_id=None,
    )


def order_events(orders: list[OrderRecord]) -> list[TimelineRecord]:
    """An entry for each order placed and each delivered, saying when a delivery was late."""
    events: list[TimelineRecord] = []
    for o in orders:
        lines = ", ".join(f"{it.name} x{it.quantity}" for it in o.items)
        text = f"Order {o.id} placed: {lines} ({o.total})"
        events.append(_event(o, OrderEvent.PLACED, o.placed_at, f"Order {o.id} placed", text))
        if o.delivered_at is not None:
            late = ""
            if (days := days_late(o)) is not None:
                late = f", {days} day{'s' if days != 1 else ''} after the promised {o.promised_by}"
            text = f"Order {o.id} delivered{late}."
            subject = f"Order {o.id} delivered"
            events.append(_event(o, OrderEvent.DELIVERED, o.delivered_at, subject, text))
    return events


def _place(entry: TimelineRecord) -> tuple[datetime, int, int | str]:
    return (entry.at, entry.key.source, entry.key.id)


def merge_page(
    paged: list[TimelineRecord],
    orders: list[OrderRecord],
    before: TimelineKey | None,
    limit: int,
) -> list[TimelineRecord]:
    """The newest `limit` entries older than `before`, from pages of the stored sources and
    the customer's orders.

    `paged` must hold, for each stored source (interactions, actions, decisions), the next
    `limit` (or more) of its entries older than `before`, or all there are: then no entry
    that belongs on this page is missing. Order events fill in between them.
    """
    events = order_events(orders)
    if before is not None:
        cursor = (before.at, before.source, before.id)
        events = [e for e in events if _place(e) < cursor]
    return sorted(paged + events, key=_place, reverse=True)[:limit]
