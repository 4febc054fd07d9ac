"""Who works here: agents by name, and the default one."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from storage.models import Agent
from storage.records import AgentRecord


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
