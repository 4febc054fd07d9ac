"""The queue's queries: counted, keyset-paged and served by the ticket queue indexes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String, func, literal, select, true, tuple_
from sqlalchemy.sql import Select
from sqlmodel import Session, col

from storage.models import Agent, Customer, Ticket
from storage.records import ACTIVE, QueueFilter, QueueKey, QueueRow
from storage.types import UTCDateTime

_ORDER = (Ticket.sla_due_at, Ticket.priority_rank, Ticket.opened_at, Ticket.id)


def _where(flt: QueueFilter) -> list[Any]:
    clauses: list[Any] = []
    if flt.status == ACTIVE:
        clauses.append(col(Ticket.active) == true())
    else:
        clauses.append(col(Ticket.status) == flt.status)
    if flt.channel:
        clauses.append(col(Ticket.channel) == flt.channel)
    if flt.agent_id is not None:
        clauses.append(col(Ticket.assigned_agent_id) == flt.agent_id)
    return clauses


def _rows_select(flt: QueueFilter | None) -> Select[*tuple[Any, ...]]:
    stmt: Select[*tuple[Any, ...]] = (
        select(
            *(
                col(c)
                for c in (
                    Ticket.id,
                    Ticket.customer_id,
                    Customer.name,
                    Customer.tier,
                    Ticket.channel,
                    Ticket.subject,
                    Ticket.status,
                    Ticket.priority,
                    Ticket.priority_rank,
                    Ticket.opened_at,
                    Ticket.sla_due_at,
                    Ticket.assigned_agent_id,
                    Agent.display_name,
                    Ticket.claimed_at,
                    Ticket.version,
                )
            )
        )
        .join(Customer, col(Customer.id) == col(Ticket.customer_id))
        .outerjoin(Agent, col(Agent.id) == col(Ticket.assigned_agent_id))
    )
    return stmt if flt is None else stmt.where(*_where(flt))


def _key_tuple() -> Any:
    return tuple_(*(col(c) for c in _ORDER))


def _key_values(key: QueueKey) -> Any:
    # Bound with each column's own type, so times go through UTCDateTime like the column.
    return tuple_(
        literal(key.sla_due_at, UTCDateTime()),
        literal(key.priority_rank, Integer()),
        literal(key.opened_at, UTCDateTime()),
        literal(key.id, String()),
    )


def _to_row(r: Any) -> QueueRow:
    return QueueRow(
        id=r[0],
        customer_id=r[1],
        customer_name=r[2],
        tier=r[3],
        channel=r[4],
        subject=r[5],
        status=r[6],
        priority=r[7],
        opened_at=r[9],
        sla_due_at=r[10],
        holder_id=r[11],
        holder_name=r[12],
        claimed_at=r[13],
        version=r[14],
        key=QueueKey(sla_due_at=r[10], priority_rank=r[8], opened_at=r[9], id=r[0]),
    )


def count_queue(session: Session, flt: QueueFilter) -> int:
    """How many contacts the filter shows."""
    stmt = select(func.count()).select_from(Ticket).where(*_where(flt))
    return int(session.execute(stmt).scalar_one())


def page_after(
    session: Session, flt: QueueFilter, after: QueueKey | None, limit: int
) -> list[QueueRow]:
    """Up to `limit` rows that follow `after` in queue order (from the top when None)."""
    stmt = _rows_select(flt)
    if after is not None:
        stmt = stmt.where(_key_tuple() > _key_values(after))
    stmt = stmt.order_by(*(col(c).asc() for c in _ORDER)).limit(limit)
    return [_to_row(r) for r in session.execute(stmt)]


def page_before(session: Session, flt: QueueFilter, before: QueueKey, limit: int) -> list[QueueRow]:
    """Up to `limit` rows that precede `before`, in queue order."""
    stmt = (
        _rows_select(flt)
        .where(_key_tuple() < _key_values(before))
        .order_by(*(col(c).desc() for c in _ORDER))
        .limit(limit)
    )
    rows = [_to_row(r) for r in session.execute(stmt)]
    rows.reverse()
    return rows


def page_at(session: Session, flt: QueueFilter, offset: int, limit: int) -> list[QueueRow]:
    """Rows at an absolute position: used only to jump, paging continues by key."""
    stmt = _rows_select(flt).order_by(*(col(c).asc() for c in _ORDER)).offset(offset).limit(limit)
    return [_to_row(r) for r in session.execute(stmt)]


def position_of(session: Session, flt: QueueFilter, key: QueueKey) -> int:
    """How many rows precede `key` in queue order (its index in the filtered queue)."""
    stmt = (
        select(func.count())
        .select_from(Ticket)
        .where(*_where(flt), _key_tuple() < _key_values(key))
    )
    return int(session.execute(stmt).scalar_one())


def get_row(session: Session, ticket_id: str) -> QueueRow | None:
    """One contact as the queue shows it, whatever the filter."""
    stmt = _rows_select(None).where(col(Ticket.id) == ticket_id)
    row = session.execute(stmt).first()
    return _to_row(row) if row is not None else None


def first_unheld(session: Session, flt: QueueFilter, limit: int = 5) -> list[QueueRow]:
    """The first few contacts nobody holds, in queue order (candidates for "next")."""
    stmt = (
        _rows_select(flt)
        .where(col(Ticket.assigned_agent_id).is_(None), col(Ticket.active) == true())
        .order_by(*(col(c).asc() for c in _ORDER))
        .limit(limit)
    )
    return [_to_row(r) for r in session.execute(stmt)]
