"""History search over the text index: one customer's history, and everyone's.

`history_search_ms` is `Reading.search_history` over the heavy customer's history, as the
workspace's `/` runs it. `history_search_all_ms` is the same storage query with no
customer (`customer_queries.search_history(session, None, ...)`): every interaction,
through the same index (SQLite FTS5 `interaction_search MATCH`, PostgreSQL
`to_tsvector('caredesk_search', ...) @@ to_tsquery`), newest 200 first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from benchmarks.common import median
from storage import customer_queries
from storage.engine import Database
from storage.uow import read_session
from workspace.reading import Reading

#: What an agent searches for most: about a third of the demo's messages contain it (or a
#: word it begins: "orders", "ordered"), so every history of any length has matches.
WORD = "order"


@dataclass(frozen=True)
class HistorySearch:
    """Median times of a one-word search (each a full call: query, rows, records)."""

    customer_ms: float
    """Over one customer's history (`Reading.search_history`)."""
    all_ms: float
    """Over every interaction (the storage query with no customer)."""
    word: str
    """The word searched for."""
    customer_matches: int
    """Matches in the customer's history (at most 200 are returned)."""
    all_matches: int
    """Matches returned over every interaction (at most 200)."""


def measure_history_search(
    db: Database, customer_id: str, word: str = WORD, repeats: int = 10
) -> HistorySearch:
    """Search `word` `repeats` times in the customer's history and in all history."""
    reading = Reading(db, "USD")
    mine: list[float] = []
    everyone: list[float] = []
    found = found_all = 0
    for _ in range(repeats):
        started = time.perf_counter()
        found = len(reading.search_history(customer_id, word))
        mine.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        with read_session(db) as session:
            found_all = len(customer_queries.search_history(session, None, word))
        everyone.append((time.perf_counter() - started) * 1000)
    return HistorySearch(
        customer_ms=median(mine),
        all_ms=median(everyone),
        word=word,
        customer_matches=found,
        all_matches=found_all,
    )
