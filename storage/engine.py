"""Engines for SQLite (the embedded default) and PostgreSQL (a team's shared database)."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event, exc
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
class Reader:
    """A database opened for reading: every query runs in its own short transaction.

    What a read-only viewer (the supervisor's monitor) holds: it has no engine to write with.
    """

    url: str
    """The URL, with the psycopg driver named for PostgreSQL."""
    read: Engine
    """For queries."""

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


@dataclass(frozen=True)
class Database(Reader):
    """A database opened for work: `read` for queries, `write` for units of work."""

    write: Engine
    """The same pool as `read`, for units of work (BEGIN IMMEDIATE on SQLite)."""


#: Seconds a SQLite statement waits for another connection's lock before giving up.
BUSY_TIMEOUT = 10.0


def _configure_sqlite(engine: Engine, *, read_only: bool, busy_timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN, so writes can be IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if read_only:
            cursor.execute("PRAGMA query_only = ON")
        else:
            cursor.execute("PRAGMA journal_mode = WAL")
            # Money moves through this database: a committed transaction survives power loss.
            cursor.execute("PRAGMA synchronous = FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(IMMEDIATE):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


#: Seconds a pooled PostgreSQL connection may have lain unused before it is checked with a
#: round trip when taken from the pool again.
PING_AFTER = 1.0
_IDLE_FROM = "caredesk_idle_from"


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use when it has lain idle (`PING_AFTER`): one that
    died meanwhile (a restart, a dropped link) is replaced instead of failing the caller's
    first statement. SQLAlchemy's `pool_pre_ping` pings at every checkout, which doubles
    the round trips of a claim; a connection used a moment ago is alive or the caller's
    statement fails as it would had the server gone away mid-transaction."""

    @event.listens_for(engine, "connect")
    def _on_connect(_dbapi: Any, record: Any) -> None:
        record.info[_IDLE_FROM] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi: Any, record: Any) -> None:
        record.info[_IDLE_FROM] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi: Any, record: Any, _proxy: Any) -> None:
        idle_from = record.info.get(_IDLE_FROM)
        if idle_from is not None and time.monotonic() - idle_from < PING_AFTER:
            return
        try:
            if not engine.dialect.do_ping(dbapi):
                raise exc.DisconnectionError("the connection did not answer")
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(str(error)) from error


def _engine(parsed: URL, *, read_only: bool, echo: bool, busy_timeout: float) -> Engine:
    kwargs: dict[str, Any] = {"echo": echo}
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite and read_only:
        # The file itself is opened read-only (an SQLite URI with mode=ro), so not even a
        # statement that slipped past query_only could write.
        uri = f"file:{quote(str(Path(parsed.database or '').resolve()))}?mode=ro"
        kwargs["creator"] = lambda: sqlite3.connect(
            uri, uri=True, check_same_thread=False, timeout=busy_timeout
        )
    elif is_sqlite:
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": busy_timeout}
    elif read_only:
        # Added to the URL's own options (a search_path, say): connect_args would replace them.
        given = parsed.query.get("options", "")
        given = " ".join(given) if isinstance(given, tuple) else given
        kwargs["connect_args"] = {"options": f"{given} -c default_transaction_read_only=on".strip()}
    engine = create_engine(parsed, **kwargs)
    if is_sqlite:
        _configure_sqlite(engine, read_only=read_only, busy_timeout=busy_timeout)
    else:
        _ping_when_idle(engine)
    if not is_sqlite and read_only:
        # Every transaction is declared READ ONLY too, whatever the server's defaults say.
        engine = engine.execution_options(postgresql_readonly=True)
    return engine


def make_database(
    url: str | URL, *, echo: bool = False, busy_timeout: float = BUSY_TIMEOUT
) -> Database:
    """Build the engines for `url`; nothing connects until the first query.

    `busy_timeout` is how long SQLite waits on another connection's lock (PostgreSQL waits
    on row locks as long as they are held).
    """
    parsed = normalise_url(url)
    engine = _engine(parsed, read_only=False, echo=echo, busy_timeout=busy_timeout)
    write = engine.execution_options(**{IMMEDIATE: True})
    return Database(url=parsed.render_as_string(hide_password=False), read=engine, write=write)


def make_reader(
    url: str | URL, *, echo: bool = False, busy_timeout: float = BUSY_TIMEOUT
) -> Reader:
    """Open `url` read-only for real, with no engine that could write.

    SQLite opens the file with `mode=ro` (the file itself refuses writes) and `query_only`;
    PostgreSQL runs every transaction READ ONLY. Nothing connects until the first query.
    """
    parsed = normalise_url(url)
    shown = parsed.render_as_string(hide_password=False)
    engine = _engine(parsed, read_only=True, echo=echo, busy_timeout=busy_timeout)
    return Reader(url=shown, read=engine)
