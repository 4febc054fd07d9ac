"""the report reads each period's facts through indexes of their own

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-10

`caredesk report` (specs/metrics.md) counts the contacts opened in a period, reads the first
replies and the surveys that fall in it, and the actions executed and the requests decided
in it. Each is a range of one timestamp: without an index on it every read would walk the
whole table, which holds years of a contact centre. Closed contacts already have theirs
(0011), and a customer's next contact is found through `ix_ticket_customer`.
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

#: Each index: its name, its table and its columns.
_INDEXES: tuple[tuple[str, str, list[str]], ...] = (
    ("ix_ticket_opened", "ticket", ["opened_at", "channel"]),
    ("ix_ticket_first_response", "ticket", ["first_response_at"]),
    ("ix_action_executed", "action", ["executed_at"]),
    ("ix_action_decided_at", "action", ["decided_at"]),
    ("ix_survey_at", "survey", ["at"]),
)


def upgrade() -> None:
    for name, table, columns in _INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in reversed(_INDEXES):
        op.drop_index(name, table_name=table)
