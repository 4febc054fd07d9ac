"""Writes on contacts: claims, releases, replies and resolutions, each fenced by the claim."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, exists, func, select, true, update
from sqlmodel import Session, col

from storage.models import Agent, Interaction, Ticket
from storage.queue_queries import Scope, next_unheld
from storage.types import UTCDateTime

#: The claimer still works here: someone who left cannot take contacts.
_ACTIVE_AGENT = exists().where(col(Agent.id) == bindparam("agent_id"), col(Agent.active) == true())

#: The claim: one conditional UPDATE, built once (agents claim all day long).
_CLAIM = (
    update(Ticket.__table__)  # type: ignore[attr-defined]
    .where(
        col(Ticket.id) == bindparam("ticket_id"),
        col(Ticket.active) == true(),
        col(Ticket.assigned_agent_id).is_(None),
        _ACTIVE_AGENT,
    )
    .values(
        assigned_agent_id=bindparam("agent_id"),
        claimed_at=bindparam("claimed_at", type_=UTCDateTime()),
        version=col(Ticket.version) + 1,
    )
)


def _held_by(ticket_id: str, agent_id: int) -> tuple[Any, ...]:
    """The fence of every write on a contact: it is active and this agent holds it."""
    return (
        col(Ticket.id) == ticket_id,
        col(Ticket.assigned_agent_id) == agent_id,
        col(Ticket.active) == true(),
    )


def claim(session: Session, ticket_id: str, agent_id: int, now: datetime) -> bool:
    """Give the contact to `agent_id` if it is active and nobody holds it: one conditional
    UPDATE, atomic, so two agents never hold one. True when this claim took it."""
    result = session.execute(
        _CLAIM, {"ticket_id": ticket_id, "agent_id": agent_id, "claimed_at": now}
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def claim_next(session: Session, scope: Scope, agent_id: int, now: datetime) -> str | None:
    """Give `agent_id` the most urgent contact in `scope` that nobody holds; its id, or None
    when none waits (or the agent no longer works here).

    One UPDATE whose target is chosen by a subquery. On PostgreSQL the subquery locks the
    row it picks and skips rows other claimers have locked (`FOR UPDATE SKIP LOCKED`), so
    twenty agents pressing "next" at once each get a different contact at the first try;
    on SQLite the transaction already holds the only write lock, so the first unheld row is
    free by construction.
    """
    pick = next_unheld(scope)
    if session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    stmt = (
        update(Ticket.__table__)  # type: ignore[attr-defined]
        .where(
            col(Ticket.id) == pick.scalar_subquery(),
            col(Ticket.assigned_agent_id).is_(None),
            _ACTIVE_AGENT,
        )
        .values(
            assigned_agent_id=bindparam("agent_id"),
            claimed_at=bindparam("claimed_at", type_=UTCDateTime()),
            version=col(Ticket.version) + 1,
        )
        .returning(col(Ticket.id))
    )
    taken = session.execute(stmt, {"agent_id": agent_id, "claimed_at": now}).scalar_one_or_none()
    return None if taken is None else str(taken)


def holder(session: Session, ticket_id: str) -> Row[Any] | None:
    """Who holds the contact (`holder_id`, `holder_name`) and whether it is `active`; None
    when there is no such contact."""
    row: Row[Any] | None = session.execute(
        select(
            col(Ticket.assigned_agent_id).label("holder_id"),
            col(Agent.display_name).label("holder_name"),
            col(Ticket.active).label("active"),
        )
        .outerjoin(Agent, col(Agent.id) == col(Ticket.assigned_agent_id))
        .where(col(Ticket.id) == ticket_id)
    ).first()
    return row


def release(session: Session, ticket_id: str, agent_id: int) -> bool:
    """Hand the contact back to the queue; False when this agent did not hold it."""
    result = session.execute(
        update(Ticket)
        .where(*_held_by(ticket_id, agent_id))
        .values(assigned_agent_id=None, claimed_at=None, version=col(Ticket.version) + 1)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def interaction_exists(session: Session, ref: str) -> bool:
    """Whether an interaction with this ref is stored (an idempotency check)."""
    stmt = select(col(Interaction.id)).where(col(Interaction.ref) == ref)
    return session.execute(stmt).first() is not None


def add_interaction(
    session: Session,
    *,
    ref: str,
    ticket_id: str,
    agent_id: int,
    author: str,
    kind: str,
    direction: str,
    text: str,
    now: datetime,
    responds: bool,
) -> bool:
    """Store a reply or note on a contact the agent holds; False if they do not hold it.

    `ref` is the idempotency key of the draft; the caller checks it was not stored already,
    and the unique index on `ref` refuses a second copy racing this one. An interaction that
    `responds` to the customer stamps the contact's first-response time, once.
    """
    values: dict[str, object] = {"version": col(Ticket.version) + 1}
    if responds:
        values["first_response_at"] = func.coalesce(col(Ticket.first_response_at), now)
    fenced = session.execute(update(Ticket).where(*_held_by(ticket_id, agent_id)).values(**values))
    if fenced.rowcount != 1:  # type: ignore[attr-defined]
        return False
    ticket = session.get(Ticket, ticket_id)
    assert ticket is not None
    session.add(
        Interaction(
            ref=ref,
            customer_id=ticket.customer_id,
            ticket_id=ticket_id,
            at=now,
            channel=ticket.channel,
            direction=direction,
            kind=kind,
            subject=None,
            text=text,
            author=author,
        )
    )
    session.flush()
    return True


def set_outcome(
    session: Session,
    *,
    ticket_id: str,
    agent_id: int,
    status: str,
    disposition: str,
    resolved_at: datetime | None,
    release: bool,
) -> bool:
    """Close (or park) a contact the agent holds; False if not held.

    `resolved_at` stamps a contact that is no longer worked (it keeps its holder as who
    resolved it); `release` hands a contact that stays in the queue back, unheld.
    """
    values: dict[str, object] = {
        "status": status,
        "active": resolved_at is None,
        "disposition": disposition,
        "version": col(Ticket.version) + 1,
    }
    if resolved_at is not None:
        values["resolved_at"] = resolved_at
    if release:
        values["assigned_agent_id"] = None
        values["claimed_at"] = None
    result = session.execute(update(Ticket).where(*_held_by(ticket_id, agent_id)).values(**values))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]
