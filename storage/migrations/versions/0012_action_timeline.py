"""the customer's timeline pages their actions and decisions from indexes of their own

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-10

Every action a customer was given shows on their timeline twice: when it was asked for, and
when someone decided it (a supervisor approving or denying, the requester withdrawing). Each
is a keyset read, newest first, and a customer can have thousands of actions:

- the actions asked for are read by (requested_at, id). `ix_action_customer` held
  (customer_id, requested_at): SQLite ends every index in the rowid, but PostgreSQL sorted
  all of a customer's actions to order each moment by id. It now ends in the id, which
  serves everything it served before (a longer key of the same start);
- the decisions are read by (decided_at, id), which no index had. A partial index of the
  decided actions alone serves them: the actions the policy executed or denied on its own,
  most of them, are never read past.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_DECIDED = sa.text("decided_by IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_action_customer", table_name="action")
    op.create_index("ix_action_customer", "action", ["customer_id", "requested_at", "id"])
    op.create_index(
        "ix_action_customer_decided",
        "action",
        ["customer_id", "decided_at", "id"],
        postgresql_where=_DECIDED,
        sqlite_where=_DECIDED,
    )


def downgrade() -> None:
    op.drop_index("ix_action_customer_decided", table_name="action")
    op.drop_index("ix_action_customer", table_name="action")
    op.create_index("ix_action_customer", "action", ["customer_id", "requested_at"])
