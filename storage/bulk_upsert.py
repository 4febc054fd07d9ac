"""Fast upserts for `caredesk import`: prepared SQL on the transaction's own DBAPI connection.

The same upserts as `storage.upsert` (by source id, a row rewritten only where a value differs,
a changed ticket's version moved, a missing holder kept), without compiling a statement per
row: SQLite gets one prepared `INSERT ... ON CONFLICT DO UPDATE` run by `executemany`;
PostgreSQL gets `COPY` into a temporary staging table, then one `INSERT ... SELECT ... ON
CONFLICT DO UPDATE` per table. Values are converted here exactly as the column types of
`storage.types` convert them (money to whole cents, times to naive UTC).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any, cast

from sqlmodel import Session

from storage import lookup_keys, text_index
from storage.money import to_money

Row = dict[str, Any]

#: SQLite's page cache while an import writes, in KiB: big tables' indexes stay in memory.
SQLITE_CACHE_KIB = 256 * 1024

#: Stands in for the text index's update trigger while an import runs (SQLite).
IMPORT_UPDATE_TRIGGER = "interaction_search_import_update"


def _cents(value: Decimal) -> int:
    return int(to_money(value) * 100)


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetimes are refused: give a timezone")
    return value.astimezone(UTC).replace(tzinfo=None)


def _sqlite_time(value: datetime) -> str:
    """The text SQLAlchemy's SQLite DATETIME stores, so stored and imported values compare."""
    return _naive_utc(value).isoformat(" ", "microseconds")


def _sqlite_date(value: date) -> str:
    return value.isoformat()


@dataclass(frozen=True)
class _Spec:
    """How one table is upserted."""

    table: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    times: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    money: tuple[str, ...] = ()
    bools: tuple[str, ...] = ()
    bump_version: bool = False
    keep_if_null: tuple[str, ...] = ()


AGENT = _Spec(
    "agent",
    ("name",),
    ("name", "display_name", "role", "email", "active"),
    bools=("active",),
)
CUSTOMER = _Spec(
    "customer",
    ("id",),
    ("id", "name", "email", "phone", "tier", "since", *lookup_keys.KEY_COLUMNS),
    dates=("since",),
)
ORDER = _Spec(
    "orders",
    ("id",),
    ("id", "customer_id", "placed_at", "status", "promised_by", "delivered_at", "total"),
    times=("placed_at", "delivered_at"),
    dates=("promised_by",),
    money=("total",),
)
ORDER_ITEM = _Spec(
    "order_item",
    ("order_id", "line"),
    ("order_id", "line", "sku", "name", "price", "quantity"),
    money=("price",),
)
TICKET = _Spec(
    "ticket",
    ("id",),
    (
        "id",
        "customer_id",
        "channel",
        "subject",
        "status",
        "active",
        "priority",
        "priority_rank",
        "opened_at",
        "sla_due_at",
        "assigned_agent_id",
        "claimed_at",
        "first_response_at",
        "resolved_at",
        "disposition",
        "reopened",
        "handle_seconds",
        "parked_at",
        "version",
    ),
    times=(
        "opened_at",
        "sla_due_at",
        "claimed_at",
        "first_response_at",
        "resolved_at",
        "parked_at",
    ),
    bools=("active",),
    bump_version=True,
    keep_if_null=("assigned_agent_id", "claimed_at", "parked_at"),
)
INTERACTION = _Spec(
    "interaction",
    ("ref",),
    (
        "ref",
        "customer_id",
        "ticket_id",
        "at",
        "channel",
        "direction",
        "kind",
        "subject",
        "text",
        "author",
    ),
    times=("at",),
)
SURVEY = _Spec(
    "survey",
    ("id",),
    ("id", "ticket_id", "at", "csat", "ces", "nps", "comment"),
    times=("at",),
)
SPECS = (AGENT, CUSTOMER, ORDER, ORDER_ITEM, TICKET, INTERACTION, SURVEY)


