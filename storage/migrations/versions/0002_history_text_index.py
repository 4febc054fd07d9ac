"""history text index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

History search uses the database's own text index: an FTS5 table kept in step with
`interaction` by triggers on SQLite, a GIN index over a tsvector on PostgreSQL.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SQLITE_UP = [
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

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS interaction_fts_update",
    "DROP TRIGGER IF EXISTS interaction_fts_delete",
    "DROP TRIGGER IF EXISTS interaction_fts_insert",
    "DROP TABLE IF EXISTS interaction_fts",
]

#: The expression the PostgreSQL index is built on; queries must use exactly this one.
PG_DOCUMENT = "to_tsvector('simple', coalesce(subject, '') || ' ' || text)"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)
    else:
        op.execute(f"CREATE INDEX ix_interaction_fts ON interaction USING gin (({PG_DOCUMENT}))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
    else:
        op.execute("DROP INDEX IF EXISTS ix_interaction_fts")
