"""Shared fixtures: a fresh database per test, on SQLite and (where it runs) PostgreSQL."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from storage.engine import Database, normalise_url
from storage.testing import copied_sqlite, fresh_postgres_schema, sqlite_template

# Times are shown in the local zone: tests see the same screen on every machine.
os.environ["TZ"] = "UTC"
time.tzset()

# The team's audit key, as a team sets it on every workspace: a database built for several
# tests (each with its own data directory) is sealed and verified with one key, and no test
# makes a key file in the user's own data directory. The tests of where a key comes from
# unset it.
TEST_AUDIT_KEY = "the-test-suite-audit-key"
os.environ["CAREDESK_AUDIT_KEY"] = TEST_AUDIT_KEY


@pytest.fixture(autouse=True)
def _own_data_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads or writes the user's own CareDesk data, nor takes its settings."""
    monkeypatch.setenv("CAREDESK_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    # One cache for the whole run of this process (a replay's empty world is made once).
    monkeypatch.setenv("CAREDESK_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    # Nor the user's config file: one that does not exist reads as empty.
    monkeypatch.setenv("CAREDESK_CONFIG", str(tmp_path_factory.getbasetemp() / "no-config.toml"))
    for name in (
        "CAREDESK_DB",
        "CAREDESK_AGENT",
        "CAREDESK_POLICY",
        "CAREDESK_KEYMAP",
        "CAREDESK_DELIVERY_URL",
        "CAREDESK_DELIVERY_SECRET",
        "CAREDESK_DELIVERY_TIMEOUT",
    ):
        monkeypatch.delenv(name, raising=False)
    for name in os.environ:
        if name.startswith("CAREDESK_DELIVERY_URL_"):
            monkeypatch.delenv(name)


PG_URL = os.environ.get("CAREDESK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
_pg_state: dict[str, str | None] = {}


def postgres_unavailable() -> str | None:
    """Why PostgreSQL cannot be used for tests, or None when it can (checked once)."""
    if "reason" not in _pg_state:
        try:
            engine = create_engine(normalise_url(PG_URL), connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
            _pg_state["reason"] = None
        except Exception as exc:  # noqa: BLE001 - any failure means "no server" here
            kind = exc.__class__.__name__
            _pg_state["reason"] = f"PostgreSQL at {PG_URL} is not reachable: {kind}"
    return _pg_state["reason"]


def require_postgres() -> None:
    """Skip (or, under CI, fail) when the test PostgreSQL server is missing."""
    reason = postgres_unavailable()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run)")
    pytest.skip(f"{reason}; set CAREDESK_TEST_PG to a server to run this test")


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once in this process; each test's database is a copy of it.
    The migrations themselves run from nothing in tests/storage/test_migrations.py."""
    return sqlite_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def sqlite_db(migrated_sqlite: Path, tmp_path: Path) -> Iterator[Database]:
    """A fresh, migrated SQLite database."""
    db = copied_sqlite(migrated_sqlite, tmp_path)
    yield db
    db.dispose()


@pytest.fixture
def pg_db() -> Iterator[Database]:
    """A fresh, migrated PostgreSQL schema on the test server."""
    require_postgres()
    with fresh_postgres_schema(PG_URL) as db:
        yield db


@contextmanager
def fresh_database(kind: str, template: Path, directory: Path) -> Iterator[Database]:
    """A fresh, migrated database of `kind` (`sqlite`: a copy of `template` in `directory`;
    `postgresql`: a schema of its own), disposed of afterwards."""
    if kind == "sqlite":
        database = copied_sqlite(template, directory)
        try:
            yield database
        finally:
            database.dispose()
    else:
        require_postgres()
        with fresh_postgres_schema(PG_URL) as database:
            yield database


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, migrated_sqlite: Path, tmp_path: Path) -> Iterator[Database]:
    """A fresh, migrated database of each kind CareDesk supports."""
    with fresh_database(request.param, migrated_sqlite, tmp_path) as database:
        yield database
