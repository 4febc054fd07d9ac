"""Find anything: customers, orders and contacts from whatever the agent types, ranked.

What is typed may be a contact's, an order's or a customer's id (in any case), an e-mail
address (whole or its start), a phone number however punctuated, or the start of a name (of
its first, second or last word). Each reading is one indexed, bounded query
(`storage.lookup_queries`), so a lookup costs the same on a team of a hundred thousand
customers as on a demo; one character finds only an exact id.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any

from sqlalchemy import Row
from sqlmodel import Session

from storage import lookup_queries as q
from storage.engine import Reader
from storage.lookup_keys import MIN_PHONE_DIGITS, fold, phone_digits, phone_key
from storage.uow import read_session

MAX_RESULTS = 100
"""The most results one lookup gives, whatever the caller asks."""

MAX_ID_CHARS = 64
"""Ids are at most this long: longer text is no id."""

MAX_TYPED = 320
"""Longer text finds nothing: nobody types it to find someone."""

MIN_PREFIX = 2
"""Prefixes shorter than this (in folded characters) find nothing: one letter matches a
twentieth of the customers."""

_PHONE_PUNCTUATION = frozenset(" +-().,/")


class FoundKind(StrEnum):
    """What a result is."""

    CUSTOMER = "customer"
    ORDER = "order"
    CONTACT = "contact"


class Rank(IntEnum):
    """How well a result matches; the lower, the higher it is listed."""

    EXACT_ID = 0
    """A contact's, order's or customer's id, whole."""
    EXACT_ADDRESS = 1
    """The whole e-mail address or phone number."""
    NAME = 2
    """The start of the whole name."""
    LATER_WORD = 3
    """The start of a later word of the name."""
    EMAIL_PREFIX = 4
    """The start of the e-mail address."""


@dataclass(frozen=True)
class Found:
    """One result of a lookup: choosing it opens `customer_id`'s context."""

    kind: FoundKind
    """A customer, one of their orders, or one of their contacts."""
    customer_id: str
    """Whose context it opens."""
    customer_name: str
    """Their name, as stored (untrusted text)."""
    label: str
    """What matched, shortly: the id and status of an order, the id, subject and status of
    a contact, the e-mail address or phone number, or the name (untrusted text)."""
    rank: Rank
    """How well it matched."""
    ref: str
    """The record found: the contact's or order's id, or the customer's."""


class Lookup:
    """The lookup over one database; safe from a worker thread (each call reads in its own
    short transaction)."""

    def __init__(self, db: Reader) -> None:
        self.db = db

    def find(self, text: str, limit: int = 20) -> list[Found]:
        """The best `limit` results for `text` (at most `MAX_RESULTS`), best first, ties by
        name; nothing for empty text."""
        typed = text.strip()
        limit = min(limit, MAX_RESULTS)
        if not typed or limit < 1 or len(typed) > MAX_TYPED:
            return []
        found: list[Found] = []
        with read_session(self.db) as s:
            if _may_be_id(typed):
                found += _by_id(s, typed, limit)
            key = fold(typed)
            if len(key) >= MIN_PREFIX:
                found += _by_key(s, typed, key, limit)
        return _ranked(found, limit)


def _may_be_id(typed: str) -> bool:
    """Whether `typed` could be a stored id: short, no NUL (PostgreSQL stores none, nor
    takes one as a parameter) and no lone surrogate (no database takes one)."""
    if len(typed) > MAX_ID_CHARS or "\x00" in typed:
        return False
    try:
        typed.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _looks_like_phone(typed: str) -> bool:
    digits = phone_digits(typed)
    rest = (c for c in typed if c not in _PHONE_PUNCTUATION and not phone_digits(c))
    return len(digits) >= MIN_PHONE_DIGITS and next(rest, None) is None


def _by_id(s: Session, typed: str, limit: int) -> list[Found]:
    found = [_contact(r) for r in q.tickets_by_id(s, typed, limit)]
    found += [_order(r) for r in q.orders_by_id(s, typed, limit)]
    found += [
        _customer(r, r.customer_id, Rank.EXACT_ID) for r in q.customers_by_id(s, typed, limit)
    ]
    return found


def _by_key(s: Session, typed: str, key: str, limit: int) -> list[Found]:
    found: list[Found] = []
    if _looks_like_phone(typed) and (number := phone_key(typed)) is not None:
        found += [
            _customer(r, r.phone, Rank.EXACT_ADDRESS)
            for r in q.customers_by_phone(s, number, limit)
        ]
    address = key.replace(" ", "")
    if "@" in address:
        found += [
            _customer(r, r.email, Rank.EXACT_ADDRESS)
            for r in q.customers_by_email(s, address, limit)
        ]
    found += [_customer(r, r.customer_name, Rank.NAME) for r in q.customers_by_name(s, key, limit)]
    found += [
        _customer(r, r.customer_name, Rank.LATER_WORD)
        for r in q.customers_by_later_word(s, key, limit)
    ]
    if " " not in key:
        found += [
            _customer(r, r.email, Rank.EMAIL_PREFIX)
            for r in q.customers_by_email_prefix(s, key, limit)
        ]
    return found


def _customer(row: Row[Any], label: str, rank: Rank) -> Found:
    return Found(
        FoundKind.CUSTOMER, row.customer_id, row.customer_name, label, rank, row.customer_id
    )


def _order(row: Row[Any]) -> Found:
    label = f"order {row.id} · {row.status}"
    return Found(FoundKind.ORDER, row.customer_id, row.customer_name, label, Rank.EXACT_ID, row.id)


def _contact(row: Row[Any]) -> Found:
    label = f"{row.id} · {row.subject} · {row.status}"
    return Found(
        FoundKind.CONTACT, row.customer_id, row.customer_name, label, Rank.EXACT_ID, row.id
    )


def _ranked(found: list[Found], limit: int) -> list[Found]:
    """Each record once, at its best rank; best first, ties by name."""
    best: dict[tuple[FoundKind, str], Found] = {}
    for f in found:
        seen = best.get((f.kind, f.ref))
        if seen is None or f.rank < seen.rank:
            best[f.kind, f.ref] = f
    order = sorted(
        best.values(), key=lambda f: (f.rank, fold(f.customer_name), f.customer_id, f.kind, f.ref)
    )
    return order[:limit]
