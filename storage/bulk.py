"""Fast bulk inserts: chunked Core executemany, for demo data and large loads.

The ORM's unit of work tracks every object it adds, which is far too slow (and too
memory-hungry) for hundreds of thousands of rows. Here rows are plain dicts keyed by column
name, inserted with one compiled `INSERT` per chunk; the column types (`Money`,
`UTCDateTime`) still convert the values, so callers pass `Decimal` amounts and aware
datetimes exactly as they would to the ORM. Callers name tables by their table name, so the
workspace layer never touches a table class.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import islice
from typing import Any

from sqlalchemy import Connection, Table, exists, insert, or_, select, text
from sqlmodel import Session, SQLModel

from storage.engine import Database
from storage.models import Agent, Customer

#: PostgreSQL advisory-lock key that serialises loads into an empty database.
LOAD_LOCK = 7317002

#: Rows per executemany call: large enough to amortise the round trip, small enough that one
#: chunk of parameters stays a few megabytes.
CHUNK = 5_000

TableRef = str | Table | type[SQLModel]
"""A table given by its name (`"orders"`), as a `Table`, or as its SQLModel class."""


def _table(ref: TableRef) -> Table:
    """Resolve a table reference against the metadata every migration is built from."""
    if isinstance(ref, Table):
        return ref
    if isinstance(ref, str):
        try:
            return SQLModel.metadata.tables[ref]
        except KeyError:
            raise ValueError(f"no table called {ref!r}") from None
    table = getattr(ref, "__table__", None)
    if not isinstance(table, Table):
        raise TypeError(f"{ref!r} is not a table class")
    return table


def _connection(session_or_connection: Session | Connection) -> Connection:
    """The connection of the caller's transaction, so the rows commit (or roll back) with it."""
    if isinstance(session_or_connection, Session):
        return session_or_connection.connection()
    return session_or_connection


def has_data(session_or_connection: Session | Connection) -> bool:
    """Whether any customer or agent exists, seen inside the caller's transaction."""
    conn = _connection(session_or_connection)
    customer = Customer.__table__  # type: ignore[attr-defined]
    agent = Agent.__table__  # type: ignore[attr-defined]
    stmt = select(or_(exists().select_from(customer), exists().select_from(agent)))
    return bool(conn.execute(stmt).scalar())


def lock_for_load(session_or_connection: Session | Connection) -> None:
    """Serialise loads into an empty database until the caller's transaction ends.

    Two workspaces opening the same empty PostgreSQL database at once would both see it
    empty and both start filling it; with this lock the second waits, then sees the first
    one's rows. SQLite needs nothing: its write transactions start with BEGIN IMMEDIATE.
    """
    conn = _connection(session_or_connection)
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOAD_LOCK})


def is_empty(db: Database) -> bool:
    """True when the database has no customers and no agents (a first run, ready for data)."""
    with db.read.connect() as conn:
        try:
            return not has_data(conn)
        finally:
            conn.rollback()


def insert_rows(
    session_or_connection: Session | Connection,
    table: TableRef,
    rows: Iterable[Mapping[str, Any]],
    chunk: int = CHUNK,
) -> int:
    """Insert `rows` in chunks of `chunk` with Core executemany; returns how many were inserted.

    Every row of one call must have the same keys (executemany compiles the statement once).
    Values are Python values: the column types convert them. The rows join the caller's
    transaction; nothing is committed here. `rows` may be a generator, and only one chunk
    is held at a time.
    """
    if chunk < 1:
        raise ValueError("chunk must be at least 1")
    conn = _connection(session_or_connection)
    stmt = insert(_table(table))
    it = iter(rows)
    count = 0
    while batch := list(islice(it, chunk)):
        conn.execute(stmt, batch)
        count += len(batch)
    return count
