"""Writes on contacts: claims, releases, replies and resolutions, each fenced by the claim."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, true, update
from sqlmodel import Session, col

from storage.models import Agent, Interaction, Ticket
from storage.records import ClaimOutcome
from storage.types import UTCDateTime

#: The claim: one conditional UPDATE, built once (agents claim all day long).
_CLAIM = (
    update(Ticket.__table__)  # type: ignore[attr-defined]
    .where(
        col(Ticket.id) == bindparam("ticket_id"),
        col(Ticket.active) == true(),
        col(Ticket.assigned_agent_id).is_(None),
    )
    .values(
        assigned_agent_id=bindparam("agent_id"),
        claimed_at=bindparam("claimed_at", type_=UTCDateTime()),
        version=col(Ticket.version) + 1,
    )
)


def _holder_name(session: Session, agent_id: int | None) -> str | None:
    if agent_id is None:
        return None
    return session.execute(
        select(col(Agent.display_name)).where(col(Agent.id) == agent_id)
    ).scalar_one_or_none()


def _held_by(ticket_id: str, agent_id: int) -> tuple[Any, ...]:
    """The fence of every write on a contact: it is active and this agent holds it."""
    return (
        col(Ticket.id) == ticket_id,
        col(Ticket.assigned_agent_id) == agent_id,
        col(Ticket.active) == true(),
    )


def claim(
    session: Session, ticket_id: str, agent_id: int, now: datetime, agent_name: str | None = None
) -> ClaimOutcome:
    """Give the contact to `agent_id` if nobody holds it: one conditional UPDATE, atomic.

    `agent_name` (the claimant's display name, when the caller knows it) saves a query.
    """
    result = session.execute(
        _CLAIM, {"ticket_id": ticket_id, "agent_id": agent_id, "claimed_at": now}
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        name = agent_name if agent_name is not None else _holder_name(session, agent_id)
        return ClaimOutcome(True, ticket_id, name, "claimed")
    row = session.execute(
        select(col(Ticket.assigned_agent_id), col(Ticket.active)).where(col(Ticket.id) == ticket_id)
    ).first()
    if row is None:
        return ClaimOutcome(False, ticket_id, None, f"contact {ticket_id} does not exist")
    holder_id, active = row
    if not active:
        return ClaimOutcome(False, ticket_id, None, f"contact {ticket_id} is already resolved")
    name = _holder_name(session, holder_id)
    if holder_id == agent_id:
        return ClaimOutcome(True, ticket_id, name, "already yours")
    return ClaimOutcome(False, ticket_id, name, f"{name} already holds contact {ticket_id}")


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
    text: str,
    now: datetime,
) -> bool:
    """Store a reply or note on a contact the agent holds; False if they do not hold it.

    `ref` is the idempotency key of the draft; the caller checks it was not stored already,
    and the unique index on `ref` refuses a second copy racing this one. The first outbound
    reply stamps the contact's first-response time.
    """
    values: dict[str, object] = {"version": col(Ticket.version) + 1}
    if kind == "message":
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
            direction="outbound" if kind == "message" else "internal",
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
    now: datetime,
) -> bool:
    """Close (or park as pending) a contact the agent holds; False if not held.

    A resolved contact keeps its holder as who resolved it; a pending one goes back to the
    queue unheld, waiting on the customer.
    """
    values: dict[str, object] = {
        "status": status,
        "active": status != "resolved",
        "disposition": disposition,
        "version": col(Ticket.version) + 1,
    }
    if status == "resolved":
        values["resolved_at"] = now
    else:
        values["assigned_agent_id"] = None
        values["claimed_at"] = None
    result = session.execute(update(Ticket).where(*_held_by(ticket_id, agent_id)).values(**values))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]
