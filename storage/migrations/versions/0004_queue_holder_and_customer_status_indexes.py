"""queue holder and customer status indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24

Queries that had an index to start from, but not one that narrowed them. The queue's "mine"
walked every active (or open, or resolved) contact to find one agent's: it now reads that
agent's rows in queue order, and `ix_ticket_assigned` goes (the new index starts with its
columns). A customer's compensation and waiting requests were read through every customer's
executed (or requested) actions: they now read that customer's own.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_QUEUE_ORDER = ["sla_due_at", "priority_rank", "opened_at", "id"]


def upgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticket_queue_holder_active", ["assigned_agent_id", "active", *_QUEUE_ORDER]
        )
        batch_op.create_index(
            "ix_ticket_queue_holder_status", ["assigned_agent_id", "status", *_QUEUE_ORDER]
        )
        batch_op.drop_index("ix_ticket_assigned")
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.create_index(
            "ix_action_customer_status", ["customer_id", "status", "requested_at"]
        )


def downgrade() -> None:
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.drop_index("ix_action_customer_status")
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_assigned", ["assigned_agent_id", "active"])
        batch_op.drop_index("ix_ticket_queue_holder_status")
        batch_op.drop_index("ix_ticket_queue_holder_active")
