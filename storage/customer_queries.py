"""The customer context's queries: profile, orders, contacts and the paged timeline."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, func, literal, select, text, tuple_
from sqlmodel import Session, col

from storage import text_index
from storage.models import Customer, Interaction, Order, OrderItem, Ticket
from storage.records import (
    CustomerRecord,
    OrderItemRecord,
    OrderRecord,
    TicketRecord,
    TimelineKey,
    TimelineRecord,
)
from storage.types import UTCDateTime

#: Orders looked at for order events on the timeline (a customer's newest).
MAX_ORDERS = 500


def get_customer(session: Session, customer_id: str) -> CustomerRecord | None:
    """The customer's profile, or None."""
    c = session.get(Customer, customer_id)
    if c is None:
        return None
    return CustomerRecord(
        id=c.id, name=c.name, email=c.email, phone=c.phone, tier=c.tier, since=c.since
    )


def customer_orders(
    session: Session, customer_id: str, limit: int = MAX_ORDERS
) -> list[OrderRecord]:
    """The customer's orders, newest first, with their items."""
    orders = session.execute(
        select(Order)
        .where(col(Order.customer_id) == customer_id)
        .order_by(col(Order.placed_at).desc())
        .limit(limit)
    ).all()
    items: dict[str, list[OrderItemRecord]] = defaultdict(list)
    ids = [o[0].id for o in orders]
    if ids:
        for it in session.execute(
            select(OrderItem)
            .where(col(OrderItem.order_id).in_(ids))
            .order_by(col(OrderItem.order_id), col(OrderItem.line))
        ).all():
            row = it[0]
            items[row.order_id].append(
                OrderItemRecord(sku=row.sku, name=row.name, price=row.price, quantity=row.quantity)
            )
    return [
        OrderRecord(
            id=o.id,
            customer_id=o.customer_id,
            placed_at=o.placed_at,
            status=o.status,
            promised_by=o.promised_by,
            delivered_at=o.delivered_at,
            total=o.total,
            items=tuple(items[o.id]),
        )
        for (o,) in orders
    ]


def customer_tickets(session: Session, customer_id: str, limit: int = 20) -> list[TicketRecord]:
    """The customer's contacts, newest first."""
    rows = session.execute(
        select(Ticket)
        .where(col(Ticket.customer_id) == customer_id)
        .order_by(col(Ticket.opened_at).desc())
        .limit(limit)
    ).all()
    return [
        TicketRecord(
            id=t.id,
            channel=t.channel,
            subject=t.subject,
            status=t.status,
            priority=t.priority,
            opened_at=t.opened_at,
            resolved_at=t.resolved_at,
            disposition=t.disposition,
        )
        for (t,) in rows
    ]


def interactions_since(
    session: Session, customer_id: str, since: datetime, limit: int = 50
) -> list[TimelineRecord]:
    """The customer's interactions at or after `since`, newest first."""
    stmt = (
        select(Interaction)
        .where(col(Interaction.customer_id) == customer_id, col(Interaction.at) >= since)
        .order_by(col(Interaction.at).desc(), col(Interaction.id).desc())
        .limit(limit)
    )
    return [_interaction_record(i) for (i,) in session.execute(stmt)]


def count_interactions(session: Session, customer_id: str) -> int:
    """How many interactions the customer has."""
    stmt = select(func.count()).where(col(Interaction.customer_id) == customer_id)
    return int(session.execute(stmt).scalar_one())


def _interaction_record(i: Interaction) -> TimelineRecord:
    assert i.id is not None
    return TimelineRecord(
        key=TimelineKey(at=i.at, source=0, id=i.id),
        kind=i.kind,
        at=i.at,
        channel=i.channel,
        direction=i.direction,
        subject=i.subject,
        text=i.text,
        author=i.author,
        ref=i.ref,
        ticket_id=i.ticket_id,
    )


def _sort_key(k: TimelineKey) -> tuple[datetime, int, Any]:
    return (k.at, k.source, k.id)


def interactions_page(
    session: Session, customer_id: str, before: TimelineKey | None, limit: int
) -> list[TimelineRecord]:
    """Up to `limit` of the customer's interactions older than `before`, newest first.

    A keyset read over `ix_interaction_timeline`. `before` may be an order event's key
    (source 1): interactions at that same moment sort after it, so they are included.
    """
    stmt = select(Interaction).where(col(Interaction.customer_id) == customer_id)
    if before is not None:
        if before.source == 0:
            key = tuple_(literal(before.at, UTCDateTime()), literal(before.id, Integer()))
            stmt = stmt.where(tuple_(col(Interaction.at), col(Interaction.id)) < key)
        else:
            stmt = stmt.where(col(Interaction.at) <= before.at)
    stmt = stmt.order_by(col(Interaction.at).desc(), col(Interaction.id).desc()).limit(limit)
    return [_interaction_record(i) for (i,) in session.execute(stmt)]


def search_history(
    session: Session, customer_id: str | None, query: str, limit: int = 200
) -> list[TimelineRecord]:
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
    rows = session.execute(select(Interaction).where(col(Interaction.id).in_(ids))).all()
    found = [_interaction_record(i) for (i,) in rows]
    return sorted(found, key=lambda e: _sort_key(e.key), reverse=True)


def get_order(session: Session, order_id: str) -> OrderRecord | None:
    """One order with its items, or None (one statement: a decision waits on it)."""
    rows = session.execute(
        select(Order, OrderItem)
        .outerjoin(OrderItem, col(OrderItem.order_id) == col(Order.id))
        .where(col(Order.id) == order_id)
        .order_by(col(OrderItem.line))
    ).all()
    if not rows:
        return None
    order = rows[0][0]
    return OrderRecord(
        id=order.id,
        customer_id=order.customer_id,
        placed_at=order.placed_at,
        status=order.status,
        promised_by=order.promised_by,
        delivered_at=order.delivered_at,
        total=order.total,
        items=tuple(
            OrderItemRecord(sku=r.sku, name=r.name, price=r.price, quantity=r.quantity)
            for (_, r) in rows
            if r is not None
        ),
    )
