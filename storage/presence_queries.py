"""Open workspaces (`desk_session`) and the holds that outlive them.

Each open workspace has one row that it beats every few seconds. Every query here reads
or writes a handful of rows through an index: the sessions table holds one row per open
workspace, and an agent's holds are found through the queue's holder index. Whatever
takes a contact from its holder here also ends the hold (`storage.hold_writes`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, insert, literal, select, true, update
from sqlmodel import Session, col

from storage import hold_writes
from storage.models import Agent, DeskSession, Ticket
from storage.types import UTCDateTime


def _at(value: datetime) -> Any:
    return literal(value, UTCDateTime())


def begin(session: Session, session_id: str, agent_id: int, now: datetime, host: str) -> None:
    """Record a workspace opened now."""
    session.execute(
        insert(DeskSession).values(
            id=session_id, agent_id=agent_id, started_at=now, beat_at=now, host=host
        )
    )


def beat(session: Session, session_id: str, now: datetime) -> bool:
    """Say this workspace is still open; False when its row is gone (it was taken for dead
    while this process could not reach the database)."""
    result = session.execute(
        update(DeskSession).where(col(DeskSession.id) == session_id).values(beat_at=now)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def view(session: Session, session_id: str, ticket_id: str | None) -> bool:
    """Record the contact this workspace has open (None: none); False when it changed
    nothing."""
    result = session.execute(
        update(DeskSession)
        .where(
            col(DeskSession.id) == session_id,
            col(DeskSession.viewing_ticket_id).is_distinct_from(ticket_id),
        )
        .values(viewing_ticket_id=ticket_id)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def end(session: Session, session_id: str) -> None:
    """Forget a workspace that closed."""
    session.execute(delete(DeskSession).where(col(DeskSession.id) == session_id))


def stale(session: Session, cutoff: datetime) -> Sequence[Row[Any]]:
    """Workspaces that have not beaten since `cutoff` (`id`, `agent_id`, `beat_at`,
    `viewing_ticket_id`)."""
    stmt: Any = select(
        col(DeskSession.id).label("id"),
        col(DeskSession.agent_id).label("agent_id"),
        col(DeskSession.beat_at).label("beat_at"),
        col(DeskSession.viewing_ticket_id).label("viewing_ticket_id"),
    ).where(col(DeskSession.beat_at) < _at(cutoff))
    return session.execute(stmt).all()


def forget_stale(session: Session, session_id: str, cutoff: datetime) -> bool:
    """Remove a workspace taken for dead, unless it beat meanwhile; True when this call
    removed it (so exactly one of several workspaces noticing acts on it)."""
    result = session.execute(
        delete(DeskSession).where(
            col(DeskSession.id) == session_id, col(DeskSession.beat_at) < _at(cutoff)
        )
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def has_open_workspace(session: Session, agent_id: int) -> bool:
    """Whether the agent still has a workspace open (on this or another machine)."""
    stmt = select(col(DeskSession.id)).where(col(DeskSession.agent_id) == agent_id).limit(1)
    return session.execute(stmt).first() is not None


def viewers(
    session: Session, ticket_ids: Iterable[str], *, not_session: str | None = None
) -> Sequence[Row[Any]]:
    """Who has these contacts open (`ticket_id`, `agent_id`, `name`), other workspaces only."""
    ids = list(ticket_ids)
    if not ids:
        return []
    stmt: Any = (
        select(
            col(DeskSession.viewing_ticket_id).label("ticket_id"),
            col(Agent.id).label("agent_id"),
            col(Agent.display_name).label("name"),
        )
        .join(Agent, col(Agent.id) == col(DeskSession.agent_id))
        .where(col(DeskSession.viewing_ticket_id).in_(ids))
        .order_by(col(DeskSession.viewing_ticket_id), col(DeskSession.started_at))
    )
    if not_session is not None:
        stmt = stmt.where(col(DeskSession.id) != not_session)
    return session.execute(stmt).all()


def held(session: Session, agent_id: int) -> list[str]:
    """The active contacts the agent holds, by id."""
    stmt = (
        select(col(Ticket.id))
        .where(col(Ticket.assigned_agent_id) == agent_id, col(Ticket.active) == true())
        .order_by(col(Ticket.id))
    )
    return [str(t) for t in session.execute(stmt).scalars()]


def release_held(
    session: Session, agent_id: int, ticket_ids: Sequence[str], now: datetime, *, ended_by: str
) -> list[str]:
    """Hand back those of `ticket_ids` the agent still holds, ending their holds at `now` as
    `ended_by`; the ones released."""
    if not ticket_ids:
        return []
    stmt = (
        update(Ticket)
        .where(
            col(Ticket.id).in_(list(ticket_ids)),
            col(Ticket.assigned_agent_id) == agent_id,
            col(Ticket.active) == true(),
        )
        .values(assigned_agent_id=None, claimed_at=None, version=col(Ticket.version) + 1)
        .returning(col(Ticket.id))
    )
    released = sorted(str(t) for t in session.execute(stmt).scalars())
    hold_writes.end_many(session, released, now, ended_by)
    return released


def take_over(
    session: Session,
    ticket_id: str,
    holder_id: int | None,
    to_agent: int | None,
    now: datetime,
    *,
    ended_by: str,
) -> bool:
    """Move a contact from `holder_id` (None: nobody) to `to_agent` (None: back to the
    queue), if it is still active and held as the caller saw it: the holder's hold ends at
    `now` as `ended_by`, and `to_agent`'s starts. False, changing nothing, otherwise."""
    holder = (
        col(Ticket.assigned_agent_id).is_(None)
        if holder_id is None
        else col(Ticket.assigned_agent_id) == holder_id
    )
    result = session.execute(
        update(Ticket)
        .where(col(Ticket.id) == ticket_id, col(Ticket.active) == true(), holder)
        .values(
            assigned_agent_id=to_agent,
            claimed_at=None if to_agent is None else now,
            version=col(Ticket.version) + 1,
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    hold_writes.end(session, ticket_id, now, ended_by)
    if to_agent is not None:
        hold_writes.start(session, ticket_id, to_agent, now)
    return True
