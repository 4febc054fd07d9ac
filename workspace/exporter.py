"""`caredesk export`: every customer, order, ticket and interaction as importable JSON Lines.

Records come out parents first (customers, orders, tickets, interactions), each kind in id
order, so the file re-imports as it is and exporting what it imported gives the same bytes.
Tables are read by keyset pages inside one read transaction, so memory stays flat and the
export is one consistent snapshot.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TextIO

from sqlalchemy import Connection

from storage import upsert
from storage.engine import Database


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def _date(value: date) -> str:
    return value.isoformat()


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _record(kind: str, fields: list[tuple[str, Any]]) -> str:
    """One JSON line; fields whose value is None are left out, as the importer reads them."""
    record: dict[str, Any] = {"type": kind}
    record.update((name, value) for name, value in fields if value is not None)
    return json.dumps(record, ensure_ascii=False) + "\n"


def _optional(value: Any, render: Any) -> Any:
    return None if value is None else render(value)


def _customers(connection: Connection) -> Iterator[str]:
    for c in upsert.stream_customers(connection):
        yield _record(
            "customer",
            [
                ("id", c["id"]),
                ("name", c["name"]),
                ("email", c["email"]),
                ("phone", c["phone"]),
                ("tier", c["tier"]),
                ("since", _optional(c["since"], _date)),
            ],
        )


def _orders(connection: Connection) -> Iterator[str]:
    for o in upsert.stream_orders(connection):
        items = [
            {
                "sku": i["sku"],
                "name": i["name"],
                "price": _money(i["price"]),
                "quantity": i["quantity"],
            }
            for i in o["items"]
        ]
        yield _record(
            "order",
            [
                ("id", o["id"]),
                ("customer", o["customer_id"]),
                ("placed_at", _timestamp(o["placed_at"])),
                ("status", o["status"]),
                ("promised_by", _optional(o["promised_by"], _date)),
                ("delivered_at", _optional(o["delivered_at"], _timestamp)),
                ("items", items),
            ],
        )


def _tickets(connection: Connection) -> Iterator[str]:
    for t in upsert.stream_tickets(connection):
        yield _record(
            "ticket",
            [
                ("id", t["id"]),
                ("customer", t["customer_id"]),
                ("channel", t["channel"]),
                ("subject", t["subject"]),
                ("opened_at", _timestamp(t["opened_at"])),
                ("priority", t["priority"]),
                ("status", t["status"]),
                ("sla_due_at", _timestamp(t["sla_due_at"])),
                ("assigned_to", t["assigned_to"]),
                ("claimed_at", _optional(t["claimed_at"], _timestamp)),
                ("first_response_at", _optional(t["first_response_at"], _timestamp)),
                ("resolved_at", _optional(t["resolved_at"], _timestamp)),
                ("disposition", t["disposition"]),
            ],
        )


def _interactions(connection: Connection) -> Iterator[str]:
    for i in upsert.stream_interactions(connection):
        yield _record(
            "interaction",
            [
                ("id", i["ref"]),
                ("customer", i["customer_id"]),
                ("ticket", i["ticket_id"]),
                ("at", _timestamp(i["at"])),
                ("channel", i["channel"]),
                ("direction", i["direction"]),
                ("kind", i["kind"]),
                ("subject", i["subject"]),
                ("author", i["author"]),
                ("text", i["text"]),
            ],
        )


@contextmanager
def _snapshot(db: Database) -> Iterator[Connection]:
    """One read transaction that sees a single state of the database throughout.

    SQLite's read transaction is a snapshot already; PostgreSQL needs REPEATABLE READ, or a
    ticket committed mid-export could be missing while its interactions are present.
    """
    with db.read.connect() as connection:
        if not db.is_sqlite:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            yield connection


def export_all(db: Database, out: TextIO) -> int:
    """Write every record to `out` as JSON Lines in the import format; returns how many.

    Timestamps are UTC with `Z`, dates YYYY-MM-DD, money a string with two decimals; a field
    with no value is left out. An assigned ticket names its agent by login name, so the
    agents must exist wherever the file is imported.
    """
    count = 0
    with _snapshot(db) as connection:
        for stream in (_customers, _orders, _tickets, _interactions):
            for line in stream(connection):
                out.write(line)
                count += 1
    return count
