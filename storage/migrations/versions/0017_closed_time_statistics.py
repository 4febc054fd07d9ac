"""PostgreSQL knows how contacts' closing times spread

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-13

Reports and the monitor count the contacts closed at or after a moment (the backlog at that
moment): a range of the closed contacts' index on `coalesce(resolved_at, opened_at)`. That
index is partial, and PostgreSQL keeps no statistics for a partial index's expression, so
it took a third of all closed contacts to match whatever the moment and read the whole
ticket table instead (40 ms on 100,000 contacts, every refresh of the wallboard). Extended
statistics on the expression give it the spread; SQLite plans this range by the index
without them.
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE STATISTICS IF NOT EXISTS ticket_closed_at "
        "ON (coalesce(resolved_at, opened_at)) FROM ticket"
    )
    op.execute("ANALYZE ticket")  # a sample of the table: a second or so, however large


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS ticket_closed_at")
