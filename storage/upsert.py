"""Bulk data movement for import and export: upserts by source id, id lookups, keyset streams.

Rows cross this module as plain dicts keyed by column name, so `workspace` never touches a
table class. Upserts only rewrite a row when a value differs, which makes importing the same
file twice a true no-op (no version bumps, no index or text-index churn).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Literal

from sqlalchemy import Connection, Table, bindparam, delete, false, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from storage.models import Agent, Customer, Interaction, Order, OrderItem, Ticket

#: Ids per IN (...) query: under SQLite's oldest bound-parameter limit (999).
IN_CHUNK = 500

#: Rows per keyset page when streaming a table out (orders also look their items up by IN).
PAGE = IN_CHUNK

Kind = Literal["customer", "order", "ticket"]

_TABLES: dict[str, Table] = {
    "customer": Customer.__table__,  # type: ignore[attr-defined]
    "order": Order.__table__,  # type: ignore[attr-defined]
    "ticket": Ticket.__table__,  # type: ignore[attr-defined]
    "interaction": Interaction.__table__,  # type: ignore[attr-defined]
    "order_item": OrderItem.__table__,  # type: ignore[attr-defined]
    "agent": Agent.__table__,  # type: ignore[attr-defined]
}


def _chunks(values: Iterable[str], size: int = IN_CHUNK) -> Iterator[list[str]]:
    chunk: list[str] = []
    for value in values:
        chunk.append(value)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def existing_ids(session: Session, kind: Kind, ids: Iterable[str]) -> set[str]:
    """Which of `ids` are already stored as `kind` (chunked IN queries, so any set size works)."""
    table = _TABLES[kind]
    found: set[str] = set()
    for chunk in _chunks(set(ids)):
        found.update(session.execute(select(table.c.id).where(table.c.id.in_(chunk))).scalars())
    return found


def agent_ids(session: Session, names: Iterable[str]) -> dict[str, int]:
    """Database ids of the agents named in `names`; names nobody has are left out."""
    table = _TABLES["agent"]
    found: dict[str, int] = {}
    for chunk in _chunks(set(names)):
        rows = session.execute(select(table.c.name, table.c.id).where(table.c.name.in_(chunk)))
        found.update({name: agent_id for name, agent_id in rows})
    return found


def _upsert(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    key: Sequence[str],
    *,
    bump_version: bool = False,
    keep_if_null: Sequence[str] = (),
) -> None:
    """INSERT ... ON CONFLICT (key) DO UPDATE, executemany, only where some value differs.

    Every row must carry the same keys. With `bump_version`, a changed row's `version` goes up
    by one so anyone holding the old version (a claim, an open editor) sees it moved. A column
    in `keep_if_null` keeps its stored value when the row gives none.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect.name
    insert: sqlite.Insert | postgresql.Insert
    if dialect == "sqlite":
        insert = sqlite.insert(table)
    elif dialect == "postgresql":
        insert = postgresql.insert(table)
    else:  # pragma: no cover - CareDesk supports exactly these two
        raise NotImplementedError(f"no upsert for {dialect}")
    data = [c for c in rows[0] if c not in key and c != "version"]
    incoming = {
        c: func.coalesce(insert.excluded[c], table.c[c])
        if c in keep_if_null
        else insert.excluded[c]
        for c in data
    }
    set_: dict[str, Any] = dict(incoming)
    if bump_version:
        set_["version"] = table.c.version + 1
    changed = or_(false(), *(table.c[c].is_distinct_from(incoming[c]) for c in data))
    statement = insert.on_conflict_do_update(index_elements=list(key), set_=set_, where=changed)
    connection.execute(statement, list(rows))


def upsert_customers(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or update customers by `id`."""
    _upsert(session, _TABLES["customer"], rows, ("id",))


def upsert_orders(
    session: Session, orders: Sequence[tuple[dict[str, Any], Sequence[dict[str, Any]]]]
) -> None:
    """Insert or update orders by `id` and make each one's items exactly the ones given.

    Items are upserted by (order, line) and lines past the new count deleted, so an unchanged
    order keeps its item rows as they were.
    """
    if not orders:
        return
    _upsert(session, _TABLES["order"], [order for order, _ in orders], ("id",))
    item_table = _TABLES["order_item"]
    items = [item for _, order_items in orders for item in order_items]
    _upsert(session, item_table, items, ("order_id", "line"))
    trim = delete(item_table).where(
        item_table.c.order_id == bindparam("trim_order"),
        item_table.c.line > bindparam("trim_lines"),
    )
    session.connection().execute(
        trim, [{"trim_order": order["id"], "trim_lines": len(its)} for order, its in orders]
    )


def upsert_tickets(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or update tickets by `id`; a changed ticket's version goes up by one.

    A line that names no holder leaves the contact's current holder and claim alone: claims
    are made and released in the workspace, and a re-imported feed must not release them.
    """
    keep = ("assigned_agent_id", "claimed_at")
    _upsert(session, _TABLES["ticket"], rows, ("id",), bump_version=True, keep_if_null=keep)


def upsert_interactions(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or update interactions by their source id (`ref`); the integer id is kept."""
    _upsert(session, _TABLES["interaction"], rows, ("ref",))


def _keyset(connection: Connection, table: Table, key: str) -> Iterator[list[dict[str, Any]]]:
    """Pages of `table` in `key` order, each fetched by `key > last` over its unique index."""
    column = table.c[key]
    last: Any = None
    while True:
        statement = select(table).order_by(column).limit(PAGE)
        if last is not None:
            statement = statement.where(column > last)
        page = [dict(row._mapping) for row in connection.execute(statement)]
        if not page:
            return
        yield page
        last = page[-1][key]


def stream_customers(connection: Connection) -> Iterator[dict[str, Any]]:
    """Every customer, by id."""
    for page in _keyset(connection, _TABLES["customer"], "id"):
        yield from page


def stream_orders(connection: Connection) -> Iterator[dict[str, Any]]:
    """Every order by id, each with `items`: its item rows in line order."""
    item_table = _TABLES["order_item"]
    for page in _keyset(connection, _TABLES["order"], "id"):
        items: dict[str, list[dict[str, Any]]] = {order["id"]: [] for order in page}
        statement = (
            select(item_table)
            .where(item_table.c.order_id.in_(list(items)))
            .order_by(item_table.c.order_id, item_table.c.line)
        )
        for row in connection.execute(statement):
            items[row.order_id].append(dict(row._mapping))
        for order in page:
            yield {**order, "items": items[order["id"]]}


def stream_tickets(connection: Connection) -> Iterator[dict[str, Any]]:
    """Every ticket by id, with `assigned_to`: the holder's agent name (or None)."""
    agent = _TABLES["agent"]
    names = {
        agent_id: name for agent_id, name in connection.execute(select(agent.c.id, agent.c.name))
    }
    for page in _keyset(connection, _TABLES["ticket"], "id"):
        for ticket in page:
            yield {**ticket, "assigned_to": names.get(ticket["assigned_agent_id"])}


def stream_interactions(connection: Connection) -> Iterator[dict[str, Any]]:
    """Every interaction, by its source id (`ref`), which survives a round trip unlike `id`."""
    for page in _keyset(connection, _TABLES["interaction"], "ref"):
        yield from page
