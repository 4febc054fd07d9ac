"""The customer context's queries: profile, orders, contacts and the paged timeline."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Integer, Row, and_, func, literal, select, text, tuple_
from sqlmodel import Session, col

from storage import text_index
from storage.models import Customer, Interaction, Order, OrderItem, Ticket
from storage.types import UTCDateTime

#: Orders looked at for order events on the timeline (a customer's newest).
MAX_ORDERS = 500

OrderRows = tuple[Row[Any], Sequence[Row[Any]]]
"""An order's row and the rows of its items, in line order."""


#: The source number of an interaction in a timeline key (see `Before`).
INTERACTION_SOURCE = 0


class Before(Protocol):
    """A timeline entry's place, newest first (the workspace's timeline key is one)."""

    @property
    def at(self) -> datetime: ...
    @property
    def source(self) -> int:
        """Which kind of entry it is: at one moment, higher sources sort first."""

    @property
    def id(self) -> int | str: ...


def older(at: Any, ident: Any, before: Before, source: int) -> Any:
    """The keyset condition "older than `before`" for entries of `source` keyed by the
    columns (`at`, `ident`), newest first.

    At `before`'s moment a lower source's entries are all older and a higher source's none;
    the same source's are those of a lower id. The plain bound on `at` comes first in each
    case, so every database narrows an index on (..., at, id) by it.
    """
    bound = literal(before.at, UTCDateTime())
    if source < before.source:
        return at <= bound
    if source > before.source:
        return at < bound
    key = tuple_(bound, literal(before.id, Integer()))
    return and_(at <= bound, tuple_(at, ident) < key)


_CUSTOMER: tuple[Any, ...] = (
    col(Customer.id).label("id"),
    col(Customer.name).label("name"),
    col(Customer.email).label("email"),
    col(Customer.phone).label("phone"),
    col(Customer.tier).label("tier"),
    col(Customer.since).label("since"),
)
_ORDER: tuple[Any, ...] = (
    col(Order.id).label("id"),
    col(Order.customer_id).label("customer_id"),
    col(Order.placed_at).label("placed_at"),
    col(Order.status).label("status"),
    col(Order.promised_by).label("promised_by"),
    col(Order.delivered_at).label("delivered_at"),
    col(Order.total).label("total"),
    col(Order.refunded).label("refunded"),
)
_ITEM: tuple[Any, ...] = (
    col(OrderItem.order_id).label("order_id"),
    col(OrderItem.sku).label("sku"),
    col(OrderItem.name).label("name"),
    col(OrderItem.price).label("price"),
    col(OrderItem.quantity).label("quantity"),
)
_TICKET: tuple[Any, ...] = (
    col(Ticket.id).label("id"),
    col(Ticket.channel).label("channel"),
    col(Ticket.subject).label("subject"),
    col(Ticket.status).label("status"),
    col(Ticket.priority).label("priority"),
    col(Ticket.opened_at).label("opened_at"),
    col(Ticket.resolved_at).label("resolved_at"),
    col(Ticket.disposition).label("disposition"),
)
#: An interaction as the timeline shows it.
_INTERACTION: tuple[Any, ...] = (
    col(Interaction.id).label("id"),
    col(Interaction.at).label("at"),
    col(Interaction.kind).label("kind"),
    col(Interaction.channel).label("channel"),
    col(Interaction.direction).label("direction"),
    col(Interaction.subject).label("subject"),
    col(Interaction.text).label("text"),
    col(Interaction.author).label("author"),
    col(Interaction.ref).label("ref"),
    col(Interaction.ticket_id).label("ticket_id"),
)


def get_customer(session: Session, customer_id: str) -> Row[Any] | None:
    """The customer's profile, or None."""
    return session.execute(select(*_CUSTOMER).where(col(Customer.id) == customer_id)).first()


def customer_orders(session: Session, customer_id: str, limit: int = MAX_ORDERS) -> list[OrderRows]:
    """The customer's orders, newest first, each with its items."""
    orders = session.execute(
        select(*_ORDER)
        .where(col(Order.customer_id) == customer_id)
        .order_by(col(Order.placed_at).desc())
        .limit(limit)
    ).all()
    items: dict[str, list[Row[Any]]] = defaultdict(list)
    ids = [o.id for o in orders]
    if ids:
        for item in session.execute(
            select(*_ITEM)
            .where(col(OrderItem.order_id).in_(ids))
            .order_by(col(OrderItem.order_id), col(OrderItem.line))
        ):
            items[item.order_id].append(item)
    return [(o, items[o.id]) for o in orders]


