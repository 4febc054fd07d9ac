"""Follow-ups: promises to customers, read by due time, by customer, contact and owner.

Each read goes through an index of `follow_up`: scheduled ones by due time (a partial index,
so the sweep that brings due ones back reads only those that fell due), open ones by
customer (the digest), by contact (a resolve marks them done), by owner (a deactivation hands
them back), and by status and due time (the monitor's overdue count).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, false, func, literal, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from storage.models import Agent, FollowUp, Ticket
from storage.types import UTCDateTime

SCHEDULED, DUE, DONE = "scheduled", "due", "done"
OPEN = (SCHEDULED, DUE)
"""Follow-ups not done yet."""

_Owner = aliased(Agent)


def _at(value: datetime) -> Any:
    return literal(value, UTCDateTime())


_COLUMNS: tuple[Any, ...] = (
    col(FollowUp.id).label("id"),
    col(FollowUp.ticket_id).label("ticket_id"),
    col(FollowUp.customer_id).label("customer_id"),
    col(FollowUp.owner_id).label("owner_id"),
    col(_Owner.display_name).label("owner_name"),
    col(FollowUp.kind).label("kind"),
    col(FollowUp.note).label("note"),
    col(FollowUp.due_at).label("due_at"),
    col(FollowUp.status).label("status"),
    col(FollowUp.created_at).label("created_at"),
    col(FollowUp.done_at).label("done_at"),
)


def _select() -> Any:
    return select(*_COLUMNS).outerjoin(_Owner, col(_Owner.id) == col(FollowUp.owner_id))


def add(session: Session, values: dict[str, Any]) -> int:
    """Store a new follow-up; returns its id."""
    row = FollowUp(**values)
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def get(session: Session, follow_up_id: int) -> Row[Any] | None:
    """One follow-up (the columns of `_COLUMNS`)."""
    found: Row[Any] | None = session.execute(
        _select().where(col(FollowUp.id) == follow_up_id)
    ).first()
    return found


def of_customer(session: Session, customer_id: str, limit: int = 20) -> Sequence[Row[Any]]:
    """The customer's follow-ups not done yet, soonest due first."""
    stmt = (
        _select()
        .where(col(FollowUp.customer_id) == customer_id, col(FollowUp.status).in_(OPEN))
        .order_by(col(FollowUp.due_at), col(FollowUp.id))
        .limit(limit)
    )
    return session.execute(stmt).all()


def any_due(session: Session, now: datetime) -> bool:
    """Whether a scheduled follow-up is due by `now` (one probe of the partial index)."""
    stmt: Any = (
        select(col(FollowUp.id))
        .where(col(FollowUp.status) == SCHEDULED, col(FollowUp.due_at) <= _at(now))
        .limit(1)
    )
    return session.execute(stmt).first() is not None


def take_due(session: Session, now: datetime, limit: int) -> Sequence[Row[Any]]:
    """Scheduled follow-ups due by `now`, soonest first, with their contact's holder,
    channel, priority and status; locked for this transaction (PostgreSQL skips those
    another sweep holds)."""
    stmt: Any = (
        select(
            col(FollowUp.id).label("id"),
            col(FollowUp.ticket_id).label("ticket_id"),
            col(FollowUp.owner_id).label("owner_id"),
            col(FollowUp.kind).label("kind"),
            col(FollowUp.due_at).label("due_at"),
        )
        .where(col(FollowUp.status) == SCHEDULED, col(FollowUp.due_at) <= _at(now))
        .order_by(col(FollowUp.due_at), col(FollowUp.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return session.execute(stmt).all()


def contact(session: Session, ticket_id: str) -> Row[Any] | None:
    """What a due follow-up needs of its contact: `status`, `holder_id`, `channel`,
    `priority`, `sla_due_at` and `version`, locked until the transaction ends."""
    found: Row[Any] | None = session.execute(
        select(
            col(Ticket.status).label("status"),
            col(Ticket.assigned_agent_id).label("holder_id"),
            col(Ticket.channel).label("channel"),
            col(Ticket.priority).label("priority"),
            col(Ticket.sla_due_at).label("sla_due_at"),
            col(Ticket.version).label("version"),
        )
        .where(col(Ticket.id) == ticket_id)
        .with_for_update()
    ).first()
    return found


def reopen(
    session: Session, ticket_id: str, *, version: int, status: str, sla_due_at: datetime
) -> bool:
    """Put a contact back among those worked (from parked or closed), unheld, due at
    `sla_due_at`; False when it changed since it was read at `version`."""
    result = session.execute(
        update(Ticket)
        .where(col(Ticket.id) == ticket_id, col(Ticket.version) == version)
        .values(
            status=status,
            active=True,
            sla_due_at=sla_due_at,
            parked_at=None,
            resolved_at=None,
            assigned_agent_id=None,
            claimed_at=None,
            version=col(Ticket.version) + 1,
        )
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def set_status(
    session: Session, follow_up_id: int, status: str, *, only_from: tuple[str, ...], **values: Any
) -> bool:
    """Move a follow-up to `status` (with `values`) if it is in `only_from`."""
    result = session.execute(
        update(FollowUp)
        .where(col(FollowUp.id) == follow_up_id, col(FollowUp.status).in_(only_from))
        .values(status=status, **values)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def finish_for_contact(
    session: Session,
    ticket_id: str,
    now: datetime,
    by: int | None,
    *,
    due: bool = True,
    kinds: tuple[str, ...] = (),
) -> list[int]:
    """Mark done the contact's follow-ups that are due (`due`) and its scheduled ones of
    `kinds`; returns their ids."""
    which: Any = false()
    if due:
        which = which | (col(FollowUp.status) == DUE)
    if kinds:
        which = which | ((col(FollowUp.status) == SCHEDULED) & col(FollowUp.kind).in_(kinds))
    stmt: Any = (
        update(FollowUp)
        .where(col(FollowUp.ticket_id) == ticket_id, which)
        .values(status=DONE, done_at=now, done_by=by)
        .returning(col(FollowUp.id))
    )
    return [int(i) for i in session.execute(stmt).scalars()]


def customer_of(session: Session, ticket_id: str) -> str:
    """The customer of a contact known to exist."""
    found: str = session.execute(
        select(col(Ticket.customer_id)).where(col(Ticket.id) == ticket_id)
    ).scalar_one()
    return found


def agent_active(session: Session, agent_id: int) -> bool:
    """Whether the agent still works here."""
    found = session.execute(select(col(Agent.active)).where(col(Agent.id) == agent_id)).scalar()
    return bool(found)


def hand_back(session: Session, owner_id: int) -> list[int]:
    """Give the owner's open follow-ups to the team (the owner was deactivated)."""
    stmt: Any = (
        update(FollowUp)
        .where(col(FollowUp.owner_id) == owner_id, col(FollowUp.status).in_(OPEN))
        .values(owner_id=None)
        .returning(col(FollowUp.id))
    )
    return [int(i) for i in session.execute(stmt).scalars()]


def overdue(session: Session, before: datetime) -> tuple[int, datetime | None]:
    """How many follow-ups are not done and were due before `before`, and the oldest due
    time among them (through the status index: two range reads)."""
    stmt: Any = select(func.count(), func.min(col(FollowUp.due_at))).where(
        col(FollowUp.status).in_(OPEN), col(FollowUp.due_at) < _at(before)
    )
    n, oldest = session.execute(stmt).one()
    return int(n), oldest
