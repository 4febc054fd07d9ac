"""What each login may do on PostgreSQL, enforced by the server itself.

On PostgreSQL the database login is the agent, so the rules do not depend on the program
being honest: a `psql` session with an agent's password gets no further than CareDesk.
Each CareDesk database (one schema of one database) has its own group roles, named
`caredesk_<8 hex>_<group>` where the hex is a digest of the database and schema names: roles
are cluster-wide, and two teams (or two test schemas) on one server must not share grants.
The prefix is fixed when the groups are first made and stored in the schema
(`caredesk_groups()`), so renaming the database later does not orphan them.

- `agent`, `senior`, `supervisor`, `trainer`: one group per CareDesk role; each reads every
  table and writes only what the workspace writes (contacts, replies, actions, audit
  inserts, open workspaces, the change log, and its own `agent.news_seen_at`);
- `monitor`: reads every table and writes nothing;
- `admin`: adds and changes people (CREATEROLE), installs the policy, imports; it is still
  bound by the triggers below.

Triggers hold for everyone, the tables' owner included: the audit log is append-only; only
a supervisor decides a request, in their own name, and never their own request; an action's
request cannot be rewritten and its status moves only forward; an agent updates only their
own row. A superuser can still switch triggers off: that is what the audit log's hash chain
and its checkpoints kept elsewhere are for.

`secure` is idempotent and runs in migration 0007; a later migration that adds a table
calls it again so the new table gets its grants.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from sqlalchemy import Connection, text

WORKER_GROUPS = ("agent", "senior", "supervisor", "trainer")
"""The groups of the team's roles (the workspace's `Role` words; a test keeps them equal)."""
DECIDER = "supervisor"
"""The role whose group decides requests."""
MONITOR = "monitor"
ADMIN = "admin"
GROUPS = (*WORKER_GROUPS, MONITOR, ADMIN)

REQUESTED, APPROVED, DENIED, WITHDRAWN, EXECUTED = (
    "requested",
    "approved",
    "denied",
    "withdrawn",
    "executed",
)
"""The action statuses the decision trigger knows (the workspace's `ActionStatus` words)."""

WORKER_WRITES: dict[str, tuple[str, ...]] = {
    "ticket": ("INSERT", "UPDATE"),
    "interaction": ("INSERT",),
    "action": ("INSERT", "UPDATE"),
    "audit_entry": ("INSERT",),
    "desk_session": ("INSERT", "UPDATE", "DELETE"),
    "change": ("INSERT", "DELETE"),
    "contact_hold": ("INSERT", "UPDATE"),
    "delivery": ("INSERT", "UPDATE"),
    "delivery_endpoint": ("INSERT", "UPDATE"),  # a receiver's 410 disables its endpoint
    "shipment": ("INSERT",),
    "follow_up": ("INSERT", "UPDATE"),
    "action_key": ("INSERT", "UPDATE", "DELETE"),
}
"""What the workspace writes, by table; every other table it only reads."""
WORKER_COLUMNS: dict[str, tuple[str, ...]] = {
    "agent": ("news_seen_at",),
    "orders": ("status", "refunded"),  # the order follows its executed action
}
"""Columns the workspace updates in a table it otherwise only reads."""

COMMENT = "caredesk group "
"""How a group's comment starts; the rest is JSON naming its database, schema and group."""

FUNCTION_TAG = "$caredesk$"


def _run(connection: Connection, statement: str) -> None:
    """Run DDL as written: psycopg reads `%` as a placeholder, so it is doubled."""
    connection.exec_driver_sql(statement.replace("%", "%%"))


def quote(name: str) -> str:
    """`name` as a PostgreSQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """`value` as a PostgreSQL string literal (standard_conforming_strings is on)."""
    return "'" + value.replace("'", "''") + "'"


def group_prefix(database: str, schema: str) -> str:
    """The group roles' prefix for one schema of one database."""
    digest = hashlib.sha256(f"{database}\x00{schema}".encode()).hexdigest()
    return f"caredesk_{digest[:8]}"


def group(prefix: str, word: str) -> str:
    """The group role of `word` (a role, `monitor` or `admin`)."""
    return f"{prefix}_{word}"


def stored_prefix(connection: Connection) -> str | None:
    """The prefix this schema's groups were made with, or None before migration 0007."""
    if connection.dialect.name != "postgresql":
        return None
    found = connection.execute(text("SELECT to_regprocedure('caredesk_groups()')")).scalar()
    if found is None:
        return None
    return str(connection.execute(text("SELECT caredesk_groups()")).scalar_one())


def secure(connection: Connection) -> str | None:
    """Make the groups, grants and triggers of this schema (PostgreSQL; idempotent);
    returns the groups' prefix, or None on SQLite, where there is nothing to make."""
    if connection.dialect.name != "postgresql":
        return None
    database, schema = connection.execute(text("SELECT current_database(), current_schema()")).one()
    prefix = stored_prefix(connection) or group_prefix(database, schema)
    for word in GROUPS:
        _make_group(connection, prefix, word, database, schema)
    s = quote(schema)
    _run(
        connection,
        f"CREATE OR REPLACE FUNCTION {s}.caredesk_groups() RETURNS text LANGUAGE sql "
        f"IMMUTABLE AS $$ SELECT {literal(prefix)}::text $$",
    )
    for statement in _grants(connection, prefix, schema):
        _run(connection, statement)
    for statement in _triggers(prefix, schema):
        _run(connection, statement)
    return prefix


def _make_group(connection: Connection, prefix: str, word: str, database: str, schema: str) -> None:
    name = group(prefix, word)
    exists = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name})
    if exists.first() is None:
        extra = " CREATEROLE" if word == ADMIN else ""
        _run(connection, f"CREATE ROLE {quote(name)} NOLOGIN{extra}")
    about = json.dumps({"database": database, "schema": schema, "group": word})
    _run(connection, f"COMMENT ON ROLE {quote(name)} IS {literal(COMMENT + about)}")


