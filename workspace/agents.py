"""The people who work contacts, as the workspace knows them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storage.agent_queries import agent_by_name, first_agent
from storage.engine import Reader
from storage.uow import read_session
from workspace.errors import UnknownAgent
from workspace.vocabulary import Role, member


@dataclass(frozen=True)
class AgentRecord:
    """Someone who works contacts."""

    id: int
    """Database id."""
    name: str
    """Login name, unique (`--agent NAME`)."""
    display_name: str
    """Name shown to colleagues."""
    role: str
    """One of `Role`."""

    @property
    def can_approve(self) -> bool:
        """Whether this agent decides other agents' requests."""
        role = member(Role, self.role)
        return role is not None and role.approves


def agent_record(row: Any) -> AgentRecord:
    """An agent from a row of `storage.agent_queries`."""
    return AgentRecord(id=row.id, name=row.name, display_name=row.display_name, role=row.role)


def resolve_agent(db: Reader, name: str | None) -> AgentRecord:
    """The agent called `name`, or the first agent when no name is given."""
    with read_session(db) as session:
        row = agent_by_name(session, name) if name else first_agent(session)
    if row is None:
        if name:
            raise UnknownAgent(f"no agent called {name!r} in this database")
        raise UnknownAgent("this database has no agents yet: run `caredesk demo` or import some")
    return agent_record(row)
