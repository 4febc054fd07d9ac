"""The folded keys a customer is looked up by, made the same way for a stored row and a query.

A key is what a person types, not what the source system stored: case, accents, spacing,
control and invisible characters, and a phone number's punctuation are gone. Every write of a
customer row stores its keys (`customer_keys`); a lookup folds the query the same way and
reads the keys through their indexes (`storage.lookup_queries`).

Names: `name_key` is the whole name; `rest_key` starts at its second word and `last_key` at
its last word when that is a third or later one, so a prefix of the first, second or last
word finds the customer from an index (a middle word of a four-word name does not).
"""

from __future__ import annotations

import unicodedata
from typing import Any

KEY_CHARS = 200
"""Keys are cut to this many characters: a b-tree entry has a size limit on PostgreSQL, and
nobody types more to find someone."""

PHONE_DIGITS = 8
"""A phone key is the number's last this many digits: no country code or trunk prefix reaches
them in most numbering plans, so `+1 (555) 010-2030` meets `555-010-2030` and
`+46 70 123 45 67` meets `070-123 45 67`."""

MIN_PHONE_DIGITS = 5
"""Fewer digits than this are not a phone number worth a key."""

_WORD_BREAKS = " -"


def fold(text: str) -> str:
    """`text` as it is compared: accents, control and invisible characters dropped, case
    folded, runs of spaces made one, cut to `KEY_CHARS`."""
    kept = "".join(
        c
        for c in unicodedata.normalize("NFKD", text)
        if not unicodedata.combining(c) and unicodedata.category(c)[0] != "C"
    )
    return " ".join(kept.casefold().split())[:KEY_CHARS]


def name_keys(name: str) -> tuple[str, str | None, str | None]:
    """(`name_key`, `rest_key`, `last_key`) of a customer's name (see the module)."""
    key = fold(name)
    starts = [
        i for i in range(1, len(key)) if key[i - 1] in _WORD_BREAKS and key[i] not in _WORD_BREAKS
    ]
    rest = key[starts[0] :] if starts else None
    last = key[starts[-1] :] if len(starts) > 1 else None
    return key, rest, last


def email_key(email: str | None) -> str | None:
    """The folded address, or None when there is none."""
    return (fold(email).replace(" ", "") or None) if email else None


def phone_digits(text: str) -> str:
    """The decimal digits of `text`, in any script, as ASCII digits."""
    return "".join(str(d) for c in text if (d := unicodedata.decimal(c, None)) is not None)


def phone_key(phone: str | None) -> str | None:
    """The phone's last `PHONE_DIGITS` digits; None when it has fewer than
    `MIN_PHONE_DIGITS`."""
    digits = phone_digits(phone or "")
    return digits[-PHONE_DIGITS:] if len(digits) >= MIN_PHONE_DIGITS else None


KEY_COLUMNS = ("name_key", "rest_key", "last_key", "email_key", "phone_key")
"""The customer columns `customer_keys` fills."""


def customer_keys(name: str, email: str | None, phone: str | None) -> dict[str, Any]:
    """The lookup keys of a customer row, by column (`KEY_COLUMNS`)."""
    whole, rest, last = name_keys(name)
    return {
        "name_key": whole,
        "rest_key": rest,
        "last_key": last,
        "email_key": email_key(email),
        "phone_key": phone_key(phone),
    }


def with_keys(row: dict[str, Any]) -> dict[str, Any]:
    """A customer row (`name`, and `email`, `phone` if known) with its keys added."""
    return {**row, **customer_keys(row["name"], row.get("email"), row.get("phone"))}


def after(prefix: str) -> str | None:
    """The least string greater than every string that starts with `prefix` (in code point
    order), or None when there is none: a prefix match is the range [prefix, after)."""
    chars = list(prefix)
    while chars:
        code = ord(chars.pop()) + 1
        if 0xD800 <= code <= 0xDFFF:  # surrogates are not characters
            code = 0xE000
        if code <= 0x10FFFF:
            return "".join(chars) + chr(code)
    return None
