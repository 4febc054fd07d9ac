"""The team's people: adding them, changing their role, name or email, and letting them go.

Every change is one unit of work that audits it and announces it to open workspaces. On
PostgreSQL it also keeps the person's login role in step (storage/logins.py): added,
someone gets a login in their role's group; moved to another role, they change group; let
go, their login can no longer log in. Only an administrator may do any of this there, and
the database itself refuses anyone else. Someone let go also gives back every contact they
held, each release audited with the reason and each hold ended.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from storage import agent_queries, changes, hold_writes, logins
from storage.engine import Database, Reader
from storage.uow import read_session, unit_of_work
from workspace import follow_ups
from workspace.agents import AgentRecord, agent_record, os_user
from workspace.audit_trail import AuditTrail
from workspace.errors import AgentInputError, NotAllowed, UnknownAgent
from workspace.permissions import UseCase, check, login_actor
from workspace.text import one_line
from workspace.timefmt import utcnow
from workspace.vocabulary import AuditEvent, ChangeKind, Entity, HoldEnd, Role, member

MAX_ID = 63
"""An id is a PostgreSQL role name on a team's database: at most 63 characters."""
MAX_NAME = 200
MAX_EMAIL = 254

RESERVED = frozenset({"public", "none", "current_user", "session_user", "current_role"})
"""Names PostgreSQL keeps for itself; an agent's id is a login there."""


def check_id(text: str) -> str:
    """An agent's id as given, or AgentInputError: 1 to 63 printable characters without
    spaces, and a name PostgreSQL lets a login have (so a team can move there)."""
    if not 0 < len(text) <= MAX_ID:
        raise AgentInputError("id", f"an id has 1 to {MAX_ID} characters")
    if not text.isprintable() or any(c.isspace() for c in text):
        raise AgentInputError("id", "an id has no spaces or control characters")
    if text.lower().startswith("pg_") or text.lower() in RESERVED:
        raise AgentInputError("id", f"{text!r} is a name PostgreSQL keeps for itself")
    return text


def check_name(text: str) -> str:
    """A display name, trimmed: one printable line of 1 to 200 characters."""
    name = text.strip()
    if not name:
        raise AgentInputError("name", "give the name colleagues know them by")
    if len(name) > MAX_NAME or not name.isprintable():
        raise AgentInputError("name", f"a name is one line of up to {MAX_NAME} characters")
    return name


def check_email(text: str | None) -> str | None:
    """An email address, trimmed; empty means none."""
    if text is None or not text.strip():
        return None
    email = text.strip()
    local, at, domain = email.rpartition("@")
    if (
        not at
        or not local
        or "." not in domain
        or len(email) > MAX_EMAIL
        or not email.isprintable()
        or any(c.isspace() for c in email)
    ):
        raise AgentInputError("email", f"{email!r} is not an email address")
    return email


def check_role(text: str) -> Role:
    """One of the team's roles."""
    role = member(Role, text)
    if role is None:
        raise AgentInputError("role", f"unknown role {text!r}; one of {', '.join(Role)}")
    return role


@dataclass(frozen=True)
class LoginChange:
    """What happened to someone's PostgreSQL login."""

    login: str
    """The login role (the agent's id)."""
    created: bool
    """Made now (else an existing role was linked, or kept in step)."""
    group: str
    """The group role it now sits in."""
    can_login: bool
    """Whether it may log in."""


@dataclass(frozen=True)
class TeamChange:
    """What one `add` or `change` did."""

    agent: AgentRecord
    """The person as they now are."""
    changed: dict[str, tuple[object, object]] = field(default_factory=dict)
    """What changed, by field: (before, after). Empty when nothing did."""
    released: tuple[str, ...] = ()
    """The contacts they held and gave back (on being let go)."""
    login: LoginChange | None = None
    """Their PostgreSQL login, where the database has logins."""


