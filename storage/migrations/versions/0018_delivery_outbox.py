"""an outbox: each executed action's message to the system that fulfils it

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06

An action is only real once the system that fulfils it has it. `delivery` holds one message
per executed action, written in the action's own transaction (so a rolled-back action leaves
none), with its state as deliverers send it: queued, retrying (the attempt and when next),
delivered (when, and the receiver's reference) or failed (why). `webhook_id` is the message's
idempotency key, the same on every retry. Deliverers take due messages by a lease
(`leased_until`), so several may run at once; the due ones are read through their own index.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.security import secure
from storage.types import UTCDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_WAITING = sa.text("status IN ('queued', 'retrying')")


def upgrade() -> None:
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("action_id", sa.Integer(), sa.ForeignKey("action.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("webhook_id", sa.String(64), nullable=False, unique=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("next_at", UTCDateTime(), nullable=False),
        sa.Column("leased_until", UTCDateTime(), nullable=True),
        sa.Column("leased_by", sa.String(64), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("receiver_ref", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
    )
    op.create_index("ix_delivery_action", "delivery", ["action_id"], unique=True)
    op.create_index(
        "ix_delivery_due",
        "delivery",
        ["next_at", "id"],
        postgresql_where=_WAITING,
        sqlite_where=_WAITING,
    )
    op.create_index("ix_delivery_status", "delivery", ["status", "created_at"])
    secure(op.get_bind())


def downgrade() -> None:
    op.drop_table("delivery")