def _grants(connection: Connection, prefix: str, schema: str) -> list[str]:
    s = quote(schema)
    workers = ", ".join(quote(group(prefix, w)) for w in WORKER_GROUPS)
    readers = f"{workers}, {quote(group(prefix, MONITOR))}"
    admin = quote(group(prefix, ADMIN))
    everyone = f"{readers}, {admin}"
    tables = set(
        connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        ).scalars()
    )
    statements = [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM PUBLIC, {everyone}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM PUBLIC, {everyone}",
        f"GRANT USAGE ON SCHEMA {s} TO {everyone}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {readers}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {admin}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {s} TO {workers}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {s} TO {admin}",
    ]
    if "audit_entry" in tables:
        statements.append(f"REVOKE UPDATE, DELETE ON {s}.audit_entry FROM {admin}")
    if "alembic_version" in tables:  # the schema is the owner's to upgrade
        statements.append(f"REVOKE INSERT, UPDATE, DELETE ON {s}.alembic_version FROM {admin}")
    for table, privileges in WORKER_WRITES.items():
        if table in tables:
            statements.append(f"GRANT {', '.join(privileges)} ON {s}.{quote(table)} TO {workers}")
    present = {
        (t, c)
        for t, c in connection.execute(
            text(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema()"
            )
        ).all()
    }
    for table, columns in WORKER_COLUMNS.items():
        # An older migration secures the schema as it was then: columns added later are
        # granted by the migration that adds them.
        there = [c for c in columns if (table, c) in present]
        if there:
            names = ", ".join(quote(c) for c in there)
            statements.append(f"GRANT UPDATE ({names}) ON {s}.{quote(table)} TO {workers}")
    return statements


def _function(schema: str, name: str, body: str) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {quote(schema)}.{name}() RETURNS trigger LANGUAGE plpgsql "
        f"SET search_path = pg_catalog, pg_temp AS {FUNCTION_TAG}{body}{FUNCTION_TAG}"
    )


def _trigger(schema: str, table: str, name: str, when: str, *, row: bool) -> list[str]:
    """(Re)create trigger `name` on `table`, running the function of the same name."""
    on = f"{quote(schema)}.{quote(table)}"
    each = "ROW" if row else "STATEMENT"
    return [
        f"DROP TRIGGER IF EXISTS {name} ON {on}",
        f"CREATE TRIGGER {name} {when} ON {on} FOR EACH {each} "
        f"EXECUTE FUNCTION {quote(schema)}.{name}()",
    ]


_REFUSE = "USING ERRCODE = 'insufficient_privilege'"

#: The columns of an action that say what was asked; nobody but an administrator changes them.
_ASKED = (
    "id",
    "ref",
    "kind",
    "customer_id",
    "order_id",
    "ticket_id",
    "agent_id",
    "amount",
    "currency",
    "items",
    "reason",
    "verdict",
    "rule",
    "verdict_reason",
    "outside_budget",
    "policy_hash",
    "requested_at",
)


