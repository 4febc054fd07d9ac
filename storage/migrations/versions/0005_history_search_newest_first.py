"""history search that answers newest first from the index

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24

The text index of 0002 found matches but not their order: a common word over one customer
joined hundreds of thousands of matches to `interaction` to keep the customer's, and every
search sorted all its matches by time. Words now match whole after English stemming (a
trailing `*` asks for a prefix), and the index itself answers newest first:

- SQLite: `interaction_fts` gives way to `interaction_search`, a contentless FTS5 table
  keyed by time (whole seconds times 2**30, plus the id) with the customer as a token.
- PostgreSQL: the GIN index is rebuilt over the `caredesk_search` configuration (simple
  parser, English Snowball stemming, no stop words) and a b-tree on (at, id) lets the
  planner read a common word's newest matches in time order.

The statements are this revision's own; `storage.text_index` describes the live schema.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_KEY = "(min(max(unixepoch({r}.at), 0), 8589934591) * 1073741824 + {r}.id)"
_TOO_MANY = (
    "SELECT RAISE(ABORT, 'interaction ids past 1073741823 do not fit the history search "
    "index: move this database to PostgreSQL') WHERE new.id >= 1073741824;"
)


def _row(r: str) -> str:
    return f"{_KEY.format(r=r)}, {r}.subject, {r}.text, hex({r}.customer_id)"


SQLITE_UP = [
    "DROP TRIGGER IF EXISTS interaction_fts_update",
    "DROP TRIGGER IF EXISTS interaction_fts_delete",
    "DROP TRIGGER IF EXISTS interaction_fts_insert",
    "DROP TABLE IF EXISTS interaction_fts",
    """CREATE VIRTUAL TABLE interaction_search USING fts5(
        subject, text, customer, content='',
        tokenize='porter unicode61 remove_diacritics 2')""",
    f"""CREATE TRIGGER interaction_search_insert AFTER INSERT ON interaction BEGIN
        {_TOO_MANY}
        INSERT INTO interaction_search(rowid, subject, text, customer) VALUES ({_row("new")});
    END""",
    f"""CREATE TRIGGER interaction_search_delete AFTER DELETE ON interaction BEGIN
        INSERT INTO interaction_search(interaction_search, rowid, subject, text, customer)
        VALUES ('delete', {_row("old")});
    END""",
    f"""CREATE TRIGGER interaction_search_update
        AFTER UPDATE OF at, customer_id, subject, text ON interaction BEGIN
        INSERT INTO interaction_search(interaction_search, rowid, subject, text, customer)
        VALUES ('delete', {_row("old")});
        INSERT INTO interaction_search(rowid, subject, text, customer) VALUES ({_row("new")});
    END""",
    "INSERT INTO interaction_search(rowid, subject, text, customer) "
    f"SELECT {_row('interaction')} FROM interaction ORDER BY 1",  # key order: see fill_sql
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS interaction_search_update",
    "DROP TRIGGER IF EXISTS interaction_search_delete",
    "DROP TRIGGER IF EXISTS interaction_search_insert",
    "DROP TABLE IF EXISTS interaction_search",
    """CREATE VIRTUAL TABLE interaction_fts USING fts5(
        subject, text, content='interaction', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER interaction_fts_insert AFTER INSERT ON interaction BEGIN
        INSERT INTO interaction_fts(rowid, subject, text)
        VALUES (new.id, new.subject, new.text);
    END""",
    """CREATE TRIGGER interaction_fts_delete AFTER DELETE ON interaction BEGIN
        INSERT INTO interaction_fts(interaction_fts, rowid, subject, text)
        VALUES ('delete', old.id, old.subject, old.text);
    END""",
    """CREATE TRIGGER interaction_fts_update AFTER UPDATE OF subject, text ON interaction BEGIN
        INSERT INTO interaction_fts(interaction_fts, rowid, subject, text)
        VALUES ('delete', old.id, old.subject, old.text);
        INSERT INTO interaction_fts(rowid, subject, text)
        VALUES (new.id, new.subject, new.text);
    END""",
    "INSERT INTO interaction_fts(interaction_fts) VALUES ('rebuild')",
]

_PG_DOCUMENT = "to_tsvector('caredesk_search', coalesce(subject, '') || ' ' || text)"

PG_UP = [
    "CREATE TEXT SEARCH DICTIONARY caredesk_stem (TEMPLATE = snowball, Language = english)",
    "CREATE TEXT SEARCH CONFIGURATION caredesk_search (COPY = simple)",
    "ALTER TEXT SEARCH CONFIGURATION caredesk_search ALTER MAPPING FOR asciiword, word, "
    "numword, asciihword, hword, numhword, hword_asciipart, hword_part, hword_numpart "
    "WITH caredesk_stem",
    "DROP INDEX IF EXISTS ix_interaction_fts",
    f"CREATE INDEX ix_interaction_search ON interaction USING gin (({_PG_DOCUMENT}))",
    "CREATE INDEX ix_interaction_at ON interaction (at, id)",
]

PG_DOWN = [
    "DROP INDEX IF EXISTS ix_interaction_at",
    "DROP INDEX IF EXISTS ix_interaction_search",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS caredesk_search",
    "DROP TEXT SEARCH DICTIONARY IF EXISTS caredesk_stem",
    "CREATE INDEX ix_interaction_fts ON interaction USING gin "
    "((to_tsvector('simple', coalesce(subject, '') || ' ' || text)))",
]


def upgrade() -> None:
    for statement in SQLITE_UP if op.get_bind().dialect.name == "sqlite" else PG_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in SQLITE_DOWN if op.get_bind().dialect.name == "sqlite" else PG_DOWN:
        op.execute(statement)
