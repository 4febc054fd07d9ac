"""The queries behind "find anything": customers, orders and contacts by what an agent types.

Each reads one index and at most `limit` rows. Ids match whatever their case, through the
index of `lower(id)`; names, e-mail addresses and phone numbers through the customer's
folded keys (`storage.lookup_keys`), which compare code point by code point on both
databases, so a prefix is one range of an index, read in its order and cut at `limit`.
The caller folds what was typed (`lookup_keys.fold`, `phone_key`) before asking.

Every function returns rows with `customer_id` and `customer_name`; customers add `email`
and `phone`, orders `id` and `status`, contacts `id`, `subject`, `status` and `channel`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Row, Select, func, select
from sqlmodel import Session

from storage.lookup_keys import after
from storage.models import Customer, Order, Ticket

_CUSTOMER = Customer.__table__.c  # type: ignore[attr-defined]
_ORDER = Order.__table__.c  # type: ignore[attr-defined]
_TICKET = Ticket.__table__.c  # type: ignore[attr-defined]

_WHO = (_CUSTOMER.id.label("customer_id"), _CUSTOMER.name.label("customer_name"))


def _customers() -> Select[Any]:
    return select(*_WHO, _CUSTOMER.email, _CUSTOMER.phone)


def _rows(session: Session, statement: Select[Any]) -> list[Row[Any]]:
    return list(session.execute(statement).all())


def _same_id(column: ColumnElement[Any], typed: str) -> ColumnElement[bool]:
    return func.lower(column) == func.lower(typed)


def _starts(column: ColumnElement[Any], prefix: str) -> ColumnElement[bool]:
    """`column` starts with `prefix`, as a range of its index."""
    end = after(prefix)
    return (column >= prefix) & (column < end) if end is not None else column >= prefix


def customers_by_id(session: Session, typed: str, limit: int) -> list[Row[Any]]:
    """The customer whose id is `typed`, in any case."""
    return _rows(session, _customers().where(_same_id(_CUSTOMER.id, typed)).limit(limit))


def orders_by_id(session: Session, typed: str, limit: int) -> list[Row[Any]]:
    """The order whose id is `typed`, in any case, with its customer."""
    statement = (
        select(_ORDER.id, _ORDER.status, *_WHO)
        .join_from(Order.__table__, Customer.__table__, _CUSTOMER.id == _ORDER.customer_id)  # type: ignore[attr-defined]
        .where(_same_id(_ORDER.id, typed))
        .limit(limit)
    )
    return _rows(session, statement)


def tickets_by_id(session: Session, typed: str, limit: int) -> list[Row[Any]]:
    """The contact whose id is `typed`, in any case, with its customer."""
    statement = (
        select(_TICKET.id, _TICKET.subject, _TICKET.status, _TICKET.channel, *_WHO)
        .join_from(Ticket.__table__, Customer.__table__, _CUSTOMER.id == _TICKET.customer_id)  # type: ignore[attr-defined]
        .where(_same_id(_TICKET.id, typed))
        .limit(limit)
    )
    return _rows(session, statement)


def customers_by_email(session: Session, key: str, limit: int) -> list[Row[Any]]:
    """Customers whose folded e-mail address is `key`."""
    return _rows(session, _customers().where(_CUSTOMER.email_key == key).limit(limit))


def customers_by_phone(session: Session, key: str, limit: int) -> list[Row[Any]]:
    """Customers whose phone key (`lookup_keys.phone_key`) is `key`."""
    return _rows(session, _customers().where(_CUSTOMER.phone_key == key).limit(limit))


def _by_prefix(session: Session, column: Any, prefix: str, limit: int) -> list[Row[Any]]:
    statement = _customers().where(_starts(column, prefix)).order_by(column).limit(limit)
    return _rows(session, statement)


def customers_by_name(session: Session, prefix: str, limit: int) -> list[Row[Any]]:
    """Customers whose folded name starts with `prefix`, in name order."""
    return _by_prefix(session, _CUSTOMER.name_key, prefix, limit)


def customers_by_later_word(session: Session, prefix: str, limit: int) -> list[Row[Any]]:
    """Customers whose name's second word, or its last, starts with `prefix` (the first
    `limit` of each, in the order of that word)."""
    rest = _by_prefix(session, _CUSTOMER.rest_key, prefix, limit)
    return rest + _by_prefix(session, _CUSTOMER.last_key, prefix, limit)


def customers_by_email_prefix(session: Session, prefix: str, limit: int) -> list[Row[Any]]:
    """Customers whose folded e-mail address starts with `prefix`, in address order."""
    return _by_prefix(session, _CUSTOMER.email_key, prefix, limit)
