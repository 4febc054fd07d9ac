"""The queue's queries: counted, keyset-paged and served by the ticket queue indexes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Integer, Row, String, bindparam, func, literal, select, true, tuple_
from sqlalchemy.sql import Select
from sqlalchemy.sql.util import ClauseAdapter
from sqlmodel import Session, col

from storage.models import Agent, Customer, Ticket
from storage.types import UTCDateTime

_ORDER = (Ticket.sla_due_at, Ticket.priority_rank, Ticket.opened_at, Ticket.id)

OPEN = "open"
"""The status of the contacts in the agents' queue (the workspace's `ContactStatus.OPEN`; a
test keeps them equal)."""


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
    """A contact's place in queue order (the workspace's queue key is one)."""

    @property
    def sla_due_at(self) -> datetime: ...
    @property
    def priority_rank(self) -> int: ...
    @property
    def opened_at(self) -> datetime: ...
    @property
    def id(self) -> str: ...


#: Queue order: soonest SLA breach first, then priority, then the oldest.
QUEUE_ORDER = tuple(col(c).asc() for c in _ORDER)


def scope_where(scope: Scope) -> list[Any]:
    """The clauses that keep a query to the contacts `scope` names."""
    clauses: list[Any] = []
    if scope.status is not None:
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
    col(Ticket.version).label("version"),
)


def _rows_select(scope: Scope | None) -> Select[*tuple[Any, ...]]:
    stmt: Select[*tuple[Any, ...]] = (
        select(*_COLUMNS)
        .join(Customer, col(Customer.id) == col(Ticket.customer_id))
        .outerjoin(Agent, col(Agent.id) == col(Ticket.assigned_agent_id))
    )
    return stmt if scope is None else stmt.where(*scope_where(scope))


def _key_tuple() -> Any:
    return tuple_(*(col(c) for c in _ORDER))


def _key_values(key: Key) -> Any:
    # Bound with each column's own type, so times go through UTCDateTime like the column.
    return tuple_(
        literal(key.sla_due_at, UTCDateTime()),
        literal(key.priority_rank, Integer()),
        literal(key.opened_at, UTCDateTime()),
        literal(key.id, String()),
    )


def count_queue(session: Session, scope: Scope) -> int:
    """How many contacts the scope holds."""
    stmt = select(func.count()).select_from(Ticket).where(*scope_where(scope))
    return int(session.execute(stmt).scalar_one())


def page_after(session: Session, scope: Scope, after: Key | None, limit: int) -> Sequence[Row[Any]]:
    """Up to `limit` rows that follow `after` in queue order (from the top when None)."""
    stmt = _rows_select(scope)
    if after is not None:
        stmt = stmt.where(_key_tuple() > _key_values(after))
    stmt = stmt.order_by(*(col(c).asc() for c in _ORDER)).limit(limit)
    return session.execute(stmt).all()


def page_before(session: Session, scope: Scope, before: Key, limit: int) -> Sequence[Row[Any]]:
    """Up to `limit` rows that precede `before`, in queue order."""
    stmt = (
        _rows_select(scope)
        .where(_key_tuple() < _key_values(before))
        .order_by(*(col(c).desc() for c in _ORDER))
        .limit(limit)
    )
    return session.execute(stmt).all()[::-1]


def page_at(session: Session, scope: Scope, offset: int, limit: int) -> Sequence[Row[Any]]:
    """Rows at an absolute position: used only to jump, paging continues by key."""
    stmt = _rows_select(scope).order_by(*(col(c).asc() for c in _ORDER)).offset(offset).limit(limit)
    return session.execute(stmt).all()


def position_of(session: Session, scope: Scope, key: Key) -> int:
    """How many rows precede `key` in queue order (its index in the filtered queue)."""
    stmt = (
        select(func.count())
        .select_from(Ticket)
        .where(*scope_where(scope), _key_tuple() < _key_values(key))
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
    a parked or resolved one, whatever the scope)."""
    return (
        select(col(Ticket.id))
        .where(*scope_where(scope), col(Ticket.assigned_agent_id).is_(None))
        .where(col(Ticket.active) == true())
        .order_by(*QUEUE_ORDER)
        .limit(1)
    )
