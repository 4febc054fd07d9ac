"""customers, orders and contacts are looked up from indexes; agents open contacts

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08

One key finds a customer by a prefix of their name (of its first, second or last word), by
e-mail (whole or a prefix), by phone number however it is punctuated, or by an order's or a
contact's id in any case. Each of those reads an index of a folded key; nothing walks the
customers. The keys are made in Python (`storage.lookup_keys`), the same way for a stored
row and for what the agent types, so they are filled here for the customers already stored.

An agent now opens a contact for a customer who calls or walks in: on PostgreSQL the agents'
groups may insert contacts (`storage.security.WORKER_WRITES`), so the grants are made again.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from storage.lookup_keys import KEY_COLUMNS, customer_keys
from storage.security import secure

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_KEY = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")

#: Customers read and rewritten at a time while their keys are filled.
_PAGE = 2000

_FOLDED_IDS = (
    ("ix_customer_id_folded", "customer"),
    ("ix_orders_id_folded", "orders"),
    ("ix_ticket_id_folded", "ticket"),
)


def _fill_keys() -> None:
    customer = sa.table(
        "customer",
        sa.column("id", sa.String()),
        sa.column("name", sa.Text()),
        sa.column("email", sa.Text()),
        sa.column("phone", sa.Text()),
        *(sa.column(c, sa.Text()) for c in KEY_COLUMNS),
    )
    fill = (
        sa.update(customer)
        .where(customer.c.id == sa.bindparam("key_id"))
        .values({c: sa.bindparam(c) for c in KEY_COLUMNS})
    )
    bind = op.get_bind()
    last: str | None = None
    while True:
        page = sa.select(customer.c.id, customer.c.name, customer.c.email, customer.c.phone)
        if last is not None:
            page = page.where(customer.c.id > last)
        rows = bind.execute(page.order_by(customer.c.id).limit(_PAGE)).all()
        if not rows:
            return
        params: list[dict[str, Any]] = [
            {"key_id": r.id, **customer_keys(r.name, r.email, r.phone)} for r in rows
        ]
        bind.execute(fill, params)
        last = rows[-1].id


def upgrade() -> None:
    with op.batch_alter_table("customer", schema=None) as batch_op:
        for column in KEY_COLUMNS:
            batch_op.add_column(sa.Column(column, _KEY, nullable=True))
    _fill_keys()
    for column in KEY_COLUMNS:
        op.create_index(f"ix_customer_{column}", "customer", [column])
    for name, table in _FOLDED_IDS:
        op.create_index(name, table, [sa.text("lower(id)")])
    secure(op.get_bind())


def downgrade() -> None:
    for name, table in reversed(_FOLDED_IDS):
        op.drop_index(name, table_name=table)
    for column in reversed(KEY_COLUMNS):
        op.drop_index(f"ix_customer_{column}", table_name="customer")
    with op.batch_alter_table("customer", schema=None) as batch_op:
        for column in reversed(KEY_COLUMNS):
            batch_op.drop_column(column)
