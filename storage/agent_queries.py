"""Who works here: agents by name, and the default one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import literal, or_, select, update
from sqlmodel import Session, col

from storage.models import Agent
from storage.records import AgentRecord
from storage.types import UTCDateTime


def _record(a: Agent) -> AgentRecord:
    assert a.id is not None
    return AgentRecord(id=a.id, name=a.name, display_name=a.display_name, role=a.role)


def agent_by_name(session: Session, name: str) -> AgentRecord | None:
    """The agent with this login name, or None."""
    row = session.execute(select(Agent).where(col(Agent.name) == name)).first()
    return _record(row[0]) if row else None


def first_agent(session: Session) -> AgentRecord | None:
    """The first agent created (the default identity), or None in an empty database."""
    row = session.execute(select(Agent).order_by(col(Agent.id)).limit(1)).first()
    return _record(row[0]) if row else None


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
