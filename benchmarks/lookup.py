"""Finding anything: `lookup_ms` is the 95th percentile of `Lookup.find`, as the lookup runs it
on every key the agent types, over a fixed list of what agents type.

The list comes from the set's own first customers (by id, so the same set always gives the
same list): the first 3, 4 and 5 letters of a first name and of a last name, whole e-mail
addresses in another case, and the first letters of an address. A short prefix of a common
name matches thousands of customers on the large set; the lookup must still read only the
first of them, in index order.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select

from benchmarks.common import BenchmarkError, percentile
from storage.engine import Reader
from storage.models import Customer
from workspace.lookup import Lookup

#: Customers the queries are taken from.
CUSTOMERS = 24

#: Results asked for, as the lookup's list shows them.
LIMIT = 20


@dataclass(frozen=True)
class LookupTimes:
    """Times of one lookup (`Lookup.find`: every query it makes, and its ranking)."""

    p95_ms: float
    """95th percentile."""
    p50_ms: float
    """Median."""
    queries: int
    """Distinct texts looked up."""
    samples: int
    """Lookups timed (each text `repeats` times, after one untimed pass)."""
    found: int
    """Results of one pass over the texts (at most `LIMIT` each)."""
    empty: int
    """Texts that found nothing (should be 0: every one is taken from a customer)."""


def lookup_texts(db: Reader, customers: int = CUSTOMERS) -> list[str]:
    """What is looked up: name prefixes of 3 to 5 letters and e-mail addresses, whole (in
    upper case) and by their first letters, of the set's first `customers` customers."""
    columns = (Customer.__table__.c.name, Customer.__table__.c.email)  # type: ignore[attr-defined]
    statement = select(*columns).order_by(Customer.__table__.c.id).limit(customers)  # type: ignore[attr-defined]
    with db.read.connect() as conn:
        rows = conn.execute(statement).all()
    if not rows:
        raise BenchmarkError("the set has no customers to look up")
    texts: list[str] = []
    for n, (name, email) in enumerate(rows):
        words = name.split()
        size = 3 + n % 3
        texts.append(words[0][:size])
        if len(words) > 1:
            texts.append(words[-1][:size])
        if email:
            texts.append(email.upper() if n % 2 else email)
            texts.append(email[:size])
    return texts


def measure_lookup(db: Reader, repeats: int = 5) -> LookupTimes:
    """Look each text up once untimed, then `repeats` times timed."""
    lookup = Lookup(db)
    texts = lookup_texts(db)
    counts = [len(lookup.find(text, LIMIT)) for text in texts]
    samples: list[float] = []
    for _ in range(repeats):
        for text in texts:
            started = time.perf_counter()
            lookup.find(text, LIMIT)
            samples.append((time.perf_counter() - started) * 1000)
    return LookupTimes(
        p95_ms=percentile(samples, 95),
        p50_ms=percentile(samples, 50),
        queries=len(texts),
        samples=len(samples),
        found=sum(counts),
        empty=counts.count(0),
    )
