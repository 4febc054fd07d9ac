"""the audit log seals what moves money or promises; idempotency keys are each agent's

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07

- `audit_entry.seal`: for every entry but a claim, an HMAC of its hash made with the team's
  audit key, which the database never sees: a correctly chained entry forged in SQL has no
  seal that verifies.
- `action_key`: an agent's idempotency key, the request it first named, and the action it
  took. Claimed before the action is decided, so a second submit in flight is told so.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.security import secure
from storage.types import UTCDateTime

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, in place on SQLite (see 0020).
    op.add_column("audit_entry", sa.Column("seal", sa.String(80), nullable=True))
    op.create_table(
        "action_key",
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("agent.id"), primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("first_at", UTCDateTime(), nullable=False),
        sa.Column("action_id", sa.Integer(), sa.ForeignKey("action.id"), nullable=True),
        sa.Column("holder", sa.String(32), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
    )
    secure(op.get_bind())


def downgrade() -> None:
    op.drop_table("action_key")
    op.drop_column("audit_entry", "seal")
