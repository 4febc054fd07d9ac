"""The queue as an agent sees it: filters, the paging plan, and each row's display values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from workspace.sla import SlaState, format_duration, sla_state
from workspace.text import one_line, preview
from workspace.vocabulary import ACTIVE, Channel, ContactStatus, member

#: Rows fetched around the viewport at a time.
PAGE = 100


@dataclass(frozen=True)
class QueueKey:
    """A row's place in every order the queue has: time to SLA breach, then priority, then
    waiting (the views of contacts being worked or waiting); when it was closed, newest first
    (the resolved view). A row's key places it in any view, not only the one it came from."""

    sla_due_at: datetime
    """When the SLA is breached."""
    priority_rank: int
    """`Priority.rank`: 0 urgent to 3 low."""
    opened_at: datetime
    """When the contact arrived."""
    id: str
    """Ticket id, the final tie-breaker."""
    resolved_at: datetime | None = None
    """When it was closed, if it is (a closed one without it counts as closed when it
    opened)."""


CLOSED_SHOWN = 10_000
"""A view of closed contacts lists at most this many, the newest: a team's history holds
millions, and counting them would read every one. Older ones are found by the lookup."""


@dataclass(frozen=True)
class QueueFilter:
    """Which contacts the queue shows."""

    status: ContactStatus | None = None
    """Only contacts in this status; None: the active view, the open contacts waiting for
    agents (with `agent_id`, every contact that agent works, escalated ones included)."""
    channel: Channel | None = None
    """Only this channel, or every channel."""
    agent_id: int | None = None
    """Only the contacts this agent holds ("mine"), or everyone's."""

    @property
    def closed(self) -> bool:
        """Whether the view lists closed contacts: newest closed first, each with how long
        it was handled rather than how long it has waited."""
        return self.status is not None and ContactStatus(self.status).closed


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
    """One of `Channel`."""
    subject: str
    """Subject line (untrusted text)."""
    status: str
    """One of `ContactStatus`."""
    priority: str
    """One of `Priority`."""
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
    """Optimistic-concurrency version: it moves on every change of the contact."""
    key: QueueKey
    """Its place in queue order."""
    parked_at: datetime | None = None
    """When it was parked waiting on the customer (its SLA clock stopped), if it is."""
    resolved_at: datetime | None = None
    """When it was closed, if it is."""
    handle_seconds: int | None = None
    """Time agents spent on it as the source system measured it (imported contacts)."""
    viewers: tuple[str, ...] = ()
    """Who else has it open in their workspace (names, oldest first), as last looked up."""

    @property
    def active(self) -> bool:
        """Whether the contact is worked now: open, or escalated (not parked, not resolved)."""
        status = member(ContactStatus, self.status)
        return status is not None and status.active

    @property
    def closed(self) -> bool:
        """Whether the contact is over (resolved)."""
        status = member(ContactStatus, self.status)
        return status is not None and status.closed


def queue_row(r: Any) -> QueueRow:
    """A queue row from a row of `storage.queue_queries`."""
    return QueueRow(
        id=r.id,
        customer_id=r.customer_id,
        customer_name=r.customer_name,
        tier=r.tier,
        channel=r.channel,
        subject=r.subject,
        status=r.status,
        priority=r.priority,
        opened_at=r.opened_at,
        sla_due_at=r.sla_due_at,
        holder_id=r.holder_id,
        holder_name=r.holder_name,
        claimed_at=r.claimed_at,
        version=r.version,
        key=QueueKey(r.sla_due_at, r.priority_rank, r.opened_at, r.id, r.resolved_at),
        parked_at=r.parked_at,
        resolved_at=r.resolved_at,
        handle_seconds=r.handle_seconds,
    )


