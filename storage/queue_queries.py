"""The queue's queries: counted, keyset-paged and served by the ticket queue indexes.

Two orders: the queue's (soonest SLA breach first) for the contacts being worked or waiting,
and newest closed first for the closed ones, each served by indexes of its own."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import (
    Integer,
    Row,
    String,
    bindparam,
    func,
    literal,
    literal_column,
    select,
    true,
    tuple_,
)
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.sql.util import ClauseAdapter
from sqlmodel import Session, col

from storage.models import Agent, Customer, Ticket
from storage.types import UTCDateTime

_ORDER = (Ticket.sla_due_at, Ticket.priority_rank, Ticket.opened_at, Ticket.id)

OPEN = "open"
"""The status of the contacts in the agents' queue (the workspace's `ContactStatus.OPEN`; a
test keeps them equal)."""

CLOSED = "resolved"
"""The status of closed contacts, listed newest closed first (the workspace's
`ContactStatus.RESOLVED`; a test keeps them equal)."""

#: When a contact was closed, as the closed order and its indexes read it: an imported
#: contact may lack its resolution time, and it was closed some time after it opened.
CLOSED_AT: ColumnElement[datetime] = func.coalesce(
    col(Ticket.resolved_at), col(Ticket.opened_at), type_=UTCDateTime()
)


class Scope(Protocol):
    """Which contacts a queue query reads (the workspace's queue filter is one)."""

    @property
    def status(self) -> str | None:
        """Only contacts in this status; None: the agents' queue (the open contacts), or with
        `agent_id` every contact that agent works on (`active`: open and escalated)."""

    @property
    def channel(self) -> str | None:
        """Only this channel; None: every channel."""

    @property
    def agent_id(self) -> int | None:
        """Only the contacts this agent holds; None: everyone's."""


class Key(Protocol):
    """A contact's place in either order (the workspace's queue key is one)."""

    @property
    def sla_due_at(self) -> datetime: ...
    @property
    def priority_rank(self) -> int: ...
    @property
    def opened_at(self) -> datetime: ...
    @property
    def id(self) -> str: ...
    @property
    def resolved_at(self) -> datetime | None: ...


#: Queue order: soonest SLA breach first, then priority, then the oldest.
QUEUE_ORDER = tuple(col(c).asc() for c in _ORDER)


def scope_where(scope: Scope, *, inline: bool = False) -> list[Any]:
    """The clauses that keep a query to the contacts `scope` names; `inline` writes the
    status and channel into the statement rather than binding them (see `next_unheld`)."""
    clauses: list[Any] = []
    if inline:
        status = OPEN if scope.status is None else scope.status
        clauses.append(col(Ticket.status) == literal(status, String(), literal_execute=True))
        if scope.channel:
            clauses.append(
                col(Ticket.channel) == literal(scope.channel, String(), literal_execute=True)
            )
        return clauses
    if scope.status == CLOSED:
        # Inlined, not bound: only a literal shows a planner the closed contacts' partial
        # indexes may serve the query (a bound value could be any status).
        clauses.append(col(Ticket.status) == literal(CLOSED, String(), literal_execute=True))
    elif scope.status is not None:
        clauses.append(col(Ticket.status) == scope.status)
    elif scope.agent_id is None:
        # Parked and escalated contacts are active too, but not in the agents' queue.
        clauses.append(col(Ticket.status) == OPEN)
    else:
        clauses.append(col(Ticket.active) == true())
    if scope.channel:
        clauses.append(col(Ticket.channel) == scope.channel)
    if scope.agent_id is not None:
        clauses.append(col(Ticket.assigned_agent_id) == scope.agent_id)
    return clauses


#: The columns of a queue row, labelled by the workspace's names for them.
_COLUMNS: tuple[Any, ...] = (
    col(Ticket.id).label("id"),
    col(Ticket.customer_id).label("customer_id"),
    col(Customer.name).label("customer_name"),
    col(Customer.tier).label("tier"),
    col(Ticket.channel).label("channel"),
    col(Ticket.subject).label("subject"),
    col(Ticket.status).label("status"),
    col(Ticket.priority).label("priority"),
    col(Ticket.priority_rank).label("priority_rank"),
    col(Ticket.opened_at).label("opened_at"),
    col(Ticket.sla_due_at).label("sla_due_at"),
    col(Ticket.assigned_agent_id).label("holder_id"),
    col(Agent.display_name).label("holder_name"),
    col(Ticket.claimed_at).label("claimed_at"),
    col(Ticket.parked_at).label("parked_at"),
    col(Ticket.resolved_at).label("resolved_at"),
    col(Ticket.handle_seconds).label("handle_seconds"),
    col(Ticket.version).label("version"),
)


def _rows_select(scope: Scope | None) -> Select[*tuple[Any, ...]]:
    stmt: Select[*tuple[Any, ...]] = (
        select(*_COLUMNS)
        .join(Customer, col(Customer.id) == col(Ticket.customer_id))
        .outerjoin(Agent, col(Agent.id) == col(Ticket.assigned_agent_id))
    )
    return stmt if scope is None else stmt.where(*scope_where(scope))


@dataclass(frozen=True)
class _Order:
    """One order of queue rows: the columns of its key, ascending as its indexes hold them,
    and whether the view reads them backwards (newest first)."""

    columns: tuple[Any, ...]
    """The key's columns (or expressions), in its indexes' order."""
    values: Callable[[Key], tuple[Any, ...]]
    """A key's values for `columns`, each bound with its column's type (so times go
    through UTCDateTime like the columns)."""
    backwards: bool
    """Whether the view reads the indexes from their end (newest first)."""
    seek: bool
    """Also bound the first column alone: SQLite seeks an index on an expression by a
    plain comparison but not by a row value, and would walk from the index's end."""

    def _beyond(self, key: Key, *, later: bool) -> list[Any]:
        values = self.values(key)
        row, at = tuple_(*self.columns), tuple_(*values)
        first, bound = self.columns[0], values[0]
        clauses = [row > at, first >= bound] if later else [row < at, first <= bound]
        return clauses if self.seek else clauses[:1]

    def following(self, key: Key) -> list[Any]:
        """The clauses of the rows that come after `key` in the view."""
        return self._beyond(key, later=not self.backwards)

    def preceding(self, key: Key) -> list[Any]:
        """The clauses of the rows that come before `key` in the view."""
        return self._beyond(key, later=self.backwards)

    def shown(self, *, reverse: bool = False) -> tuple[Any, ...]:
        """ORDER BY for the view's order (or its reverse, to read back from a key)."""
        descending = self.backwards != reverse
        return tuple(c.desc() if descending else c.asc() for c in self.columns)


_QUEUE = _Order(
    columns=tuple(col(c) for c in _ORDER),
    values=lambda key: (
        literal(key.sla_due_at, UTCDateTime()),
        literal(key.priority_rank, Integer()),
        literal(key.opened_at, UTCDateTime()),
        literal(key.id, String()),
    ),
    backwards=False,
    seek=False,
)

_NEWEST_CLOSED = _Order(
    columns=(CLOSED_AT, col(Ticket.id)),
    values=lambda key: (
        literal(key.resolved_at if key.resolved_at is not None else key.opened_at, UTCDateTime()),
        literal(key.id, String()),
    ),
    backwards=True,
    seek=True,
)


def _order_of(scope: Scope) -> _Order:
    """Closed contacts newest closed first; every other view in queue order."""
    return _NEWEST_CLOSED if scope.status == CLOSED else _QUEUE


def count_queue(session: Session, scope: Scope, at_most: int | None = None) -> int:
    """How many contacts the scope holds; with `at_most`, counting stops there (the
    resolved contacts of years are millions: counting them all would read every one)."""
    if at_most is None:
        stmt = select(func.count()).select_from(Ticket).where(*scope_where(scope))
    else:
        first = select(col(Ticket.id)).where(*scope_where(scope)).limit(at_most).subquery()
        stmt = select(func.count()).select_from(first)
    return int(session.execute(stmt).scalar_one())


def page_after(session: Session, scope: Scope, after: Key | None, limit: int) -> Sequence[Row[Any]]:
    """Up to `limit` rows that follow `after` in the scope's order (from the top when None)."""
    order = _order_of(scope)
    stmt = _rows_select(scope)
    if after is not None:
        stmt = stmt.where(*order.following(after))
    stmt = stmt.order_by(*order.shown()).limit(limit)
    return session.execute(stmt).all()


def page_before(session: Session, scope: Scope, before: Key, limit: int) -> Sequence[Row[Any]]:
    """Up to `limit` rows that precede `before`, in the scope's order."""
    order = _order_of(scope)
    stmt = (
        _rows_select(scope)
        .where(*order.preceding(before))
        .order_by(*order.shown(reverse=True))
        .limit(limit)
    )
    return session.execute(stmt).all()[::-1]


def page_at(session: Session, scope: Scope, offset: int, limit: int) -> Sequence[Row[Any]]:
    """Rows at an absolute position: used only to jump, paging continues by key."""
    order = _order_of(scope)
    stmt = _rows_select(scope).order_by(*order.shown()).offset(offset).limit(limit)
    return session.execute(stmt).all()


def position_of(session: Session, scope: Scope, key: Key) -> int:
    """How many rows precede `key` in the scope's order (its index in the filtered queue)."""
    stmt = (
        select(func.count())
        .select_from(Ticket)
        .where(*scope_where(scope), *_order_of(scope).preceding(key))
    )
    return int(session.execute(stmt).scalar_one())


def rows_of(tickets: Any) -> Select[*tuple[Any, ...]]:
    """Queue rows of the contacts `tickets` holds: a selectable with the ticket table's
    columns, such as an UPDATE's RETURNING as a CTE (the row as the update left it)."""
    return ClauseAdapter(tickets).traverse(_rows_select(None))


#: One contact's queue row, built once: every claim reads it.
_ROW = _rows_select(None).where(col(Ticket.id) == bindparam("ticket_id"))


def get_row(session: Session, ticket_id: str) -> Row[Any] | None:
    """One contact as the queue shows it, whatever the filter."""
    # Run on the session's connection: a plain read needs none of the ORM's bookkeeping.
    return session.connection().execute(_ROW, {"ticket_id": ticket_id}).first()


def next_unheld(scope: Scope) -> Select[Any]:
    """The id of the most urgent contact in `scope` nobody holds: what "next" claims (never
    a parked or resolved one, whatever the scope, and never one agent's own view).

    Its queue and the limit are written into the statement, not bound: the statement is
    built once per queue, and with nothing whose value could change the plan, PostgreSQL
    plans it once per connection (a generic plan) instead of at every press of "next"."""
    return (
        select(col(Ticket.id))
        .where(*scope_where(scope, inline=True), col(Ticket.assigned_agent_id).is_(None))
        .where(col(Ticket.active) == true())
        .order_by(*QUEUE_ORDER)
        .limit(literal_column("1"))
    )
