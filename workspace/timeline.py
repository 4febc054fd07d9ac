"""The unified timeline: the customer's interactions merged with their orders' events."""

from __future__ import annotations

from datetime import datetime

from storage.records import OrderRecord, TimelineKey, TimelineRecord
from workspace.context import days_late


def _event(order: OrderRecord, kind: str, at: datetime, subject: str, text: str) -> TimelineRecord:
    return TimelineRecord(
        key=TimelineKey(at=at, source=1, id=f"{order.id}/{kind.removeprefix('order_')}"),
        kind=kind,
        at=at,
        channel="order",
        direction="event",
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
        events.append(_event(o, "order_placed", o.placed_at, f"Order {o.id} placed", text))
        if o.delivered_at is not None:
            late = ""
            if (days := days_late(o)) is not None:
                late = f", {days} day{'s' if days != 1 else ''} after the promised {o.promised_by}"
            text = f"Order {o.id} delivered{late}."
            subject = f"Order {o.id} delivered"
            events.append(_event(o, "order_delivered", o.delivered_at, subject, text))
    return events


def _place(entry: TimelineRecord) -> tuple[datetime, int, int | str]:
    return (entry.at, entry.key.source, entry.key.id)


def merge_page(
    interactions: list[TimelineRecord],
    orders: list[OrderRecord],
    before: TimelineKey | None,
    limit: int,
) -> list[TimelineRecord]:
    """The newest `limit` entries older than `before`, from a page of interactions and orders.

    `interactions` must be the next `limit` (or more) interactions older than `before`, so no
    interaction that belongs on this page is missing; order events fill in between them.
    """
    events = order_events(orders)
    if before is not None:
        cursor = (before.at, before.source, before.id)
        events = [e for e in events if _place(e) < cursor]
    return sorted(interactions + events, key=_place, reverse=True)[:limit]
