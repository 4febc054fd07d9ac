"""who may do what, enforced by PostgreSQL

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08

On PostgreSQL the database login is the agent: this revision makes the schema's group roles
(one per CareDesk role, a read-only monitor and an administrator), grants each what the
workspace needs and nothing more, and adds the triggers that hold for every login, the
tables' owner included (see storage/security.py). Run it as a superuser or a login with
CREATEROLE that owns the tables. SQLite has no logins: nothing changes there.
"""

from __future__ import annotations

from alembic import op

from storage.security import secure, unsecure

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    secure(op.get_bind())


def downgrade() -> None:
    unsecure(op.get_bind())
