"""The queue as an agent sees it: filters, the paging plan, and each row's display values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from storage.records import ACTIVE, QueueFilter, QueueKey, QueueRow
from workspace.sla import SlaState, format_duration, sla_state
from workspace.text import one_line, preview

CHANNELS = ("chat", "email", "call", "social", "sms")
STATUSES = (ACTIVE, "open", "pending", "resolved")

#: Rows fetched around the viewport at a time.
PAGE = 100


def next_channel(current: str | None) -> str | None:
    """Cycle the channel filter: every channel, then each in turn."""
    order: list[str | None] = [None, *CHANNELS]
    return order[(order.index(current) + 1) % len(order)]


def next_status(current: str) -> str:
    """Cycle the status filter: active, open, pending, resolved."""
    return STATUSES[(STATUSES.index(current) + 1) % len(STATUSES)]


def toggle_mine(flt: QueueFilter, agent_id: int) -> QueueFilter:
    """Show only my contacts, or everyone's again."""
    return replace(flt, agent_id=None if flt.agent_id is not None else agent_id)


def describe(flt: QueueFilter) -> str:
    """The filter in a few words, for the pane's title."""
    parts = [flt.status, flt.channel or "all channels"]
    if flt.agent_id is not None:
        parts.append("mine")
    return " · ".join(parts)


@dataclass(frozen=True)
class PageRequest:
    """Which rows to fetch, and how: by key from a known neighbour, or by offset to jump."""

    start: int
    """Index of the first row the request returns."""
    limit: int
    """How many rows."""
    after: QueueKey | None = None
    """Fetch the rows that follow this key."""
    before: QueueKey | None = None
    """Fetch the rows that precede this key."""


def plan_page(
    start: int, end: int, total: int, known: Callable[[int], QueueKey | None]
) -> PageRequest:
    """Plan one fetch covering rows [start, end), preferring keyset paging from a neighbour.

    `known(i)` gives the key of row i when it is already loaded. Reading by key keeps each
    page an index range scan, however deep in the queue; an offset is used only to jump.
    """
    start = max(0, min(start, total))
    end = max(start, min(end, total))
    limit = max(end - start, 1)
    if start > 0 and (key := known(start - 1)) is not None:
        return PageRequest(start=start, limit=limit, after=key)
    if end < total and (key := known(end)) is not None:
        return PageRequest(start=start, limit=limit, before=key)
    return PageRequest(start=start, limit=limit)


@dataclass(frozen=True)
class QueueCells:
    """One queue row's display values, decided here so the widget only draws them."""

    sla: SlaState
    """The SLA countdown."""
    channel: str
    """Channel label."""
    customer: str
    """Customer name, sanitised to one line."""
    subject: str
    """Subject, sanitised to one line."""
    tier: str
    """Customer tier."""
    waiting: str
    """How long it has waited."""
    holder: str
    """`you`, a colleague's name, or empty."""
    mine: bool
    """Whether the agent looking holds it."""


def cells(row: QueueRow, now: datetime, me: int) -> QueueCells:
    """The display values of one row at `now`, as seen by agent `me`."""
    holder = ""
    if row.holder_id is not None:
        holder = "you" if row.holder_id == me else one_line(row.holder_name or "?")
    return QueueCells(
        sla=sla_state(row.sla_due_at, now, resolved=row.status == "resolved"),
        channel=row.channel,
        customer=preview(row.customer_name, 120),
        subject=preview(row.subject, 300),
        tier=one_line(row.tier),
        waiting=format_duration(max(0, int((now - row.opened_at).total_seconds()))),
        holder=holder,
        mine=row.holder_id == me,
    )
