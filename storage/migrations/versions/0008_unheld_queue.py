"""the unheld queue has its own index; parked contacts leave the worked set; one call
appends to the audit chain

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05

"Next" reads the most urgent contact nobody holds. Through the status index it had to step
over every held contact at the top of the queue (the most urgent are the ones being worked,
and a team holds hundreds), one row fetch each, on every press. Partial indexes of the
unheld contacts alone start where the answer is; a claim takes its row out of them.

`ix_ticket_queue_active(_channel)` go: since parked contacts left the agents' view no query
reads the worked set in queue order without a holder, and every claim wrote to both.

Databases written before 0006 gave parked (pending) contacts `active = true` and no
`parked_at`: they are made what the workspace now writes, parked from this upgrade on (their
SLA clock stops now, not at some guessed earlier time).

On PostgreSQL, `caredesk_append_audit` takes the chain's lock, reads its head and inserts
the entry in one round trip (storage/audit.py): every writer of the team waits on that lock,
so it is held for as short a time as can be.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from storage.audit import append_function, drop_append_function
from storage.types import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_QUEUE_ORDER = ["sla_due_at", "priority_rank", "opened_at", "id"]
_UNHELD = sa.text("assigned_agent_id IS NULL")


def upgrade() -> None:
    ticket = sa.table(
        "ticket",
        sa.column("status", sa.String()),
        sa.column("active", sa.Boolean()),
        sa.column("parked_at", UTCDateTime()),
    )
    op.execute(
        ticket.update()
        .where(ticket.c.status == "pending", ticket.c.active == sa.true())
        .values(active=False)
    )
    op.execute(
        ticket.update()
        .where(ticket.c.status == "pending", ticket.c.parked_at.is_(None))
        .values(parked_at=sa.bindparam("now", datetime.now(UTC), type_=UTCDateTime()))
    )
    op.create_index(
        "ix_ticket_unheld",
        "ticket",
        ["status", *_QUEUE_ORDER],
        postgresql_where=_UNHELD,
        sqlite_where=_UNHELD,
    )
    op.create_index(
        "ix_ticket_unheld_channel",
        "ticket",
        ["status", "channel", *_QUEUE_ORDER],
        postgresql_where=_UNHELD,
        sqlite_where=_UNHELD,
    )
    op.drop_index("ix_ticket_queue_active_channel", table_name="ticket")
    op.drop_index("ix_ticket_queue_active", table_name="ticket")
    append_function(op.get_bind())


def downgrade() -> None:
    drop_append_function(op.get_bind())
    op.create_index("ix_ticket_queue_active", "ticket", ["active", *_QUEUE_ORDER])
    op.create_index(
        "ix_ticket_queue_active_channel", "ticket", ["active", "channel", *_QUEUE_ORDER]
    )
    op.drop_index("ix_ticket_unheld_channel", table_name="ticket")
    op.drop_index("ix_ticket_unheld", table_name="ticket")