def handle_time(row: QueueRow) -> int | None:
    """How long agents worked a closed contact, in whole seconds; None when nothing stored
    tells (or it is not closed). Fixed once it closed: it never depends on the clock.

    Handle time is the sum of every hold, from claim to release or close (specs/metrics.md,
    AHT), and for an imported contact the `handle_seconds` its source system measured. A
    contact keeps only its last hold (a release forgets `claimed_at`), so for one closed here
    it is that hold, `claimed_at` to `resolved_at`: exact for a contact worked in one hold,
    short by the earlier holds of one released (or escalated) before it was closed.
    """
    if not row.closed:
        return None
    if row.handle_seconds is not None:
        return row.handle_seconds
    if row.claimed_at is None or row.resolved_at is None or row.resolved_at < row.claimed_at:
        return None
    return int((row.resolved_at - row.claimed_at).total_seconds())


def seen_by(rows: list[QueueRow], viewers: dict[str, tuple[str, ...]]) -> list[QueueRow]:
    """`rows` with who else has each open (from `Presence.viewers`); the rest nobody has."""
    return [replace(row, viewers=viewers.get(row.id, ())) for row in rows]


def holds(row: QueueRow | None, agent_id: int | None) -> bool:
    """Whether agent `agent_id` holds the contact now: it is theirs and still being worked.

    The one answer to "may this agent write on, act for or close this contact"; the
    database fences every such write the same way.
    """
    return row is not None and agent_id is not None and row.holder_id == agent_id and row.active


def next_channel(current: Channel | None) -> Channel | None:
    """Cycle the channel filter: every channel, then each in turn."""
    order: list[Channel | None] = [None, *Channel]
    return order[(order.index(current) + 1) % len(order)]


def next_status(current: ContactStatus | None, *, escalation: bool = False) -> ContactStatus | None:
    """Cycle the status filter: active (the open contacts), pending, then escalated for
    those who work the escalation queue, then resolved."""
    order: list[ContactStatus | None] = [None, ContactStatus.PENDING]
    if escalation:
        order.append(ContactStatus.ESCALATED)
    order.append(ContactStatus.RESOLVED)
    at = order.index(current) if current in order else -1
    return order[(at + 1) % len(order)]


def toggle_mine(flt: QueueFilter, agent_id: int) -> QueueFilter:
    """Show only my contacts, or everyone's again."""
    return replace(flt, agent_id=None if flt.agent_id is not None else agent_id)


def describe(flt: QueueFilter) -> str:
    """The filter in a few words, for the pane's title."""
    parts = [flt.status or ACTIVE, flt.channel or "all channels"]
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
    elapsed: str
    """How long it has waited; for a closed contact, how long it was handled
    (`handle_time`, `-` when unknown), which no longer moves."""
    holder: str
    """`you`, a colleague's name, or empty."""
    mine: bool
    """Whether the agent looking holds it."""
    viewer: str
    """The first colleague who has it open, sanitised to one line, or empty."""
    more_viewers: int
    """How many others besides `viewer` have it open."""


def cells(row: QueueRow, now: datetime, me: int) -> QueueCells:
    """The display values of one row at `now`, as seen by agent `me`."""
    holder = ""
    if row.holder_id is not None:
        holder = "you" if row.holder_id == me else one_line(row.holder_name or "?")
    status = member(ContactStatus, row.status)
    parked_at = (row.parked_at or now) if status is not None and status.parked else None
    if row.closed:
        handled = handle_time(row)
        elapsed = "-" if handled is None else format_duration(handled)
    else:
        elapsed = format_duration(max(0, int((now - row.opened_at).total_seconds())))
    return QueueCells(
        sla=sla_state(
            row.sla_due_at,
            now,
            resolved=row.closed,
            parked_at=parked_at,
            resolved_at=row.resolved_at,
        ),
        channel=row.channel,
        customer=preview(row.customer_name, 120),
        subject=preview(row.subject, 300),
        tier=one_line(row.tier),
        elapsed=elapsed,
        holder=holder,
        mine=holds(row, me),
        viewer=one_line(row.viewers[0]) if row.viewers else "",
        more_viewers=max(len(row.viewers) - 1, 0),
    )
