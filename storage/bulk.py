"""Fast bulk inserts: chunked Core executemany, and a bulk loader for very large loads.

The ORM's unit of work tracks every object it adds, which is far too slow (and too
memory-hungry) for hundreds of thousands of rows. `insert_rows` takes plain dicts keyed by
column name and inserts them with one compiled `INSERT` per chunk; the column types
(`Money`, `UTCDateTime`) still convert the values, so callers pass `Decimal` amounts and
aware datetimes exactly as they would to the ORM. Callers name tables by their table name,
so the workspace layer never touches a table class.

For millions of rows even Core is too slow: `bulk_load` hands out a `BulkLoad` that writes
tuples with `COPY` (PostgreSQL) or raw executemany (SQLite) in the caller's transaction,
converting each value as its column type would, and can index history search in bulk.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from itertools import islice
from typing import Any

from sqlalchemy import Column, Connection, Date, Table, exists, insert, or_, select, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel

from storage import text_index
from storage.engine import Database
from storage.models import Agent, Customer
from storage.types import UTCDateTime

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


Row = Sequence[Any]
"""One row for `BulkLoad.write`: Python values in the order of the columns named."""
Converter = Callable[[Any], Any]

#: SQLite's page cache while a load runs, in KiB (restored afterwards): the indexes of
#: millions of rows stay in memory instead of being spilled and read back.
LOAD_CACHE_KIB = 262_144

#: Writes queued for the PostgreSQL writer thread before the producer waits: bounds memory.
QUEUE_DEPTH = 3

#: The FTS5 trigger that indexes each new interaction, and the GIN index (`text_index`).
FTS_TRIGGER = text_index.SQLITE_INSERT_TRIGGER
GIN_INDEX = text_index.PG_INDEX

#: Values a faster converter must convert as the column type does before it is used.
_TIME_PROBES = (
    datetime(2026, 3, 10, 15, 30, 12, 345678, tzinfo=UTC),
    datetime(2015, 1, 1, tzinfo=UTC),
)
_DATE_PROBES = (date(2026, 3, 10), date(999, 1, 2))


def _fast(column: Column[Any], dialect: Dialect, generic: Converter) -> Converter | None:
    """A faster equivalent of `generic` for the values a load converts by the million."""
    fast: Converter
    if isinstance(column.type, UTCDateTime):
        probes: tuple[date, ...] = _TIME_PROBES
        if dialect.name == "sqlite":

            def fast(v: Any) -> Any:
                return v.isoformat(" ", "microseconds")[:-6] if v.tzinfo is UTC else generic(v)
        else:

            def fast(v: Any) -> Any:
                return v.replace(tzinfo=None) if v.tzinfo is UTC else generic(v)
    elif dialect.name == "sqlite" and isinstance(column.type, Date):
        probes = _DATE_PROBES

        def fast(v: Any) -> Any:
            return v.isoformat() if type(v) is date else generic(v)
    else:
        return None
    return fast if all(fast(p) == generic(p) for p in probes) else None


def _converter(column: Column[Any], dialect: Dialect) -> Converter | None:
    """What `column`'s type does to a value before the driver gets it; None for nothing.

    The type's own bind processor is the reference. For aware UTC datetimes and SQLite
    dates a faster equivalent is used, once it has converted probes exactly as it does.
    """
    generic = column.type.dialect_impl(dialect).bind_processor(dialect)
    if generic is None:
        return None
    return _fast(column, dialect, generic) or generic


def row_converter(
    table: TableRef, columns: Sequence[str], dialect: Dialect
) -> Callable[[Row], Row]:
    """Turns a row of Python values into what the driver is given, as the column types do."""
    resolved = _table(table)
    steps = [
        (i, f) for i, name in enumerate(columns) if (f := _converter(resolved.c[name], dialect))
    ]

    def convert(row: Row) -> Row:
        values = list(row)
        for i, f in steps:
            value = values[i]
            if value is not None:
                values[i] = f(value)
        return values

    return convert if steps else list


Job = tuple[str, tuple[str, ...], Sequence[Row]]
Plan = tuple[str, Callable[[Row], Row], list[int]]


class BulkLoad:
    """Writes rows fast into the transaction of the connection it was made on.

    On PostgreSQL each `write` becomes a binary `COPY ... FROM STDIN` run by a writer
    thread (`in_background`), so the caller prepares the next rows while the server stores
    these: the server works in its own process, and psycopg releases the GIL while it
    waits on the socket. On SQLite it is a prepared executemany on the raw connection in
    the caller's thread: sqlite3 releases the GIL for every row, and a thread would spend
    the load waiting to get it back. Make one with `bulk_load`.
    """

    def __init__(self, conn: Connection) -> None:
        dialect = conn.dialect
        self._dialect = dialect
        self._raw: Any = conn.connection.driver_connection
        self.in_background = dialect.name == "postgresql"
        """Whether writes run while the caller carries on (else in the caller's thread)."""
        self._plans: dict[tuple[str, tuple[str, ...]], Plan] = {}
        self._error: BaseException | None = None
        self._jobs: queue.Queue[Job | None] | None = None
        self._thread: threading.Thread | None = None
        self._finishers: list[Callable[[], object]] = []
        self._cache: int | None = None
        self._fts_done: int | None = None
        """With the FTS5 trigger dropped: the last interaction id indexed so far."""
        self.finished = False
        if self.in_background:
            self._jobs = queue.Queue(QUEUE_DEPTH)
            self._thread = threading.Thread(target=self._drain, name="bulk-load", daemon=True)
            self._thread.start()

    def write(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        """Insert `rows` (Python values in the order of `columns`) into `table`.

        In the background (PostgreSQL) the rows are queued, and must not change afterwards;
        `finish` waits for them. A failure of an earlier write is raised here.
        """
        if self.finished:
            raise RuntimeError("this bulk load is finished")
        self._raise_failure()
        if not rows:
            return
        job = (table, tuple(columns), rows)
        if self._jobs is not None:
            self._jobs.put(job)
            return
        try:
            self._write(job)
        except self._dialect.loaded_dbapi.Error as error:
            raise self._wrapped(error) from error

    def finish(self) -> None:
        """Wait until every row is written, then build what was deferred (the text index)."""
        if self.finished:
            return
        self._stop()
        self.finished = True
        try:
            self._raise_failure()
            for finisher in self._finishers:
                finisher()
        except self._dialect.loaded_dbapi.Error as error:
            raise self._wrapped(error) from error
        finally:
            self._restore()

    def _stop(self) -> None:
        if self._jobs is not None and self._thread is not None:
            self._jobs.put(None)
            self._thread.join()
            self._jobs = None

    def _abandon(self) -> None:
        """Stop the writer without building anything: the caller's transaction rolls back."""
        self._error = self._error or RuntimeError("bulk load abandoned")
        self._stop()
        if not self.finished:
            self.finished = True
            self._restore()

    def _raise_failure(self) -> None:
        if self._error is not None:
            raise self._wrapped(self._error)

    def _wrapped(self, error: BaseException) -> BaseException:
        """A driver's error as SQLAlchemy's (`IntegrityError`...), as Core would raise it."""
        dbapi_error = self._dialect.loaded_dbapi.Error
        if isinstance(error, dbapi_error):
            wrapped = DBAPIError.instance("bulk load", None, error, dbapi_error)
            wrapped.__cause__ = error
            return wrapped
        return error

    def _drain(self) -> None:
        assert self._jobs is not None
        while (job := self._jobs.get()) is not None:
            if self._error is None:  # after a failure, only empty the queue
                try:
                    self._write(job)
                except BaseException as error:  # noqa: BLE001 - handed to the producer
                    self._error = error

    def _plan(self, table: str, columns: tuple[str, ...]) -> Plan:
        """The statement, the row converter and (for a binary COPY) the server's type oids."""
        if (table, columns) not in self._plans:
            names = ", ".join(columns)
            convert = row_converter(table, columns, self._dialect)
            if self.in_background:
                sql = (
                    "SELECT attname, atttypid::int FROM pg_attribute "
                    "WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped"
                )
                oids = dict(self._raw.execute(sql, (table,)).fetchall())
                copy = f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)"
                plan = (copy, convert, [oids[name] for name in columns])
            else:
                marks = ", ".join("?" * len(columns))
                plan = (f"INSERT INTO {table} ({names}) VALUES ({marks})", convert, [])
            self._plans[table, columns] = plan
        return self._plans[table, columns]

    def _write(self, job: Job) -> None:
        table, columns, rows = job
        sql, convert, types = self._plan(table, columns)
        if not self.in_background:
            self._raw.executemany(sql, map(convert, rows))
            if table == "interaction" and self._fts_done is not None:
                self._index_new_interactions()
            return
        with self._raw.cursor() as cursor, cursor.copy(sql) as copy:
            copy.set_types(types)
            for row in rows:
                copy.write_row(convert(row))

    def _prepare(self, defer_text_index: bool) -> None:
        """Set the connection up for the load (see `bulk_load`)."""
        raw = self._raw
        if self._dialect.name == "sqlite":
            self._cache = int(raw.execute("PRAGMA cache_size").fetchone()[0])
            raw.execute(f"PRAGMA cache_size = {-LOAD_CACHE_KIB}")
        if not defer_text_index:
            return
        if raw.execute("SELECT 1 FROM interaction LIMIT 1").fetchone() is not None:
            raise ValueError("the text index is only deferred for a load into an empty table")
        if self._dialect.name == "sqlite":
            sql = "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?"
            trigger = raw.execute(sql, (FTS_TRIGGER,)).fetchone()
            if trigger is not None:
                raw.execute(f"DROP TRIGGER {FTS_TRIGGER}")
                self._fts_done = 0
                self._finishers.append(lambda: raw.execute(trigger[0]))
        else:
            sql = "SELECT pg_get_indexdef(to_regclass(%s))"
            index = raw.execute(sql, (GIN_INDEX,)).fetchone()
            if index is not None and index[0] is not None:
                raw.execute(f"DROP INDEX {GIN_INDEX}")
                self._finishers.append(lambda: raw.execute(index[0]))

    def _index_new_interactions(self) -> None:
        """What the dropped trigger would have done for the rows just written, in one go.

        Row by row, through the trigger, the FTS5 index takes several times longer.
        """
        raw, done = self._raw, self._fts_done or 0
        last = raw.execute("SELECT max(id) FROM interaction").fetchone()[0]
        if last is None or last <= done:
            return
        if last >= text_index.ID_LIMIT:
            raise ValueError(text_index.TOO_MANY)
        raw.execute(text_index.fill_sql(), (done + 1,))
        self._fts_done = last

    def _restore(self) -> None:
        if self._cache is not None:
            self._raw.execute(f"PRAGMA cache_size = {self._cache}")
            self._cache = None


@contextmanager
def bulk_load(
    session_or_connection: Session | Connection, *, defer_text_index: bool = False
) -> Iterator[BulkLoad]:
    """A `BulkLoad` on the caller's transaction; every row is written when the block ends.

    With `defer_text_index` the `interaction` table must be empty, and the history search
    index is built in bulk instead of row by row, which is several times faster: on SQLite
    the FTS5 insert trigger is dropped for the load, each write's rows are indexed in one
    statement, and the trigger is recreated from its own SQL at the end; on PostgreSQL the
    GIN index is dropped and recreated from its own definition. That is DDL inside the caller's
    transaction (and on PostgreSQL it locks `interaction` until the commit): if the block
    raises, the caller must roll back, as `unit_of_work` does, which restores both.
    On SQLite the page cache is enlarged for the load and restored afterwards; durability
    settings are left alone.
    """
    load = BulkLoad(_connection(session_or_connection))
    try:
        load._prepare(defer_text_index)
        yield load
        load.finish()
    except BaseException:
        load._abandon()
        raise
