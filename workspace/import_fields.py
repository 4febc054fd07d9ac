"""Reading one field of an imported record: what each field takes, and what went wrong.

Each parser takes a decoded JSON value and returns what goes in the column, or raises
`BadValue` saying what the field takes; `Fields` reads a record's fields with them and
collects a problem for every missing, bad or unknown one instead of stopping at the first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from storage.types import CENT
from workspace.vocabulary import (
    STORED_DIRECTIONS,
    ActionKind,
    ActionStatus,
    Channel,
    ContactStatus,
    Disposition,
    InteractionKind,
    OrderStatus,
    Priority,
    Role,
    VerdictKind,
)

#: Largest amount, unit price or order total: far above any order, far below the cents column.
MAX_MONEY = Decimal("999999999999.99")
#: Largest quantity on one order line.
MAX_QUANTITY = 1_000_000
#: Largest whole number an integer column holds on every database (PostgreSQL's `integer`).
MAX_INT = 2**31 - 1

CHANNELS = tuple(Channel)
DIRECTIONS = STORED_DIRECTIONS
KINDS = tuple(InteractionKind)
ORDER_STATUSES = tuple(OrderStatus)
TICKET_STATUSES = tuple(ContactStatus)
PRIORITIES = tuple(Priority)
ROLES = tuple(Role)
DISPOSITIONS = tuple(Disposition)
ACTION_KINDS = tuple(ActionKind)
ACTION_STATUSES = tuple(ActionStatus)
VERDICTS = tuple(VerdictKind)

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")
_SEAL = re.compile(r"[0-9a-f]{8}:[0-9a-f]{64}")
_HASH = re.compile(r"[0-9a-f]{64}")
_CURRENCY = re.compile(r"[A-Z]{3}")
#: Characters no database column takes: NUL (PostgreSQL refuses it) and lone surrogates.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

Found = list[tuple[str | None, str]]
"""The problems found in one line: (field or None, message) each."""


class NonFinite:
    """What `NaN`, `Infinity` and `-Infinity` parse to: a value every field refuses."""

    def __init__(self, name: str) -> None:
        self.name = name


class BadValue(Exception):
    """A field value that is not what the field takes; `expected` says what it takes."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


def show(value: Any) -> str:
    """A short, terminal-safe rendering of a value a user gave, for a problem message."""
    if isinstance(value, NonFinite):
        return value.name
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, int | bool) or value is None:
        return json.dumps(value)
    text = str(value)
    text = json.dumps(text if len(text) <= 40 else text[:40] + "…", ensure_ascii=False)
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)


def show_key(key: str) -> str:
    """A key of a record as a field path names it: as written when printable and short,
    else quoted and escaped as `show` quotes a value, so a problem stays one safe line."""
    if key.isprintable() and 0 < len(key) <= 64 and "." not in key:
        return key
    return show(key)


#: Whether a string holds a character no column takes.
unstorable = _UNSTORABLE.search


def parse_text(value: Any) -> str:
    if not isinstance(value, str):
        raise BadValue("a string")
    if _UNSTORABLE.search(value):
        raise BadValue("text without NUL (\\u0000) or unpaired surrogate characters")
    return value


def short_text(limit: int) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if not isinstance(value, str) or not 0 < len(value) <= limit:
            raise BadValue(f"a non-empty string of at most {limit} characters")
        return parse_text(value)

    return parse


def one_of(options: tuple[str, ...]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if value not in options or not isinstance(value, str):
            raise BadValue(f"one of {', '.join(options)}")
        return value

    return parse


def parse_timestamp(value: Any) -> datetime:
    expected = "an ISO 8601 timestamp with a zone"
    if not isinstance(value, str):
        raise BadValue(expected)
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise BadValue(expected)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise BadValue(expected) from exc


def parse_date(value: Any) -> date:
    expected = "a date as YYYY-MM-DD"
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise BadValue(expected)
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise BadValue(expected) from exc


def parse_money(value: Any) -> Decimal:
    expected = (
        f"an amount from 0 to {MAX_MONEY} with at most 2 decimals (a decimal string or number)"
    )
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        value = Decimal(value)
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise BadValue(expected)
    amount = Decimal(value)
    if not amount.is_finite() or not 0 <= amount <= MAX_MONEY or amount != amount.quantize(CENT):
        raise BadValue(expected)
    return amount.quantize(CENT)


def whole(low: int, high: int = MAX_INT) -> Callable[[Any], int]:
    """A whole number from `low` to `high` (JSON numbers only: `true` and `"3"` are refused)."""

    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            shown = "" if high == MAX_INT else f" to {high:,}"
            raise BadValue(f"a whole number from {low}{shown}")
        return value

    return parse


def parse_flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise BadValue("true or false")
    return value


def parse_hash(value: Any) -> str:
    if not isinstance(value, str) or not _HASH.fullmatch(value):
        raise BadValue("64 lowercase hex characters")
    return value


def parse_seal(value: Any) -> str:
    if not isinstance(value, str) or not _SEAL.fullmatch(value):
        raise BadValue("an audit seal: 8 hex characters, a colon, 64 hex characters")
    return value


def parse_currency(value: Any) -> str:
    if not isinstance(value, str) or not _CURRENCY.fullmatch(value):
        raise BadValue("a three-letter currency code (USD)")
    return value


parse_ident = short_text(64)
parse_short16 = short_text(16)
parse_short32 = short_text(32)
parse_display_name = short_text(200)
parse_count = whole(0)
parse_number = whole(1)
parse_quantity = whole(1, MAX_QUANTITY)
parse_channel = one_of(CHANNELS)
parse_direction = one_of(DIRECTIONS)
parse_kind = one_of(KINDS)
parse_order_status = one_of(ORDER_STATUSES)
parse_ticket_status = one_of(TICKET_STATUSES)
parse_priority = one_of(PRIORITIES)
parse_role = one_of(ROLES)
parse_disposition = one_of(DISPOSITIONS)
parse_action_kind = one_of(ACTION_KINDS)
parse_action_status = one_of(ACTION_STATUSES)
parse_verdict = one_of(VERDICTS)


def parse_items(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise BadValue("an array of item objects")
    return value


def article(noun: str) -> str:
    """`a` or `an` before `noun` (by its first letter, which is right for CareDesk's record
    and field names)."""
    return "an" if noun[:1].lower() in "aeiou" else "a"


class Fields:
    """Reads the fields of one JSON object, collecting a problem for each bad or unknown one."""

    def __init__(
        self, obj: dict[str, Any], what: str, allowed: Iterable[str], prefix: str = ""
    ) -> None:
        self.obj = obj
        self.prefix = prefix
        self.problems: Found = []
        known = {"type", *allowed} if not prefix else set(allowed)
        for key in obj:
            if key not in known:
                takes = ", ".join(sorted(known - {"type"}))
                self.problems.append(
                    (prefix + show_key(key), f"unknown field ({article(what)} {what} has {takes})")
                )

    def get(
        self, name: str, parse: Callable[[Any], Any], *, required: bool = True, default: Any = None
    ) -> Any:
        """The field parsed, or `default` when it is absent, null or bad (bad is recorded)."""
        value = self.obj.get(name)
        if value is None:
            if required:
                got = "missing" if name not in self.obj else "null"
                self.problems.append((self.prefix + name, f"required field is {got}"))
            return default
        try:
            return parse(value)
        except BadValue as exc:
            self.problems.append(
                (self.prefix + name, f"expected {exc.expected}, got {show(value)}")
            )
            return default
