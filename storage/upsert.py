"""Bulk data movement for import and export: id lookups and keyset streams.

Rows cross this module as plain dicts keyed by column name, so `workspace` never touches a
table class. The import's upserts are in `storage.bulk_upsert`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Literal

from sqlalchemy import Connection, Table, select
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
