"""Small helpers for generated values: whole-second times, and dates, names, money as text."""

from __future__ import annotations

import random
import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache

from workspace.demo.catalogue import MONTHS


def whole_seconds(dt: datetime) -> datetime:
    """Whole seconds, as a real system's timestamps would mostly be."""
    return dt.replace(microsecond=0)


def between(rng: random.Random, lo: datetime, hi: datetime) -> datetime:
    """A random whole-second time in [lo, hi] (lo itself when the range is empty)."""
    span = (hi - lo).total_seconds()
    return whole_seconds(lo + timedelta(seconds=rng.random() * max(span, 0.0)))


def short_date(d: date) -> str:
    return f"{MONTHS[d.month - 1]} {d.day}"


@cache
def ascii_name(name: str) -> str:
    """A name as it appears in an email address (`Siobhán` -> `siobhan`)."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if c.isascii() and c.isalnum()).lower()


def dollars(amount: Decimal) -> str:
    return f"${amount:,.2f}"
