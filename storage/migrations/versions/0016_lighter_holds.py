"""holds are indexed for what reads them, and a claim writes fewer entries

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-13

Every claim starts a hold, and agents press "next" all day long. The index of holds by agent
held every hold ever, while what is read by agent is only what each agent holds now (the
monitor's floor: how many, and the one held longest); it now holds the running holds alone,
in the order the floor reads them. The index of holds by when they ended held a null for
every running hold, which nothing looks for: it keeps only the holds that ended.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_ENDED = sa.text("ended_at IS NOT NULL")
_RUNNING = sa.text("ended_at IS NULL")


def upgrade() -> None:
    op.drop_index("ix_contact_hold_agent", table_name="contact_hold")
    op.drop_index("ix_contact_hold_ended", table_name="contact_hold")
    op.create_index(
        "ix_contact_hold_ended",
        "contact_hold",
        ["ended_at"],
        postgresql_where=_ENDED,
        sqlite_where=_ENDED,
    )
    op.create_index(
        "ix_contact_hold_agent_running",
        "contact_hold",
        ["agent_id", "started_at", "ticket_id"],
        postgresql_where=_RUNNING,
        sqlite_where=_RUNNING,
    )


def downgrade() -> None:
    op.drop_index("ix_contact_hold_agent_running", table_name="contact_hold")
    op.drop_index("ix_contact_hold_ended", table_name="contact_hold")
    op.create_index("ix_contact_hold_ended", "contact_hold", ["ended_at"])
    op.create_index("ix_contact_hold_agent", "contact_hold", ["agent_id", "started_at"])