class Team:
    """The team's people on one database, changed by `actor`."""

    def __init__(
        self, db: Database, *, actor: str | None = None, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.db = db
        self.clock = clock
        self.actor = actor
        """Who makes changes, as the audit log names them on SQLite (on PostgreSQL it is
        the login); None: the operating-system user."""

    def members(self) -> list[AgentRecord]:
        """Everyone, by id, whether they still work here or not."""
        return members(self.db)

    def add(self, agent_id: str, name: str, role: str, email: str | None = None) -> TeamChange:
        """Add someone; on PostgreSQL make (or link) their login in their role's group."""
        login_id, display_name = check_id(agent_id), check_name(name)
        role_word, address = check_role(role).value, check_email(email)
        now = self.clock()
        with self._work() as (s, trail, _):
            if agent_queries.agent_by_name(s, login_id) is not None:
                raise AgentInputError(
                    "id",
                    f"{login_id!r} is already on the team: change them with "
                    f"`caredesk agent set {login_id} ...`",
                )
            login = self._login_change(s, login_id, role_word, active=True)
            new_id = agent_queries.insert_agent(
                s, name=login_id, display_name=display_name, role=role_word, email=address
            )
            after = {
                "name": login_id,
                "display_name": display_name,
                "role": role_word,
                "email": address,
                "active": True,
            }
            trail.record(s, now, AuditEvent.AGENT_ADD, Entity.AGENT, login_id, after=after)
            changes.record(s, ChangeKind.AGENT, now, agent_id=new_id)
            agent = _stored(s, login_id)
        return TeamChange(agent, {k: (None, v) for k, v in after.items()}, login=login)

    def change(
        self,
        agent_id: str,
        *,
        role: str | None = None,
        name: str | None = None,
        email: str | None = None,
        active: bool | None = None,
    ) -> TeamChange:
        """Change someone's role, name, email or whether they still work here (`email` ""
        removes it). Letting someone go gives back every contact they hold. On PostgreSQL
        their login is kept in step even when nothing else changes (a person imported
        without one gets it)."""
        wanted: dict[str, object] = {}
        if role is not None:
            wanted["role"] = check_role(role).value
        if name is not None:
            wanted["display_name"] = check_name(name)
        if email is not None:
            wanted["email"] = check_email(email)
        if active is not None:
            wanted["active"] = active
        now = self.clock()
        with self._work() as (s, trail, by):
            row = agent_queries.agent_by_name(s, agent_id)
            if row is None:
                raise UnknownAgent(f"no agent called {agent_id!r} in this database")
            before = agent_record(row)
            diff = {k: (getattr(row, k), v) for k, v in wanted.items() if getattr(row, k) != v}
            role_now = str(wanted.get("role", before.role))
            active_now = bool(wanted.get("active", before.active))
            login = self._login_change(s, before.name, role_now, active=active_now)
            if not diff:
                return TeamChange(before, login=login)
            agent_queries.update_agent(s, before.id, {k: v for k, (_, v) in diff.items()})
            released: list[str] = []
            if diff.get("active") == (True, False):
                released = agent_queries.release_holds(s, before.id)
                hold_writes.end_many(s, released, now, HoldEnd.LEAVE)
                why = f"{before.name} was let go by {by}"
                for ticket_id in released:
                    trail.record(
                        s,
                        now,
                        AuditEvent.RELEASE,
                        Entity.TICKET,
                        ticket_id,
                        before={"holder": before.name},
                        after={"holder": None, "reason": why},
                    )
                    changes.record(s, ChangeKind.RELEASE, now, ticket_id=ticket_id)
                follow_ups.hand_back(s, trail, before.name, before.id, now)  # promises stay kept
            trail.record(
                s,
                now,
                AuditEvent.AGENT_SET,
                Entity.AGENT,
                before.name,
                before={k: old for k, (old, _) in diff.items()},
                after={k: new for k, (_, new) in diff.items()},
            )
            changes.record(s, ChangeKind.AGENT, now, agent_id=before.id)
            agent = _stored(s, before.name)
        return TeamChange(agent, diff, tuple(released), login)

    # -- one unit of work, by whom, and the login ------------------------------------------

    @contextmanager
    def _work(self) -> Iterator[tuple[Session, AuditTrail, str]]:
        """A unit of work on the team, the trail of whoever makes it (an administrator, on
        PostgreSQL), and their name; the database's refusals are said in one line."""
        try:
            with unit_of_work(self.db) as s:
                by = self._by(s)
                yield s, AuditTrail(by), by
        except IntegrityError:
            raise AgentInputError(
                "id", "someone else changed the team at the same moment; try again"
            ) from None
        except DBAPIError as error:
            reason = logins.refusal(error)
            if reason is None:
                raise
            raise NotAllowed(f"the database refused: {one_line(reason)}") from None

    def _by(self, s: Session) -> str:
        """Who changes the team: on PostgreSQL the login, which must be an administrator's
        (and takes on the admin group's rights to make logins); on SQLite, trusted."""
        if not logins.is_postgres(s):
            return self.actor or os_user() or "caredesk"
        me = logins.login(s)
        check(login_actor(s), UseCase.AGENT_ADMIN, who=f"your database login {me.name!r}")
        if logins.prefix(s) is None:
            raise NotAllowed("this database has no CareDesk roles yet: run `caredesk db upgrade`")
        if not me.superuser:
            logins.become_admin(s)
        return str(me.name)

    def _login_change(
        self, session: Session, agent_id: str, role: str, *, active: bool
    ) -> LoginChange | None:
        if not logins.is_postgres(session):
            return None
        if logins.is_group(session, agent_id):
            raise AgentInputError("id", f"{agent_id!r} is one of CareDesk's group roles")
        created = logins.ensure_login(session, agent_id, role, active=active)
        group = logins.group_names(session)[role]
        return LoginChange(agent_id, created, group, active)


def _stored(session: Session, agent_id: str) -> AgentRecord:
    row = agent_queries.agent_by_name(session, agent_id)
    assert row is not None
    return agent_record(row)


def members(db: Reader) -> list[AgentRecord]:
    """Everyone on the team, by id."""
    with read_session(db) as s:
        return [agent_record(r) for r in agent_queries.all_agents(s)]


def groups(db: Reader) -> dict[str, str]:
    """The database's group roles by what they are for (none on SQLite)."""
    with read_session(db) as s:
        return logins.group_names(s)