def _converter(spec: _Spec, sqlite: bool) -> Callable[[Row], Sequence[Any]]:
    """Row dict to the column values the driver takes, in the order of `spec.columns`."""
    get = itemgetter(*spec.columns)
    by_kind: list[tuple[tuple[str, ...], Callable[[Any], Any]]] = [
        (spec.times, _sqlite_time if sqlite else _naive_utc),
        (spec.money, _cents),
    ]
    if sqlite:
        by_kind += [(spec.dates, _sqlite_date), (spec.bools, int)]
    convert = [(spec.columns.index(c), fn) for cols, fn in by_kind for c in cols]
    if not convert:
        return get

    def values(row: Row) -> list[Any]:
        out = list(get(row))
        for i, fn in convert:
            value = out[i]
            if value is not None:
                out[i] = fn(value)
        return out

    return values


def _upsert_sql(spec: _Spec, source: str, sqlite: bool) -> str:
    """INSERT ... ON CONFLICT (key) DO UPDATE, only where some value differs."""
    t = spec.table
    data = [c for c in spec.columns if c not in spec.key and c != "version"]
    incoming = {
        c: f"coalesce(excluded.{c}, {t}.{c})" if c in spec.keep_if_null else f"excluded.{c}"
        for c in data
    }
    sets = [f"{c} = {incoming[c]}" for c in data]
    if spec.bump_version:
        sets.append(f"version = {t}.version + 1")
    distinct = "IS NOT" if sqlite else "IS DISTINCT FROM"
    changed = " OR ".join(f"{t}.{c} {distinct} {incoming[c]}" for c in data)
    return (
        f"INSERT INTO {t} ({', '.join(spec.columns)}) {source} "
        f"ON CONFLICT ({', '.join(spec.key)}) DO UPDATE SET {', '.join(sets)} WHERE {changed}"
    )


