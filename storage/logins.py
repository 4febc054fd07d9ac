"""Who is connected, as PostgreSQL proves it, and the login roles of the team's people.

`session_user` is the login that authenticated; it does not change when a session takes
on a group's rights (`SET ROLE`), so it is what CareDesk takes for who works. The login
roles made here sit in the schema's groups (storage/security.py); nothing here runs on
SQLite, which has no logins.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from storage.engine import Database
from storage.security import ADMIN, GROUPS, WORKER_GROUPS, group, quote, stored_prefix

#: Engine option naming the login an administrator works through and the agent they act
#: for, `(login, agent)`, on a database handle signed in that way (see `mark_acting`).
ACTING = "caredesk_acting_for"

PREFIX = "caredesk_groups"
"""Where a connection keeps its schema's group prefix once read."""


def usable_schema(engine: Engine) -> tuple[str, str | None]:
    """The login and the schema it works in (PostgreSQL): None when no schema of its search
    path exists or grants it USAGE, as for a login in none of the schema's groups."""
    with engine.connect() as connection:
        login_name, schema = connection.execute(text("SELECT session_user, current_schema()")).one()
    return str(login_name), None if schema is None else str(schema)


def is_postgres(session: Session) -> bool:
    """Whether the session's database proves logins (PostgreSQL)."""
    return session.get_bind().dialect.name == "postgresql"


def prefix(session: Session) -> str | None:
    """The schema's group prefix (None before migration 0007, and on SQLite); read once per
    connection."""
    connection: Connection = session.connection()
    found: str | None = connection.info.get(PREFIX)
    if found is None:
        found = stored_prefix(connection)
        if found is not None:  # None may change: a migration can run meanwhile
            connection.info[PREFIX] = found
    return found


def login(session: Session) -> Row[Any]:
    """The login of this PostgreSQL session: `name`, `superuser`, `admin` (a superuser or
    a member of the schema's admin group)."""
    groups = prefix(session)
    admin = group(groups, ADMIN) if groups else ""
    row: Row[Any] = session.execute(
        text(
            "SELECT session_user AS name, r.rolsuper AS superuser, r.rolsuper OR coalesce("
            "pg_has_role(session_user, g.oid, 'MEMBER'), false) AS admin "
            "FROM pg_roles r LEFT JOIN pg_roles g ON g.rolname = :admin "
            "WHERE r.rolname = session_user"
        ),
        {"admin": admin},
    ).one()
    return row


def become_admin(session: Session) -> None:
    """Take on the admin group's rights for the rest of this transaction: making logins
    needs CREATEROLE, which a member does not inherit. `session_user` stays the login."""
    groups = prefix(session)
    if groups is None:
        raise RuntimeError("this schema has no CareDesk groups: upgrade it first")
    session.execute(text(f"SET LOCAL ROLE {quote(group(groups, ADMIN))}"))


def role_exists(session: Session, name: str) -> bool:
    """Whether a role called `name` exists on the server."""
    found = session.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name})
    return found.first() is not None


def is_group(session: Session, name: str) -> bool:
    """Whether `name` is one of this schema's CareDesk groups (never an agent's login)."""
    groups = prefix(session)
    return groups is not None and name in {group(groups, word) for word in GROUPS}


def ensure_login(session: Session, name: str, role: str, *, active: bool) -> bool:
    """Make `name` a login in the group of `role` and no other role's group; it may log in
    only when `active`. Creates the role when there is none (True), else links the one
    there is (False). Needs the admin group's rights (`become_admin`) or a superuser."""
    groups = prefix(session)
    if groups is None:
        raise RuntimeError("this schema has no CareDesk groups: upgrade it first")
    who = quote(name)
    can_login = session.execute(
        text("SELECT rolcanlogin FROM pg_roles WHERE rolname = :n"), {"n": name}
    ).scalar_one_or_none()
    created = can_login is None
    if created:
        session.execute(text(f"CREATE ROLE {who} {'LOGIN' if active else 'NOLOGIN'}"))
    elif bool(can_login) != active:
        session.execute(text(f"ALTER ROLE {who} {'LOGIN' if active else 'NOLOGIN'}"))
    wanted = group(groups, role)
    for other in _groups_of(session, name, [group(groups, w) for w in WORKER_GROUPS]):
        if other != wanted:
            session.execute(text(f"REVOKE {quote(other)} FROM {who}"))
    if wanted not in _groups_of(session, name, [wanted]):
        session.execute(text(f"GRANT {quote(wanted)} TO {who}"))
    return created


def _groups_of(session: Session, name: str, among: Sequence[str]) -> list[str]:
    """The groups of `among` that `name` is a direct member of."""
    rows = session.execute(
        text(
            "SELECT g.rolname FROM pg_auth_members m "
            "JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member "
            "WHERE u.rolname = :n AND g.rolname = ANY(:among)"
        ),
        {"n": name, "among": list(among)},
    )
    return [str(r) for r in rows.scalars()]


def group_names(session: Session) -> dict[str, str]:
    """This schema's group roles by what they are for (`agent`, ..., `monitor`, `admin`)."""
    groups = prefix(session)
    return {} if groups is None else {word: group(groups, word) for word in GROUPS}


def refusal(error: BaseException) -> str | None:
    """What the database said when it refused a statement for want of a privilege (a grant
    missing, or one of CareDesk's triggers), or None for any other error."""
    if not isinstance(error, DBAPIError):
        return None
    orig: Any = error.orig
    if getattr(orig, "sqlstate", None) != "42501":
        return None
    diag = getattr(orig, "diag", None)
    message = getattr(diag, "message_primary", None) or str(orig)
    return str(message).strip().splitlines()[0]


def mark_acting(db: Database, login_name: str, agent: str) -> None:
    """Remember on `db`'s write engine that `login_name` works for `agent`, so the audit
    trail written through it says so (`acting`)."""
    db.write.update_execution_options(**{ACTING: (login_name, agent)})


def acting(session: Session) -> tuple[str, str] | None:
    """`(login, agent)` when this session's database handle was signed in by an
    administrator acting for an agent, else None."""
    return _marked(session.connection().get_execution_options().get(ACTING))


def acting_on(db: Database) -> tuple[str, str] | None:
    """`acting`, for a write made on `db` outside a session."""
    return _marked(db.write.get_execution_options().get(ACTING))


def _marked(found: Any) -> tuple[str, str] | None:
    return None if found is None else (str(found[0]), str(found[1]))
