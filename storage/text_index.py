"""The history search index: how interactions are indexed, and how a search asks it.

A search is words. Each matches whole after English stemming ("order" finds "orders" and
"ordered", "refund" finds "refunded"); a word written with a `*` at its end matches as a
prefix ("refu*"). Every word must match, in the subject or the text. Results are newest
first, and the index answers in that order: neither database reads every match to sort it.

SQLite: a contentless FTS5 table, `interaction_search`, whose rowid is the interaction's
*search key*, its time in whole seconds times 2**30 plus its id (`key_sql`). FTS5 walks
matches in rowid order, so the newest come first from the index itself. The customer is a
token of its own (the hex of their id, in column `customer`), so one customer's matches
are an intersection inside the index, not a join. Triggers keep it in step (migration 0005);
the bulk loaders fill it in one statement instead (`fill_sql`).

PostgreSQL: a GIN index over a tsvector of subject and text, in the text search
configuration `caredesk_search` (the simple parser, English Snowball stemming, no stop
words), and a b-tree on (at, id). The planner reads a common word's newest matches in time
order through the b-tree and a rare word's through the GIN index, from the word's frequency
in the table's statistics.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: Interaction ids must be below this for the search key to hold them (about a billion:
#: a SQLite file that size belongs on PostgreSQL, which has no such key).
ID_LIMIT = 2**30

#: What a write says when an interaction id does not fit the search key.
TOO_MANY = (
    f"interaction ids past {ID_LIMIT - 1} do not fit the history search index: "
    "move this database to PostgreSQL"
)

#: Seconds in the key are clamped to [0, this], so any date keeps the key an integer.
_MAX_SECONDS = 2**33 - 1

#: Search words beyond this many are ignored.
MAX_TERMS = 16

SQLITE_TABLE = "interaction_search"
SQLITE_INSERT_TRIGGER = "interaction_search_insert"
SQLITE_UPDATE_TRIGGER = "interaction_search_update"

#: The PostgreSQL GIN index and the expression it is built on; queries use exactly this one.
PG_INDEX = "ix_interaction_search"
PG_CONFIG = "caredesk_search"
PG_DOCUMENT = f"to_tsvector('{PG_CONFIG}', coalesce(subject, '') || ' ' || text)"


def key_sql(row: str) -> str:
    """SQL for the search key of the interaction named `row` (`new`, `old`, a table)."""
    seconds = f"min(max(unixepoch({row}.at), 0), {_MAX_SECONDS})"
    return f"({seconds} * {ID_LIMIT} + {row}.id)"


def customer_token_sql(row: str) -> str:
    """SQL for the customer's token: the hex of their id, a single token to the tokenizer."""
    return f"hex({row}.customer_id)"


def fill_sql(first_id_param: str = "?") -> str:
    """Index every interaction whose id is at least the parameter, in one statement.

    In key order: FTS5 writes out what it holds in memory whenever a rowid comes lower than
    the one before, so keys in any other order cost a segment a row (several times slower).
    """
    return (
        f"INSERT INTO {SQLITE_TABLE}(rowid, subject, text, customer) "
        f"SELECT {key_sql('interaction')}, subject, text, {customer_token_sql('interaction')} "
        f"FROM interaction WHERE id >= {first_id_param} ORDER BY 1"
    )


def id_of_key_sql(column: str = "rowid") -> str:
    """SQL for the interaction id held in a search key."""
    return f"({column} & {ID_LIMIT - 1})"


@dataclass(frozen=True)
class Term:
    """One word of a search."""

    word: str
    """Letters and digits only, lower case."""
    prefix: bool
    """Whether it was written with a trailing `*`."""


_TOKEN = re.compile(r"[^\W_]+\*?|\*")


def terms_of(query: str) -> list[Term]:
    """The words of a search: runs of letters and digits, each optionally ending in `*`.

    Everything else separates words, so no character of the query reaches either
    database's query syntax. A lone `*` is dropped.
    """
    terms: list[Term] = []
    for token in _TOKEN.findall(unicodedata.normalize("NFC", query)):
        word = token.rstrip("*").lower()
        if word:
            terms.append(Term(word, token.endswith("*")))
    return terms[:MAX_TERMS]


def sqlite_match(terms: list[Term], customer_id: str | None) -> str:
    """The FTS5 MATCH expression: every term in subject or text, and the customer's token."""
    phrases = " AND ".join(f'"{t.word}"' + ("*" if t.prefix else "") for t in terms)
    match = "{subject text} : (" + phrases + ")"
    if customer_id is not None:
        match += f' AND customer : "{customer_id.encode().hex()}"'
    return match


def pg_tsquery(terms: list[Term]) -> str:
    """The `to_tsquery` text: every term, stemmed by the configuration, `:*` for a prefix."""
    return " & ".join(t.word + (":*" if t.prefix else "") for t in terms)
