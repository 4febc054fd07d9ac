"""What each login may do, enforced by PostgreSQL itself: plain SQL with an agent's login,
a monitor's or an administrator's gets no further than CareDesk would let it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage.engine import Database
from storage.migrate import alembic_config, upgrade
from storage.security import (
    APPROVED,
    DECIDER,
    DENIED,
    EXECUTED,
    REQUESTED,
    WITHDRAWN,
    WORKER_GROUPS,
    group_prefix,
    stored_prefix,
)
from storage.testing import fresh_postgres_schema
from tests.conftest import PG_URL, require_postgres
from tests.factories import NOW, add_customer, add_order, add_ticket
from tests.pg_roles import Server, server
from workspace.action_view import ActionRequest
from workspace.actions import Actions
from workspace.agents import AgentRecord
from workspace.policy_file import default_policy
from workspace.vocabulary import ActionStatus, Role


@pytest.fixture
def pg() -> Iterator[Server]:
    with server() as made:
        yield made


def _sql(db: Database, statement: str, **params: object) -> list[tuple[object, ...]]:
    """Run one statement in its own transaction, as `db`'s login; its rows, if any."""
    with db.write.begin() as conn:
        result = conn.execute(text(statement), params)
        return [tuple(r) for r in result] if result.returns_rows else []


def _refused(db: Database, statement: str, **params: object) -> str:
    """Run a statement that the database must refuse for want of a privilege; its message."""
    with pytest.raises(DBAPIError) as caught:
        _sql(db, statement, **params)
    assert getattr(caught.value.orig, "sqlstate", None) == "42501", caught.value
    return str(caught.value.orig).splitlines()[0]


def _request(db: Database, agent: AgentRecord) -> int:
    """A 30.00 discount `agent` asks for, above their 25.00 limit: it waits for approval."""
    request = ActionRequest(
        kind="discount", customer_id="C-1", order_id="W1", amount="30", reason="two weeks late"
    )
    record = Actions(db, agent, default_policy(), lambda: NOW).take(request).record
    assert record.status == ActionStatus.REQUESTED
    return record.id


def _shop(pg: Server) -> None:
    add_customer(pg.db, "C-1", "Dana Whitfield", "standard")
    add_order(pg.db, "W1", placed=NOW - timedelta(days=10), delivered=NOW - timedelta(days=5))
    add_ticket(pg.db, "T-1")


def _status(pg: Server, action_id: int) -> str:
    rows = _sql(pg.db, "SELECT status FROM action WHERE id = :id", id=action_id)
    return str(rows[0][0])


def test_the_groups_speak_the_domains_words() -> None:
    assert tuple(Role) == WORKER_GROUPS
    assert [r for r in Role if r.approves] == [DECIDER]
    assert {REQUESTED, APPROVED, DENIED, WITHDRAWN, EXECUTED} == set(ActionStatus)


def test_each_schema_of_each_database_has_groups_of_its_own() -> None:
    require_postgres()
    assert group_prefix("team", "public") != group_prefix("team", "other")
    assert group_prefix("team", "public") != group_prefix("other", "public")
    with fresh_postgres_schema(PG_URL) as one, fresh_postgres_schema(PG_URL) as two:
        with one.read.connect() as a, two.read.connect() as b:
            first, second = stored_prefix(a), stored_prefix(b)
            database, schema = a.execute(text("SELECT current_database(), current_schema()")).one()
            names = a.execute(
                text("SELECT rolname FROM pg_roles WHERE rolname LIKE :p ORDER BY rolname"),
                {"p": f"{first}%"},
            ).scalars()
            assert first == group_prefix(database, schema)
        assert first is not None and second is not None and first != second
        assert sorted(names) == sorted(
            f"{first}_{w}" for w in ("agent", "senior", "supervisor", "trainer", "monitor", "admin")
        )


def test_the_migration_runs_again_and_back_without_harm(pg: Server) -> None:
    config = alembic_config()
    with pg.db.read.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0006")
    with pg.db.read.connect() as conn:
        assert stored_prefix(conn) is None
        gone = conn.execute(
            text("SELECT count(*) FROM pg_roles WHERE rolname LIKE :p"), {"p": f"{pg.prefix}%"}
        ).scalar_one()
    assert gone == 0
    _sql(pg.db, "DELETE FROM audit_entry")  # no trigger any more
    upgrade(pg.db.read)
    with pg.db.read.connect() as conn:
        assert stored_prefix(conn) == pg.prefix


def test_the_audit_log_is_append_only_even_for_its_owner(pg: Server) -> None:
    _shop(pg)
    sam = pg.agent("sam", "agent")
    _request(pg.open(sam.name), sam)
    admin = pg.open(pg.login("boss", "admin"))
    for who in (pg.db, admin, pg.open(sam.name)):  # the owner (a superuser), an admin, an agent
        for statement in (
            "UPDATE audit_entry SET actor = 'mallory'",
            "DELETE FROM audit_entry WHERE id = 1",
            "DELETE FROM audit_entry WHERE false",
            "TRUNCATE audit_entry",
        ):
            _refused(who, statement)
    assert "append-only" in _refused(pg.db, "DELETE FROM audit_entry")
    assert _sql(pg.db, "SELECT count(*) FROM audit_entry") == [(3,)]  # added, asked, verdict


