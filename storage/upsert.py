"""Bulk data movement for import and export: id lookups, keyset streams, and the writes of
CareDesk's own records (holds, actions, deliveries, shipments, follow-ups, policy versions,
team settings, the audit log, and what executed refunds gave back on orders).

Rows cross this module as plain dicts keyed by column name, so `workspace` never touches a
table class. The import's upserts are in `storage.bulk_upsert`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import Connection, Table, bindparam, insert, select, text, true, update
from sqlmodel import Session

from storage.models import (
    Action,
    Agent,
    AuditEntry,
    ContactHold,
    Customer,
    Delivery,
    FollowUp,
    Interaction,
    Order,
    OrderItem,
    PolicyVersion,
    Shipment,
    Survey,
    TeamSetting,
    Ticket,
)

#: Ids per IN (...) query: under SQLite's oldest bound-parameter limit (999).
IN_CHUNK = 500

#: Rows per keyset page when streaming a table out (orders also look their items up by IN).
PAGE = IN_CHUNK

Kind = Literal["customer", "order", "ticket"]

Recorded = Literal[
    "contact_hold",
    "action",
    "delivery",
    "shipment",
    "follow_up",
    "policy_version",
    "team_setting",
    "audit_entry",
]
"""CareDesk's own records that keep their ids from one database to the next."""

_TABLES: dict[str, Table] = {
    "customer": Customer.__table__,  # type: ignore[attr-defined]
    "order": Order.__table__,  # type: ignore[attr-defined]
    "ticket": Ticket.__table__,  # type: ignore[attr-defined]
    "interaction": Interaction.__table__,  # type: ignore[attr-defined]
    "order_item": OrderItem.__table__,  # type: ignore[attr-defined]
    "agent": Agent.__table__,  # type: ignore[attr-defined]
    "survey": Survey.__table__,  # type: ignore[attr-defined]
    "action": Action.__table__,  # type: ignore[attr-defined]
    "policy_version": PolicyVersion.__table__,  # type: ignore[attr-defined]
    "team_setting": TeamSetting.__table__,  # type: ignore[attr-defined]
    "audit_entry": AuditEntry.__table__,  # type: ignore[attr-defined]
    "contact_hold": ContactHold.__table__,  # type: ignore[attr-defined]
    "delivery": Delivery.__table__,  # type: ignore[attr-defined]
    "shipment": Shipment.__table__,  # type: ignore[attr-defined]
    "follow_up": FollowUp.__table__,  # type: ignore[attr-defined]
}

#: Where an import looks for CareDesk's own records, in the order it names the first one.
#: Holds are looked for apart (`first_hold`): an import starts them for held contacts.
RECORDED: tuple[Recorded, ...] = (
    "action",
    "delivery",
    "shipment",
    "follow_up",
    "policy_version",
    "team_setting",
    "audit_entry",
)


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


def holders(session: Session, ticket_ids: Iterable[str]) -> dict[str, str]:
    """The login name of whoever holds each of `ticket_ids` that is active and held."""
    ticket, agent = _TABLES["ticket"], _TABLES["agent"]
    found: dict[str, str] = {}
    for chunk in _chunks(set(ticket_ids)):
        rows = session.execute(
            select(ticket.c.id, agent.c.name)
            .join(agent, agent.c.id == ticket.c.assigned_agent_id)
            .where(ticket.c.id.in_(chunk), ticket.c.active == true())
        )
        found.update({ticket_id: name for ticket_id, name in rows})
    return found


def existing_refs(session: Session, refs: Iterable[str]) -> set[str]:
    """Which of `refs` (the source ids of interactions) are already stored."""
    table = _TABLES["interaction"]
    found: set[str] = set()
    for chunk in _chunks(set(refs)):
        found.update(session.execute(select(table.c.ref).where(table.c.ref.in_(chunk))).scalars())
    return found


def parked_since(session: Session, ticket_ids: Iterable[str], status: str) -> dict[str, datetime]:
    """When each of `ticket_ids` that is parked (in `status`, with a parking time) was parked."""
    ticket = _TABLES["ticket"]
    found: dict[str, datetime] = {}
    for chunk in _chunks(set(ticket_ids)):
        rows = session.execute(
            select(ticket.c.id, ticket.c.parked_at).where(
                ticket.c.id.in_(chunk), ticket.c.status == status, ticket.c.parked_at.is_not(None)
            )
        )
        found.update({ticket_id: parked_at for ticket_id, parked_at in rows})
    return found


