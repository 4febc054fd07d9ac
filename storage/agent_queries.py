"""Who works here: agents by name, the default one, the team's list, and its changes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, insert, literal, or_, select, true, update
from sqlmodel import Session, col

from storage.models import Agent, Ticket
from storage.types import UTCDateTime

#: An agent as the workspace knows them.
_AGENT: Any = select(
    col(Agent.id).label("id"),
    col(Agent.name).label("name"),
    col(Agent.display_name).label("display_name"),
    col(Agent.role).label("role"),
    col(Agent.email).label("email"),
    col(Agent.active).label("active"),
)


def agent_by_name(session: Session, name: str) -> Row[Any] | None:
    """The agent with this login name, or None."""
    row: Row[Any] | None = session.execute(_AGENT.where(col(Agent.name) == name)).first()
    return row


def first_agent(session: Session, *, active: bool = False) -> Row[Any] | None:
    """The first agent created (with `active`, the first still working here), or None."""
    query = _AGENT.where(col(Agent.active) == true()) if active else _AGENT
    row: Row[Any] | None = session.execute(query.order_by(col(Agent.id)).limit(1)).first()
    return row


def count_agents(session: Session) -> int:
    """How many agents the database has, whether they still work here or not."""
    return int(session.execute(select(func.count()).select_from(Agent)).scalar_one())


def all_agents(session: Session) -> Sequence[Row[Any]]:
    """Every agent, by login name (the team is dozens to a few hundred people)."""
    rows: Sequence[Row[Any]] = session.execute(_AGENT.order_by(col(Agent.name))).all()
    return rows


def insert_agent(
    session: Session, *, name: str, display_name: str, role: str, email: str | None
) -> int:
    """Add someone who works here; returns their database id."""
    stmt = (
        insert(Agent)
        .values(name=name, display_name=display_name, role=role, email=email, active=True)
        .returning(col(Agent.id))
    )
    return int(session.execute(stmt).scalar_one())


def update_agent(session: Session, agent_id: int, values: Mapping[str, Any]) -> None:
    """Change some of `display_name`, `role`, `email`, `active`."""
    session.execute(update(Agent).where(col(Agent.id) == agent_id).values(**values))


def release_holds(session: Session, agent_id: int) -> list[str]:
    """Hand every active contact this agent holds back to the queue; the contacts, in
    order. A resolved contact keeps its holder: it says who resolved it."""
    stmt = (
        update(Ticket)
        .where(col(Ticket.assigned_agent_id) == agent_id, col(Ticket.active) == true())
        .values(assigned_agent_id=None, claimed_at=None, version=col(Ticket.version) + 1)
        .returning(col(Ticket.id))
    )
    return sorted(str(t) for t in session.execute(stmt).scalars())


def news_seen_at(session: Session, agent_id: int) -> datetime | None:
    """Up to when decisions on this agent's requests were told to them."""
    return session.execute(
        select(col(Agent.news_seen_at)).where(col(Agent.id) == agent_id)
    ).scalar_one_or_none()


def saw_news(session: Session, agent_id: int, upto: datetime) -> None:
    """Move the agent's news mark forward to `upto` (never back)."""
    session.execute(
        update(Agent)
        .where(
            col(Agent.id) == agent_id,
            or_(
                col(Agent.news_seen_at).is_(None),
                col(Agent.news_seen_at) < literal(upto, UTCDateTime()),
            ),
        )
        .values(news_seen_at=upto)
    )
