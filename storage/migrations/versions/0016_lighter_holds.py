"""a claim writes fewer index entries for its hold

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-13

Every claim starts a hold, and agents press "next" all day long. The index of holds by agent
was read by nothing (an agent's day is read through the holds ended since the day began),
and the index of holds by when they ended held a null for every running hold, which nothing
looks for (a running hold is found through `ix_contact_hold_running`). The first goes; the
second keeps only the holds that ended, so a claim writes three index entries, not five.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_ENDED = sa.text("ended_at IS NOT NULL")


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


def downgrade() -> None:
    op.drop_index("ix_contact_hold_ended", table_name="contact_hold")
    op.create_index("ix_contact_hold_ended", "contact_hold", ["ended_at"])
    op.create_index("ix_contact_hold_agent", "contact_hold", ["agent_id", "started_at"])
