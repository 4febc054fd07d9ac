"""The people who work contacts, and who is working now.

Who works is decided once, when a session signs in. On PostgreSQL the database proves it:
the login is the agent, and only an administrator may work as someone else, which every
audit entry then records. On SQLite (one file, one machine) nothing is proven: the agent
is the one named with `--agent`, else the one whose id is the operating-system user, else
the first agent (so a fresh machine opens the demo with no flags), and the user is told.
"""

from __future__ import annotations

import getpass
import shlex
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from storage import logins
from storage.agent_queries import agent_by_name, count_agents, first_agent
from storage.engine import Database, Reader
from storage.uow import read_session
from workspace.audit_trail import acting_actor
from workspace.errors import AgentInactive, NoAgents, NotAllowed, UnknownAgent
from workspace.text import one_line
from workspace.vocabulary import Role, member


@dataclass(frozen=True)
class AgentRecord:
    """Someone who works contacts."""

    id: int
    """Database id."""
    name: str
    """Login name, unique (`--agent NAME`; on PostgreSQL, their database login)."""
    display_name: str
    """Name shown to colleagues."""
    role: str
    """One of `Role`."""
    active: bool = True
    """False once they have left: they cannot open the workspace or take contacts."""
    email: str | None = None
    """Where to reach them, if known."""

    @property
    def can_approve(self) -> bool:
        """Whether this agent decides other agents' requests."""
        role = member(Role, self.role)
        return role is not None and role.approves


def agent_record(row: Any) -> AgentRecord:
    """An agent from a row of `storage.agent_queries`."""
    return AgentRecord(
        id=row.id,
        name=row.name,
        display_name=row.display_name,
        role=row.role,
        active=bool(row.active),
        email=row.email,
    )


@dataclass(frozen=True)
class Identity:
    """Who works in this session, and how CareDesk knows."""

    agent: AgentRecord
    """Whose work it is: what the session claims, decides and writes as."""
    login: str | None
    """Who is at the keyboard: the PostgreSQL login, or on SQLite the operating-system
    user (None when it cannot be read)."""
    proven: bool
    """Whether the database proved `login` (PostgreSQL) or it is taken on trust (SQLite)."""
    acting_for: bool
    """An administrator's login works as `agent`: every audit entry says so."""
    notice: str | None = None
    """What to tell the user once, when the agent was chosen for them."""


def os_user() -> str | None:
    """The operating-system user's name, or None when the system cannot say."""
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):  # no USER variable and no password entry
        return None


def add_line(agent_id: str, role: Role) -> str:
    """The exact `caredesk agent add` line that adds `agent_id`."""
    name = agent_id.replace(".", " ").replace("_", " ").title() or agent_id
    return f"caredesk agent add {shlex.quote(agent_id)} --name {shlex.quote(name)} --role {role}"


def sign_in(db: Reader, name: str | None) -> Identity:
    """Who works on `db`: `name` (`--agent`), or by default the login (PostgreSQL) or the
    operating-system user (SQLite). Refuses someone deactivated, and on PostgreSQL anyone
    working as somebody else without being an administrator.

    When an administrator works for someone else, `db` remembers it: every audit entry
    written through it names the login and the agent (see `AuditTrail`).
    """
    with read_session(db) as session:
        if logins.is_postgres(session):
            identity = _proven(session, name)
        else:
            identity = _trusted(session, name)
    agent = identity.agent
    if not agent.active:
        raise AgentInactive(
            f"{agent.name!r} no longer works here (deactivated): an administrator can bring "
            f"them back with `caredesk agent set {shlex.quote(agent.name)} --active yes`"
        )
    if identity.acting_for and identity.login is not None and isinstance(db, Database):
        logins.mark_acting(db, identity.login, agent.name)
    return identity


def resolve_agent(db: Reader, name: str | None) -> AgentRecord:
    """The agent who works on `db` when `name` is asked for (see `sign_in`)."""
    return sign_in(db, name).agent


def _named(session: Session, name: str) -> AgentRecord:
    row = agent_by_name(session, name)
    if row is None:
        raise UnknownAgent(f"no agent called {name!r} in this database")
    return agent_record(row)


def _nobody(session: Session, who: str | None, *, needs_admin: bool) -> None:
    """Refuse an empty database with the line that adds its first agent, `who`."""
    if count_agents(session):
        return
    line = add_line(who or "ID", Role.SUPERVISOR)
    by = "an administrator adds the first" if needs_admin else "add yourself"
    raise NoAgents(f"this database has no agents yet: {by} with `{line}`")


def _first(session: Session) -> AgentRecord:
    row = first_agent(session, active=True)
    if row is None:
        raise NoAgents(
            "every agent of this database was deactivated: an administrator brings one back "
            "with `caredesk agent set ID --active yes`"
        )
    return agent_record(row)


def _trusted(session: Session, name: str | None) -> Identity:
    """SQLite: `--agent`, else the operating-system user's agent, else the first agent."""
    user = os_user()
    _nobody(session, name or user, needs_admin=False)
    if name:
        return Identity(_named(session, name), user, proven=False, acting_for=False)
    own = agent_by_name(session, user) if user else None
    if own is not None:
        return Identity(agent_record(own), user, proven=False, acting_for=False)
    agent = _first(session)
    you = f"your user {user!r} is" if user else "you are"
    notice = (
        f"{you} not an agent here: working as {one_line(agent.display_name)} "
        f"({agent.name}), the first agent; choose with --agent NAME"
    )
    if user:
        notice += f", or add yourself with `{add_line(user, Role.AGENT)}`"
    return Identity(agent, user, proven=False, acting_for=False, notice=notice)


def _proven(session: Session, name: str | None) -> Identity:
    """PostgreSQL: the login is the agent; an administrator may work for someone else."""
    me = logins.login(session)
    login = str(me.name)
    _nobody(session, login, needs_admin=not me.admin)
    if name and name != login:
        if not me.admin:
            raise NotAllowed(
                f"your database login {login!r} cannot work as {name!r}: only an "
                "administrator works for someone else"
            )
        return Identity(_named(session, name), login, proven=True, acting_for=True)
    own = agent_by_name(session, login)
    if own is not None:
        return Identity(agent_record(own), login, proven=True, acting_for=False)
    if not me.admin:
        raise UnknownAgent(
            f"your database login {login!r} is not an agent of this database: an "
            f"administrator adds you with `{add_line(login, Role.AGENT)}`"
        )
    agent = _first(session)
    notice = (
        f"your login {login!r} is an administrator, not an agent: working for "
        f"{one_line(agent.display_name)} ({agent.name}), the first agent, and the audit log "
        "says so; choose with --agent NAME"
    )
    return Identity(agent, login, proven=True, acting_for=True, notice=notice)


def installer(db: Reader, typed: str | None) -> str:
    """Who installs a team file (a policy, a configuration), as its record and audit entry
    name them. On PostgreSQL the login, which the database proves (and which it checks may
    install at all); a login that names someone else with `--agent` is recorded as acting
    for them. On SQLite what the user typed, else the operating-system user."""
    with read_session(db) as session:
        if not logins.is_postgres(session):
            return typed or getpass.getuser()
        name = str(logins.login(session).name)
    return name if typed in (None, name) else acting_actor(name, typed)