def test_the_monitors_login_reads_every_table_and_writes_none(pg: Server) -> None:
    _shop(pg)
    monitor = pg.open(pg.login("wallboard", "monitor"))
    tables = [
        str(t)
        for (t,) in _sql(
            pg.db, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        )
    ]
    assert {"agent", "ticket", "action", "audit_entry", "policy_version", "change"} <= set(tables)
    for table in tables:
        (column,) = _sql(
            pg.db,
            "SELECT column_name FROM information_schema.columns WHERE table_name = :t "
            "AND table_schema = current_schema() ORDER BY ordinal_position LIMIT 1",
            t=table,
        )[0]
        _sql(monitor, f'SELECT * FROM "{table}" LIMIT 1')
        assert "permission denied" in _refused(monitor, f'INSERT INTO "{table}" DEFAULT VALUES')
        _refused(monitor, f'UPDATE "{table}" SET "{column}" = "{column}"')
        _refused(monitor, f'DELETE FROM "{table}"')
        _refused(monitor, f'TRUNCATE "{table}"')
    for (sequence,) in _sql(
        pg.db, "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()"
    ):
        _refused(monitor, f"SELECT nextval('{sequence}')")


def test_an_agents_login_writes_only_what_the_workspace_writes(pg: Server) -> None:
    _shop(pg)
    sam, alex = pg.agent("sam", "agent"), pg.agent("alex", "agent")
    as_sam = pg.open(sam.name)
    _sql(as_sam, "UPDATE ticket SET assigned_agent_id = :me WHERE id = 'T-1'", me=sam.id)
    _sql(as_sam, "UPDATE agent SET news_seen_at = now() WHERE id = :me", me=sam.id)
    _refused(as_sam, "UPDATE agent SET news_seen_at = now() WHERE id = :other", other=alex.id)
    _refused(as_sam, "UPDATE agent SET role = 'supervisor' WHERE id = :me", me=sam.id)
    _refused(as_sam, "INSERT INTO agent (name, display_name, role) VALUES ('x', 'X', 'agent')")
    _refused(as_sam, "INSERT INTO customer (id, name, tier) VALUES ('C-9', 'Eve', 'gold')")
    _refused(as_sam, "DELETE FROM ticket")
    _refused(as_sam, "UPDATE customer SET tier = 'gold'")
    _refused(as_sam, "DELETE FROM action")
    assert "in the name of" in _refused(
        as_sam,
        "INSERT INTO action (ref, kind, customer_id, agent_id, amount, currency, reason, "
        "verdict, rule, verdict_reason, outside_budget, policy_hash, status, requested_at) "
        "VALUES ('A-x', 'discount', 'C-1', :alex, 100, 'USD', 'r', 'allow', 'r', 'r', false, "
        "'h', 'executed', now())",
        alex=alex.id,
    )


def test_only_a_supervisor_decides_and_never_their_own_request_in_plain_sql(pg: Server) -> None:
    _shop(pg)
    sam, hana = pg.agent("sam", "agent"), pg.agent("hana", "supervisor")
    asked = _request(pg.open(sam.name), sam)
    own = _request(pg.open(hana.name), hana)
    decide = "UPDATE action SET status = :to, decided_by = :by, decided_at = now() WHERE id = :id"
    as_sam, as_hana = pg.open(sam.name), pg.open(hana.name)
    assert "only a supervisor decides" in _refused(as_sam, decide, to="approved", by=sam.id, id=own)
    _refused(as_sam, "UPDATE action SET status = 'executed' WHERE id = :id", id=asked)
    _refused(as_sam, "UPDATE action SET amount = 1 WHERE id = :id", id=asked)
    assert "their own request" in _refused(as_hana, decide, to="denied", by=hana.id, id=own)
    assert "own name" in _refused(as_hana, decide, to="approved", by=sam.id + 99, id=asked)
    assert (_status(pg, asked), _status(pg, own)) == ("requested", "requested")
    _sql(as_hana, decide, to="approved", by=hana.id, id=asked)
    assert _status(pg, asked) == "approved"
    _refused(as_hana, "UPDATE action SET status = 'requested' WHERE id = :id", id=asked)
    assert "withdraws" in _refused(
        as_sam, "UPDATE action SET status = 'withdrawn' WHERE id = :id", id=own
    )


def test_only_an_administrator_installs_the_policy_in_plain_sql(pg: Server) -> None:
    sam, hana = pg.agent("sam", "agent"), pg.agent("hana", "supervisor")
    insert = (
        "INSERT INTO policy_version (installed_at, installed_by, fingerprint, source, body) "
        "VALUES (now(), :by, 'f', 'p.yaml', 'version: 1')"
    )
    for login in (sam.name, hana.name, pg.login("wallboard", "monitor")):
        _refused(pg.open(login), insert, by=login)
    admin = pg.login("boss", "admin")
    _sql(pg.open(admin), insert, by=admin)
    assert _sql(pg.db, "SELECT installed_by FROM policy_version") == [(admin,)]