def customer_tickets(session: Session, customer_id: str, limit: int = 20) -> Sequence[Row[Any]]:
    """The customer's contacts, newest first."""
    return session.execute(
        select(*_TICKET)
        .where(col(Ticket.customer_id) == customer_id)
        .order_by(col(Ticket.opened_at).desc())
        .limit(limit)
    ).all()


def interactions_since(
    session: Session, customer_id: str, since: datetime, limit: int = 50
) -> Sequence[Row[Any]]:
    """The customer's interactions at or after `since`, newest first."""
    stmt = (
        select(*_INTERACTION)
        .where(col(Interaction.customer_id) == customer_id, col(Interaction.at) >= since)
        .order_by(col(Interaction.at).desc(), col(Interaction.id).desc())
        .limit(limit)
    )
    return session.execute(stmt).all()


def count_interactions(session: Session, customer_id: str) -> int:
    """How many interactions the customer has."""
    stmt = select(func.count()).where(col(Interaction.customer_id) == customer_id)
    return int(session.execute(stmt).scalar_one())


def interactions_page(
    session: Session, customer_id: str, before: Before | None, limit: int
) -> Sequence[Row[Any]]:
    """Up to `limit` of the customer's interactions older than `before`, newest first.

    A keyset read over `ix_interaction_timeline`. `before` may be another source's key
    (an order event's, an action's): interactions at that same moment sort after it, so
    they are included.
    """
    stmt = select(*_INTERACTION).where(col(Interaction.customer_id) == customer_id)
    if before is not None:
        at, ident = col(Interaction.at), col(Interaction.id)
        stmt = stmt.where(older(at, ident, before, INTERACTION_SOURCE))
    stmt = stmt.order_by(col(Interaction.at).desc(), col(Interaction.id).desc()).limit(limit)
    return session.execute(stmt).all()


def search_history(
    session: Session, customer_id: str | None, query: str, limit: int = 200
) -> list[Row[Any]]:
    """The newest `limit` interactions matching every word of `query`, newest first.

    One customer's, or (with `customer_id` None) everyone's. The words and how they match
    are `storage.text_index`'s; so is the index each database answers from.
    """
    terms = text_index.terms_of(query)
    if not terms:
        return []
    if session.get_bind().dialect.name == "sqlite":
        sql = f"""
            SELECT {text_index.id_of_key_sql()} FROM {text_index.SQLITE_TABLE}
            WHERE {text_index.SQLITE_TABLE} MATCH :match ORDER BY rowid DESC LIMIT :limit"""
        params: dict[str, Any] = {
            "match": text_index.sqlite_match(terms, customer_id),
            "limit": limit,
        }
    else:
        where_customer = "AND customer_id = :customer" if customer_id is not None else ""
        sql = f"""
            SELECT id FROM interaction
            WHERE {text_index.PG_DOCUMENT} @@ to_tsquery('{text_index.PG_CONFIG}', :match)
                  {where_customer}
            ORDER BY at DESC, id DESC LIMIT :limit"""
        params = {"match": text_index.pg_tsquery(terms), "limit": limit}
        if customer_id is not None:
            params["customer"] = customer_id
    ids = [r[0] for r in session.execute(text(sql), params)]
    if not ids:
        return []
    rows = session.execute(select(*_INTERACTION).where(col(Interaction.id).in_(ids))).all()
    return sorted(rows, key=lambda r: (r.at, r.id), reverse=True)


def get_order(session: Session, order_id: str) -> OrderRows | None:
    """One order with its items, or None (one statement: a decision waits on it)."""
    rows = session.execute(
        select(*_ORDER, *_ITEM)
        .outerjoin(OrderItem, col(OrderItem.order_id) == col(Order.id))
        .where(col(Order.id) == order_id)
        .order_by(col(OrderItem.line))
    ).all()
    if not rows:
        return None
    # Each joined row holds the order's columns and one item's (an order without items
    # has one row with no item): the labels of the two do not overlap.
    return rows[0], [r for r in rows if r.sku is not None]
