"""The schema is migrated, never recreated: a first-schema database upgrades with its data."""

from __future__ import annotations

import warnings
from datetime import timedelta
from pathlib import Path

from sqlalchemy import inspect, text

from storage.customer_queries import search_history
from storage.engine import make_database
from storage.migrate import current_revision, head_revision, upgrade
from storage.testing import fresh_postgres_schema, fresh_sqlite
from storage.uow import read_session, unit_of_work
from tests.conftest import PG_URL, require_postgres
from tests.factories import NOW
from workspace.boot import migrate


def _fill_first_schema(db) -> None:
    """Rows as the first schema holds them, written in its own columns (the models are newer)."""
    at = NOW - timedelta(days=1)
    with unit_of_work(db) as s:
        s.execute(
            text("INSERT INTO customer (id, name, tier) VALUES ('C-1', 'Dana Whitfield', 'gold')")
        )
        s.execute(
            text(
                "INSERT INTO ticket (id, customer_id, channel, subject, status, active, priority,"
                " priority_rank, opened_at, sla_due_at, version) VALUES ('T-1', 'C-1', 'chat',"
                " 'Where is my order?', 'open', :yes, 'normal', 2, :at, :at, 0)"
            ),
            {"yes": True, "at": at},
        )
        s.execute(
            text(
                "INSERT INTO interaction (ref, customer_id, at, channel, direction, kind, text)"
                " VALUES ('I-1', 'C-1', :at, 'chat', 'inbound', 'message',"
                " 'The blender jug arrived cracked')"
            ),
            {"at": at},
        )


def _check_upgraded(db) -> None:
    assert current_revision(db.read) == head_revision()
    with read_session(db) as s:
        assert s.execute(text("SELECT count(*) FROM ticket")).scalar_one() == 1
        found = search_history(s, "C-1", "crack")
    assert [e.ref for e in found] == ["I-1"]


def test_sqlite_first_schema_upgrades_keeping_data(tmp_path: Path) -> None:
    db = fresh_sqlite(tmp_path, revision="0001")
    assert current_revision(db.read) == "0001"
    assert "interaction_search" not in inspect(db.read).get_table_names()
    _fill_first_schema(db)
    assert migrate(db) == "0001"
    _check_upgraded(db)
    assert migrate(db) is None  # already at head: nothing to do


def test_postgres_first_schema_upgrades_keeping_data() -> None:
    require_postgres()
    with fresh_postgres_schema(PG_URL, revision="0001") as db:
        _fill_first_schema(db)
        upgrade(db.read)
        _check_upgraded(db)


def test_empty_file_database_is_created_at_head(tmp_path: Path) -> None:
    db = make_database(f"sqlite:///{tmp_path / 'new.db'}")
    assert current_revision(db.read) is None
    assert migrate(db) == "empty"
    assert current_revision(db.read) == head_revision()
    with db.read.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_head_constant_is_the_newest_migration_script() -> None:
    from storage.migrate import HEAD, script_head

    assert script_head() == HEAD


def test_opening_a_current_database_does_not_import_alembic(tmp_path: Path) -> None:
    import subprocess
    import sys

    fresh_sqlite(tmp_path).dispose()
    code = (
        "import sys; from storage.engine import make_database; from workspace.boot import migrate;"
        f"db = make_database('sqlite:///{tmp_path / 'caredesk.db'}');"
        "assert migrate(db) is None; assert 'alembic' not in sys.modules, 'alembic was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


def _by_hand(name: str) -> bool:
    """Whether a table or index is the text index's, which migrations make by hand."""
    return "interaction_search" in name or name == "ix_interaction_at"


def _model_drift(db) -> list[object]:
    """What the migrated schema lacks or has beyond the models (the text index is by hand)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import storage.models  # noqa: F401 - registers the tables

    with db.write.connect() as conn, warnings.catch_warnings():
        # SQLite cannot reflect an index on an expression (the ids' `lower(id)`), so it is
        # left out there; PostgreSQL compares it, and the query-plan tests use it on both.
        warnings.filterwarnings("ignore", message=".*expression-based index")
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        drift = compare_metadata(context, SQLModel.metadata)
    return [
        d for d in drift if not (isinstance(d, tuple) and _by_hand(str(getattr(d[1], "name", ""))))
    ]


def test_migrations_build_exactly_the_models_on_sqlite(tmp_path: Path) -> None:
    db = fresh_sqlite(tmp_path)
    try:
        assert _model_drift(db) == []
    finally:
        db.dispose()


def test_migrations_build_exactly_the_models_on_postgres() -> None:
    require_postgres()
    with fresh_postgres_schema(PG_URL) as db:
        assert _model_drift(db) == []


def test_postgres_knows_the_spread_of_closing_times() -> None:
    """Without statistics on the closed index's expression, PostgreSQL read the whole ticket
    table to find the contacts closed after a moment (migration 0017)."""
    require_postgres()
    with fresh_postgres_schema(PG_URL, revision="0016") as db:
        query = text(
            "SELECT count(*) FROM pg_statistic_ext "
            "WHERE stxname = 'ticket_closed_at' AND stxnamespace = current_schema()::regnamespace"
        )
        with db.read.connect() as conn:
            assert conn.execute(query).scalar_one() == 0
        upgrade(db.read)
        with db.read.connect() as conn:
            assert conn.execute(query).scalar_one() == 1


def test_a_command_on_a_current_database_does_not_import_alembic(tmp_path: Path) -> None:
    """Half a second of every command's start, for an error no migration raised."""
    import subprocess
    import sys

    fresh_sqlite(tmp_path).dispose()
    code = (
        "import sys; from workspace.cli import main;"
        f"code = main(['--db', 'sqlite:///{tmp_path / 'caredesk.db'}', 'report', '--json']);"
        "assert code == 0, code; assert 'alembic' not in sys.modules, 'alembic was imported'"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=Path(__file__).parents[2], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
