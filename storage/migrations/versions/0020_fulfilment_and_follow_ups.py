"""the order follows its action, follow-ups, and what a deliverer learns of an endpoint

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07

- `shipment`: what a reship or a replacement sends the customer, written in the action's own
  transaction and shown in the timeline; one per action.
- `orders.refunded`: money given back on the order, kept as refunds execute, so the order
  shows what is left of its total without summing its actions.
- `follow_up`: a promise to a customer (call back, check tracking, confirm an arrival), with
  a due time and an owner (none: the team). Scheduled ones are read by due time; open ones by
  customer (the digest), by owner (a deactivation hands them back) and by status and due time
  (the monitor's overdue count).
- `delivery.in_flight`: a deliverer is sending it now (set in the transaction before the
  send, cleared by the one that records the answer). `delivery.orphaned`: how many times a
  send's answer was never known (its deliverer died in flight, or the answer timed out): the
  receiver may have had it that many extra times.
- `delivery_endpoint`: endpoints a receiver said are gone (410); nothing is sent to one until
  it is enabled again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.security import secure
from storage.types import Money, UTCDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_SCHEDULED = sa.text("status = 'scheduled'")
_ORPHANED = sa.text("orphaned > 0")


def upgrade() -> None:
    op.create_table(
        "shipment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ref", sa.String(32), nullable=False, unique=True),
        sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("action_id", sa.Integer(), sa.ForeignKey("action.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_shipment_action", "shipment", ["action_id"], unique=True)
    op.create_index("ix_shipment_order", "shipment", ["order_id", "created_at"])
    # Plain ADD COLUMN, which SQLite does in place: a batch copy of the table would drop the
    # expression indexes it cannot reflect (the orders' folded id).
    op.add_column("orders", sa.Column("refunded", Money(), nullable=False, server_default="0"))
    op.add_column(
        "delivery", sa.Column("orphaned", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column(
        "delivery", sa.Column("in_flight", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.create_index(
        "ix_delivery_orphaned",
        "delivery",
        ["orphaned"],
        postgresql_where=_ORPHANED,
        sqlite_where=_ORPHANED,
    )
    op.create_table(
        "delivery_endpoint",
        sa.Column("url", sa.String(1000), primary_key=True),
        sa.Column("disabled_at", UTCDateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
    )
    op.create_table(
        "follow_up",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.String(64), sa.ForeignKey("ticket.id"), nullable=False),
        sa.Column("customer_id", sa.String(64), sa.ForeignKey("customer.id"), nullable=False),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("agent.id"), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("agent.id"), nullable=False),
        sa.Column("surfaced_at", UTCDateTime(), nullable=True),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("done_by", sa.Integer(), sa.ForeignKey("agent.id"), nullable=True),
    )
    op.create_index(
        "ix_follow_up_scheduled",
        "follow_up",
        ["due_at", "id"],
        postgresql_where=_SCHEDULED,
        sqlite_where=_SCHEDULED,
    )
    op.create_index("ix_follow_up_customer", "follow_up", ["customer_id", "status", "due_at"])
    op.create_index("ix_follow_up_ticket", "follow_up", ["ticket_id", "status"])
    op.create_index("ix_follow_up_owner", "follow_up", ["owner_id", "status"])
    op.create_index("ix_follow_up_status", "follow_up", ["status", "due_at"])
    secure(op.get_bind())


def downgrade() -> None:
    op.drop_table("follow_up")
    op.drop_table("delivery_endpoint")
    op.drop_index("ix_delivery_orphaned", "delivery")
    op.drop_column("delivery", "in_flight")
    op.drop_column("delivery", "orphaned")
    op.drop_column("orders", "refunded")
    op.drop_table("shipment")
