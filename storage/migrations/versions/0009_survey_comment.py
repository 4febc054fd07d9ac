"""a survey answer keeps the customer's comment

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05

The metrics spec's survey record carries a free-text `comment`; the importer refused it as an
unknown field, so the spec's own example could not be imported.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.add_column(sa.Column("comment", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.drop_column("comment")
