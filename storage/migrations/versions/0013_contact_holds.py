"""every hold of a contact is kept, so handle time is the sum of its holds

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

A ticket row keeps only its last claim: a contact released and claimed again lost the first
agent's time, and an agent's handle time today could not be told at all. `contact_hold`
keeps one row per hold, opened by the claim and ended (with how) by whatever ends it. At
most one hold of a contact runs at a time (a unique partial index), and holds are read by
contact, by agent and by when they ended, each through its own index.

Contacts held when this runs get a running hold from their `claimed_at`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.security import secure
from storage.types import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_RUNNING = sa.text("ended_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "contact_hold",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.String(64), nullable=False),
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("agent.id"), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("ended_by", sa.String(16), nullable=True),
    )
    op.create_index("ix_contact_hold_ticket", "contact_hold", ["ticket_id", "started_at"])
    op.create_index("ix_contact_hold_agent", "contact_hold", ["agent_id", "started_at"])
    op.create_index("ix_contact_hold_ended", "contact_hold", ["ended_at"])
    op.create_index(
        "ix_contact_hold_running",
        "contact_hold",
        ["ticket_id"],
        unique=True,
        postgresql_where=_RUNNING,
        sqlite_where=_RUNNING,
    )
    op.execute(
        "INSERT INTO contact_hold (ticket_id, agent_id, started_at) "
        "SELECT id, assigned_agent_id, claimed_at FROM ticket "
        "WHERE assigned_agent_id IS NOT NULL AND claimed_at IS NOT NULL"
    )
    secure(op.get_bind())


def downgrade() -> None:
    op.drop_table("contact_hold")
