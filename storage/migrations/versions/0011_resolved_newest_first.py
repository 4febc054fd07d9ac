"""the resolved view reads closed contacts newest first, from indexes of its own

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-09

The resolved view lists contacts by when they were closed, newest first. Read through the
status indexes (SLA order) every page had to sort every resolved contact, and a contact
centre keeps millions. Partial indexes of the closed contacts alone, keyed by when each was
closed (`coalesce(resolved_at, opened_at)`: an imported contact may lack its resolution time,
and it was closed after it opened), serve the view's pages, positions and counts for
everyone, one channel and one agent. Only closing a contact writes to them, so the claims
and replies on the contacts being worked cost what they did.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_CLOSED = sa.text("status = 'resolved'")

#: Each index by name, with the columns that narrow it before the closing time.
_INDEXES: tuple[tuple[str, list[str]], ...] = (
    ("ix_ticket_closed", ["status"]),
    ("ix_ticket_closed_channel", ["status", "channel"]),
    ("ix_ticket_closed_holder", ["assigned_agent_id", "status"]),
)


def upgrade() -> None:
    for name, narrowed_by in _INDEXES:
        op.create_index(
            name,
            "ticket",
            [*narrowed_by, sa.text("coalesce(resolved_at, opened_at)"), "id"],
            postgresql_where=_CLOSED,
            sqlite_where=_CLOSED,
        )


def downgrade() -> None:
    for name, _narrowed_by in reversed(_INDEXES):
        op.drop_index(name, table_name="ticket")