def _triggers(prefix: str, schema: str) -> list[str]:
    agent = f"{quote(schema)}.agent"
    admin = f"pg_has_role(session_user, {literal(group(prefix, ADMIN))}, 'MEMBER')"
    decider = f"pg_has_role(session_user, {literal(group(prefix, DECIDER))}, 'MEMBER')"
    new = ", ".join(f"NEW.{c}" for c in _ASKED)
    old = ", ".join(f"OLD.{c}" for c in _ASKED)
    audit = f"""
BEGIN
  RAISE EXCEPTION 'the audit log is append-only: % is refused, whoever asks', TG_OP {_REFUSE};
END
"""
    action = f"""
DECLARE
  is_admin boolean := {admin};
  asker text;
  me integer;
BEGIN
  SELECT a.name INTO asker FROM {agent} a WHERE a.id = NEW.agent_id;
  IF TG_OP = 'INSERT' THEN
    IF NOT is_admin AND asker IS DISTINCT FROM session_user THEN
      RAISE EXCEPTION 'the login % cannot ask for an action in the name of %',
        session_user, asker {_REFUSE};
    END IF;
    RETURN NEW;
  END IF;
  IF NOT is_admin AND ROW({new}) IS DISTINCT FROM ROW({old}) THEN
    RAISE EXCEPTION 'what action #% asks for cannot be changed', OLD.id {_REFUSE};
  END IF;
  IF NEW.status IS NOT DISTINCT FROM OLD.status THEN
    RETURN NEW;
  END IF;
  IF OLD.status = '{REQUESTED}' AND NEW.status IN ('{APPROVED}', '{DENIED}') THEN
    IF asker = session_user OR NEW.decided_by = OLD.agent_id THEN
      RAISE EXCEPTION 'nobody decides their own request (action #%)', OLD.id {_REFUSE};
    END IF;
    IF NOT is_admin THEN
      IF NOT {decider} THEN
        RAISE EXCEPTION 'only a supervisor decides requests; the login % is not one',
          session_user {_REFUSE};
      END IF;
      SELECT a.id INTO me FROM {agent} a WHERE a.name = session_user;
      IF NEW.decided_by IS DISTINCT FROM me THEN
        RAISE EXCEPTION 'the login % decides only in their own name', session_user {_REFUSE};
      END IF;
    END IF;
  ELSIF OLD.status = '{REQUESTED}' AND NEW.status = '{WITHDRAWN}' THEN
    IF NOT is_admin AND asker IS DISTINCT FROM session_user THEN
      RAISE EXCEPTION 'only the agent who asked withdraws action #%', OLD.id {_REFUSE};
    END IF;
  ELSIF NOT is_admin AND NOT (OLD.status = '{APPROVED}' AND NEW.status = '{EXECUTED}') THEN
    RAISE EXCEPTION 'action #% cannot move from % to %', OLD.id, OLD.status, NEW.status
      {_REFUSE};
  END IF;
  RETURN NEW;
END
"""
    own_row = f"""
BEGIN
  IF NOT {admin} AND OLD.name IS DISTINCT FROM session_user THEN
    RAISE EXCEPTION 'the login % changes only their own agent row', session_user {_REFUSE};
  END IF;
  RETURN NEW;
END
"""
    return [
        # Statement triggers: even an UPDATE or DELETE that matches no row is refused.
        _function(schema, "caredesk_audit_append_only", audit),
        *_trigger(
            schema,
            "audit_entry",
            "caredesk_audit_append_only",
            "BEFORE UPDATE OR DELETE OR TRUNCATE",
            row=False,
        ),
        _function(schema, "caredesk_action_guard", action),
        *_trigger(schema, "action", "caredesk_action_guard", "BEFORE INSERT OR UPDATE", row=True),
        _function(schema, "caredesk_agent_own_row", own_row),
        *_trigger(schema, "agent", "caredesk_agent_own_row", "BEFORE UPDATE", row=True),
    ]


def unsecure(connection: Connection) -> None:
    """Undo `secure` (migration 0007's downgrade): triggers, grants and groups go."""
    prefix = stored_prefix(connection)
    if prefix is None:
        return
    schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    s = quote(schema)
    for table, name in (
        ("audit_entry", "caredesk_audit_append_only"),
        ("action", "caredesk_action_guard"),
        ("agent", "caredesk_agent_own_row"),
    ):
        _run(connection, f"DROP TRIGGER IF EXISTS {name} ON {s}.{quote(table)}")
        _run(connection, f"DROP FUNCTION IF EXISTS {s}.{name}()")
    _run(connection, f"DROP FUNCTION IF EXISTS {s}.caredesk_groups()")
    drop_groups(connection, prefix)


def drop_groups(connection: Connection, prefix: str) -> None:
    """Drop the groups made with `prefix`, revoking what they were granted in this database
    first (the logins that were their members stay, in no group)."""
    names = [group(prefix, word) for word in GROUPS]
    _drop_roles(connection, names)


def _drop_roles(connection: Connection, names: Iterable[str]) -> None:
    for name in names:
        found = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name})
        if found.first() is not None:
            _run(connection, f"DROP OWNED BY {quote(name)}")
            _run(connection, f"DROP ROLE {quote(name)}")


def orphan_groups(connection: Connection) -> list[str]:
    """CareDesk groups made for a schema of this database that no longer exists (a test's
    schema, dropped): what `drop_orphan_groups` removes."""
    rows = connection.execute(
        text(
            "SELECT r.rolname, shobj_description(r.oid, 'pg_authid') FROM pg_roles r "
            "WHERE r.rolname LIKE 'caredesk\\_%' AND NOT r.rolcanlogin"
        )
    ).all()
    schemas = set(connection.execute(text("SELECT nspname FROM pg_namespace")).scalars())
    database = connection.execute(text("SELECT current_database()")).scalar_one()
    orphans = []
    for name, comment in rows:
        if not comment or not comment.startswith(COMMENT):
            continue
        try:
            about = json.loads(comment[len(COMMENT) :])
        except ValueError:
            continue
        if about.get("database") == database and about.get("schema") not in schemas:
            orphans.append(name)
    return orphans


def drop_orphan_groups(connection: Connection) -> int:
    """Drop the groups of this database's schemas that are gone; returns how many."""
    orphans = orphan_groups(connection)
    _drop_roles(connection, orphans)
    return len(orphans)
