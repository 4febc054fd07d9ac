"""a team's own people, surveys, open workspaces and the live feed

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05

Agents gain an email and whether they still work here; tickets gain what the import format
now carries (reopened, handle_seconds) and when one was parked waiting on the customer.
`survey` holds customers' answers; `desk_session` the open workspaces (their heartbeat and
the contact each has open); `change` the changes the live feed hands to other workspaces;
`team_setting` the team's configuration (service levels), installed and versioned like its
policy.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agent", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reopened", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("handle_seconds", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("parked_at", UTCDateTime(), nullable=True))
    op.create_table(
        "survey",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("ticket_id", sa.String(64), sa.ForeignKey("ticket.id"), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("csat", sa.Integer(), nullable=True),
        sa.Column("ces", sa.Integer(), nullable=True),
        sa.Column("nps", sa.Integer(), nullable=True),
    )
    op.create_index("ix_survey_ticket", "survey", ["ticket_id"])
    op.create_table(
        "desk_session",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("agent.id"), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("beat_at", UTCDateTime(), nullable=False),
        sa.Column("viewing_ticket_id", sa.String(64), nullable=True),
        sa.Column("host", sa.Text(), nullable=False),
    )
    op.create_index("ix_desk_session_beat", "desk_session", ["beat_at"])
    op.create_index("ix_desk_session_viewing", "desk_session", ["viewing_ticket_id"])
    op.create_index("ix_desk_session_agent", "desk_session", ["agent_id"])
    op.create_table(
        "change",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ticket_id", sa.String(64), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
    )
    op.create_index("ix_change_at", "change", ["at"])
    op.create_table(
        "team_setting",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("installed_at", UTCDateTime(), nullable=False),
        sa.Column("installed_by", sa.String(64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("team_setting")
    op.drop_index("ix_change_at", table_name="change")
    op.drop_table("change")
    op.drop_index("ix_desk_session_agent", table_name="desk_session")
    op.drop_index("ix_desk_session_viewing", table_name="desk_session")
    op.drop_index("ix_desk_session_beat", table_name="desk_session")
    op.drop_table("desk_session")
    op.drop_index("ix_survey_ticket", table_name="survey")
    op.drop_table("survey")
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_column("parked_at")
        batch_op.drop_column("handle_seconds")
        batch_op.drop_column("reopened")
    with op.batch_alter_table("agent", schema=None) as batch_op:
        batch_op.drop_column("active")
        batch_op.drop_column("email")