class BulkUpserter:
    """Upserts chunks of import rows inside the session's transaction."""

    def __init__(self, session: Session) -> None:
        connection = session.connection()
        self._sqlite = connection.dialect.name == "sqlite"
        self._dbapi: Any = cast(Any, connection.connection.driver_connection)  # sqlite3, psycopg
        self._staged: set[str] = set()
        self._convert = {spec.table: _converter(spec, self._sqlite) for spec in SPECS}
        self._cache_was: int | None = None
        self._triggers: list[str] = []
        self._first_new_id = 0
        if self._sqlite:
            self._cache_was = self._dbapi.execute("PRAGMA cache_size").fetchone()[0]
            self._dbapi.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
            self._suspend_text_index()

    def _suspend_text_index(self) -> None:
        """Index the interactions this import inserts in one statement at the end (SQLite).

        FTS5 fed row by row from a trigger costs about ten times a single bulk insert. The
        triggers are replaced inside this transaction only (DDL is transactional in SQLite and
        the write lock is held), so a rollback, or any other connection, sees them unchanged.
        Updates of rows that were indexed before the import still go through a trigger.
        """
        db = self._dbapi
        names = (text_index.SQLITE_INSERT_TRIGGER, text_index.SQLITE_UPDATE_TRIGGER)
        self._triggers = [
            sql
            for (sql,) in db.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name IN (?, ?) "
                "ORDER BY name",
                names,
            )
        ]
        if len(self._triggers) != 2:  # pragma: no cover - a schema without the text index
            self._triggers = []
            return
        (last,) = db.execute("SELECT coalesce(max(id), 0) FROM interaction").fetchone()
        self._first_new_id = int(last) + 1
        for name in names:
            db.execute(f"DROP TRIGGER {name}")
        # Rows indexed before the import are re-indexed when they change, as the dropped
        # update trigger would; rows of this import are indexed once, at the end.
        table, key, token = (
            text_index.SQLITE_TABLE,
            text_index.key_sql,
            text_index.customer_token_sql,
        )
        db.execute(
            f"CREATE TRIGGER {IMPORT_UPDATE_TRIGGER} AFTER UPDATE OF at, customer_id, subject, "
            f"text ON interaction WHEN old.id < {self._first_new_id} BEGIN "
            f"INSERT INTO {table}({table}, rowid, subject, text, customer) VALUES "
            f"('delete', {key('old')}, old.subject, old.text, {token('old')}); "
            f"INSERT INTO {table}(rowid, subject, text, customer) VALUES "
            f"({key('new')}, new.subject, new.text, {token('new')}); END"
        )

    def finish(self) -> None:
        """Complete what was deferred (SQLite's text index) before the transaction commits."""
        if not self._triggers:
            return
        db = self._dbapi
        (last,) = db.execute("SELECT coalesce(max(id), 0) FROM interaction").fetchone()
        if int(last) >= text_index.ID_LIMIT:
            raise ValueError(text_index.TOO_MANY)
        db.execute(text_index.fill_sql(), (self._first_new_id,))
        db.execute(f"DROP TRIGGER {IMPORT_UPDATE_TRIGGER}")
        for sql in self._triggers:
            db.execute(sql)
        self._triggers = []

    def close(self) -> None:
        """Give SQLite its usual page cache back (the connection returns to the pool)."""
        if self._cache_was is not None:
            self._dbapi.execute(f"PRAGMA cache_size = {int(self._cache_was)}")
            self._cache_was = None

    def agents(self, rows: Sequence[Row]) -> None:
        """Insert or update agents by login name (`name`); the database id is kept."""
        self._upsert(AGENT, rows)

    def customers(self, rows: Sequence[Row]) -> None:
        """Insert or update customers by `id`, with the keys a lookup finds them by."""
        self._upsert(CUSTOMER, [lookup_keys.with_keys(row) for row in rows])

    def orders(self, orders: Sequence[tuple[Row, Sequence[Row]]]) -> None:
        """Insert or update orders by `id` and make each one's items exactly the ones given.

        Items are upserted by (order, line) and lines past the new count deleted, so an
        unchanged order keeps its item rows as they were.
        """
        if not orders:
            return
        self._upsert(ORDER, [order for order, _ in orders])
        self._upsert(ORDER_ITEM, [item for _, items in orders for item in items])
        self._trim_items([(order["id"], len(items)) for order, items in orders])

    def tickets(self, rows: Sequence[Row]) -> None:
        """Insert or update tickets by `id`; a changed ticket's version goes up by one.

        A line that names no holder leaves the contact's current holder and claim alone, and
        one that says nothing of parking leaves a parked contact parked.
        """
        self._upsert(TICKET, rows)

    def interactions(self, rows: Sequence[Row]) -> None:
        """Insert or update interactions by their source id (`ref`); the integer id is kept."""
        self._upsert(INTERACTION, rows)

    def surveys(self, rows: Sequence[Row]) -> None:
        """Insert or update survey answers by `id`."""
        self._upsert(SURVEY, rows)

    def _upsert(self, spec: _Spec, rows: Sequence[Row]) -> None:
        """Insert or update `rows` of `spec`'s table by its key."""
        if not rows:
            return
        values = list(map(self._convert[spec.table], rows))
        if self._sqlite:
            placeholders = ", ".join("?" for _ in spec.columns)
            sql = _upsert_sql(spec, f"VALUES ({placeholders})", sqlite=True)
            self._dbapi.executemany(sql, values)
            return
        stage = f"import_stage_{spec.table}"
        columns = ", ".join(spec.columns)
        with self._dbapi.cursor() as cursor:
            if stage not in self._staged:
                cursor.execute(
                    f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS "
                    f"SELECT {columns} FROM {spec.table} WITH NO DATA"
                )
                self._staged.add(stage)
            with cursor.copy(f"COPY {stage} ({columns}) FROM STDIN") as copy:
                for value in values:
                    copy.write_row(value)
            cursor.execute(_upsert_sql(spec, f"SELECT {columns} FROM {stage}", sqlite=False))
            cursor.execute(f"TRUNCATE {stage}")

    def _trim_items(self, lines: Sequence[tuple[str, int]]) -> None:
        """Delete each order's item rows past its line count, given as (order id, count)."""
        if self._sqlite:
            sql = "DELETE FROM order_item WHERE order_id = ? AND line > ?"
            self._dbapi.executemany(sql, lines)
            return
        with self._dbapi.cursor() as cursor:
            cursor.execute(
                "DELETE FROM order_item i USING unnest(%s::text[], %s::int[]) AS t(id, n) "
                "WHERE i.order_id = t.id AND i.line > t.n",
                ([order for order, _ in lines], [n for _, n in lines]),
            )
