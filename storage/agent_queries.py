"""Who works here: agents by name, and the default one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, literal, or_, select, update
from sqlmodel import Session, col

from storage.models import Agent
from storage.types import UTCDateTime

#: An agent as the workspace knows them.
_AGENT: Any = select(
    col(Agent.id).label("id"),
    col(Agent.name).label("name"),
    col(Agent.display_name).label("display_name"),
    col(Agent.role).label("role"),
)


def agent_by_name(session: Session, name: str) -> Row[Any] | None:
    """The agent with this login name, or None."""
    row: Row[Any] | None = session.execute(_AGENT.where(col(Agent.name) == name)).first()
    return row


def first_agent(session: Session) -> Row[Any] | None:
    """The first agent created (the default identity), or None in an empty database."""
    row: Row[Any] | None = session.execute(_AGENT.order_by(col(Agent.id)).limit(1)).first()
    return row


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