def first_recorded(session: Session) -> tuple[Recorded, int] | None:
    """The first of CareDesk's own records in the database, as (table, id); None when it
    holds none (the only database an `export --all` file goes into)."""
    for name in RECORDED:
        table = _TABLES[name]
        first = session.execute(select(table.c.id).order_by(table.c.id).limit(1)).scalar()
        if first is not None:
            return name, int(first)
    return None


def first_hold(session: Session) -> int | None:
    """The id of the first hold in the database; None when it holds none."""
    table = _TABLES["contact_hold"]
    first = session.execute(select(table.c.id).order_by(table.c.id).limit(1)).scalar()
    return None if first is None else int(first)


def insert_recorded(session: Session, name: Recorded, rows: Sequence[dict[str, Any]]) -> None:
    """Insert CareDesk's own records as they were, ids included (see `restart_ids`)."""
    if rows:
        session.execute(insert(_TABLES[name]), list(rows))


def restart_ids(session: Session, names: Iterable[Recorded]) -> None:
    """Let new rows of `names` number on after the ids inserted as they were (PostgreSQL's
    sequences do not see them; SQLite numbers on from the largest id by itself)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for name in names:
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"coalesce(max(id), 0) + 1, false) FROM {name}"
            )
        )


_NEWS = (
    update(_TABLES["agent"])
    .where(_TABLES["agent"].c.name == bindparam("agent_name"))
    .values(news_seen_at=bindparam("seen"))
)


def set_news_seen(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Set `news_seen_at` of each agent named (`name`, `news_seen_at`)."""
    if rows:
        params = [{"agent_name": r["name"], "seen": r["news_seen_at"]} for r in rows]
        session.execute(_NEWS, params)


_REFUNDED = (
    update(_TABLES["order"])
    .where(_TABLES["order"].c.id == bindparam("order_id"))
    .values(refunded=bindparam("amount"))
)


def set_refunded(session: Session, refunded: dict[str, Decimal]) -> None:
    """Set what was given back on each order (`refunded`), by order id."""
    if refunded:
        params = [{"order_id": order, "amount": amount} for order, amount in refunded.items()]
        session.execute(_REFUNDED, params)


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


def _agent_names(connection: Connection) -> dict[int, str]:
    """Every agent's login name by database id (a team is dozens to a few hundred people)."""
    agent = _TABLES["agent"]
    return {
        agent_id: name for agent_id, name in connection.execute(select(agent.c.id, agent.c.name))
    }


def stream_agents(connection: Connection) -> Iterator[dict[str, Any]]:
    """Every agent, in the order they were added (database id)."""
    for page in _keyset(connection, _TABLES["agent"], "id"):
        yield from page


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
    names = _agent_names(connection)
    for page in _keyset(connection, _TABLES["ticket"], "id"):
        for ticket in page:
            yield {**ticket, "assigned_to": names.get(ticket["assigned_agent_id"])}


def stream_interactions(connection: Connection) -> Iterator[dict[str, Any]]:
    """Every interaction, by its source id (`ref`), which survives a round trip unlike `id`."""
    for page in _keyset(connection, _TABLES["interaction"], "ref"):
        yield from page


def stream_surveys(connection: Connection) -> Iterator[dict[str, Any]]:
    """Every survey answer, by id."""
    for page in _keyset(connection, _TABLES["survey"], "id"):
        yield from page


#: CareDesk's own records that name agents by database id.
_NAMING = ("action", "contact_hold", "follow_up")


def stream_recorded(connection: Connection, name: Recorded) -> Iterator[dict[str, Any]]:
    """Every row of one of CareDesk's own tables, by id (the audit log in chain order).

    Actions come with `agent` and `decider`: the login names of who asked and who decided;
    holds with `agent`, the login name of who held the contact; follow-ups with `owner`,
    `creator` and `finisher`: the login names of who owns it (None: the team), who made
    it and who did it (None: nobody, or not yet).
    """
    names = _agent_names(connection) if name in _NAMING else {}
    for page in _keyset(connection, _TABLES[name], "id"):
        for row in page:
            if name in ("action", "contact_hold"):
                row["agent"] = names[row["agent_id"]]
            if name == "action":
                row["decider"] = names.get(row["decided_by"])
            elif name == "follow_up":
                row["owner"] = names.get(row["owner_id"])
                row["creator"] = names[row["created_by"]]
                row["finisher"] = names.get(row["done_by"])
            yield row
