"""Engines for SQLite (the embedded default) and PostgreSQL (a team's shared database)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

#: Execution option that makes a SQLite transaction start with BEGIN IMMEDIATE.
IMMEDIATE = "caredesk_begin_immediate"


class UnsupportedDatabase(ValueError):
    """The URL names a database CareDesk does not run on (it runs on SQLite and PostgreSQL)."""


def normalise_url(url: str | URL) -> URL:
    """Map plain `postgresql://` URLs to the psycopg 3 driver that CareDesk ships with."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise UnsupportedDatabase("CareDesk needs a file: use sqlite:///path/to/file.db")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise UnsupportedDatabase(
            f"{parsed.get_backend_name()!r} is not supported: use sqlite:///path/to/file.db "
            "or postgresql://user@host/database"
        )
    return parsed


@dataclass(frozen=True)
class Database:
    """The engines of one database: `read` for queries, `write` for units of work."""

    url: str
    """The URL, with the psycopg driver named for PostgreSQL."""
    read: Engine
    """For queries: each read runs in its own short transaction."""
    write: Engine
    """The same pool, for units of work (BEGIN IMMEDIATE on SQLite)."""

    @property
    def safe_url(self) -> str:
        """The URL with any password hidden, for messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    @property
    def is_sqlite(self) -> bool:
        """Whether this is the embedded SQLite database."""
        return self.read.dialect.name == "sqlite"

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.read.dispose()


def _configure_sqlite(engine: Engine, *, read_only: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN, so writes can be IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 10000")
        cursor.execute("PRAGMA foreign_keys = ON")
        if not read_only:
            cursor.execute("PRAGMA journal_mode = WAL")
        # Money moves through this database: a committed transaction survives power loss.
        cursor.execute("PRAGMA synchronous = FULL")
        if read_only:
            cursor.execute("PRAGMA query_only = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(IMMEDIATE):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


def make_database(url: str | URL, *, read_only: bool = False, echo: bool = False) -> Database:
    """Build the engines for `url`; nothing connects until the first query."""
    parsed = normalise_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite:
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
    else:
        kwargs["pool_pre_ping"] = True
        if read_only:
            kwargs["connect_args"] = {"options": "-c default_transaction_read_only=on"}
    engine = create_engine(parsed, **kwargs)
    if is_sqlite:
        _configure_sqlite(engine, read_only=read_only)
    write = engine.execution_options(**{IMMEDIATE: True})
    return Database(url=parsed.render_as_string(hide_password=False), read=engine, write=write)
