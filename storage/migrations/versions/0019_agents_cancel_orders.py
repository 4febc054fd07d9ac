"""an agent's login may cancel an order, as an executed cancel does

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06

An executed `cancel_order` now cancels its order in the action's own transaction, so the
workspace's logins (PostgreSQL) need to update an order's status, and nothing else of it.
"""

from __future__ import annotations

from alembic import op

from storage.security import secure

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    secure(op.get_bind())


def downgrade() -> None:
    pass  # the grant goes with the schema; an older CareDesk never cancels an order
