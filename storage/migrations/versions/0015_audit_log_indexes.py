"""the audit log is read by time, by actor and by what it is about

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-12

`caredesk audit log` lists entries oldest first (by time, then id), a keyset page at a time,
narrowed to an actor, to a customer's contacts and actions, or to a period. Each way in is
a range of one index in that order: the whole log by time, one actor's entries by time, one
contact's or action's entries by time. The entity index gains the time and the id, and
replaces the one it extends.
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

#: Each index: its name and its columns (all on audit_entry).
_INDEXES: tuple[tuple[str, list[str]], ...] = (
    ("ix_audit_at", ["at", "id"]),
    ("ix_audit_actor", ["actor", "at", "id"]),
    ("ix_audit_entity", ["entity", "entity_id", "at", "id"]),
)


def upgrade() -> None:
    op.drop_index("ix_audit_entity", table_name="audit_entry")
    for name, columns in _INDEXES:
        op.create_index(name, "audit_entry", columns)


def downgrade() -> None:
    for name, _columns in reversed(_INDEXES):
        op.drop_index(name, table_name="audit_entry")
    op.create_index("ix_audit_entity", "audit_entry", ["entity", "entity_id"])
