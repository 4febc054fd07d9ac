"""`caredesk export`: every record as importable JSON Lines, and with `--all` what CareDesk
itself recorded.

Records come out parents first (agents, customers, orders, tickets, interactions, surveys),
each kind in id order, so the file re-imports as it is and exporting what it imported gives
the same bytes. `--all` adds CareDesk's own records: the installed policy versions and team
settings before the customers (a customer's tier must be one the policy knows), then after
the surveys the holds of contacts, the actions with their decisions, their messages to
the systems that fulfil them (the outbox) and the shipments they sent, the follow-ups
promised to customers, each agent's news mark and the audit log, verbatim; and each order
says what executed refunds gave back on it. Tables are read by keyset pages inside one
read transaction, so memory stays flat and the export is one consistent snapshot.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import partial
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


def _agents(connection: Connection) -> Iterator[str]:
    for a in upsert.stream_agents(connection):
        yield _record(
            "agent",
            [
                ("id", a["name"]),
                ("name", a["display_name"]),
                ("role", a["role"]),
                ("email", a["email"]),
                ("active", None if a["active"] else False),
            ],
        )


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


def _orders(connection: Connection, *, everything: bool = False) -> Iterator[str]:
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
                # What executed refunds gave back: CareDesk's own, so `--all` only.
                ("refunded", _money(o["refunded"]) if everything and o["refunded"] else None),
            ],
        )


def _tickets(connection: Connection, *, everything: bool = False) -> Iterator[str]:
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
                ("reopened", t["reopened"]),
                ("handle_seconds", t["handle_seconds"]),
                ("parked_at", _optional(t["parked_at"], _timestamp)),
                ("version", t["version"] if everything else None),
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


def _surveys(connection: Connection) -> Iterator[str]:
    for v in upsert.stream_surveys(connection):
        yield _record(
            "survey",
            [
                ("id", v["id"]),
                ("ticket", v["ticket_id"]),
                ("at", _timestamp(v["at"])),
                ("csat", v["csat"]),
                ("ces", v["ces"]),
                ("nps", v["nps"]),
                ("comment", v["comment"]),
            ],
        )


def _policy_versions(connection: Connection) -> Iterator[str]:
    for v in upsert.stream_recorded(connection, "policy_version"):
        yield _record(
            "policy_version",
            [
                ("id", v["id"]),
                ("installed_at", _timestamp(v["installed_at"])),
                ("installed_by", v["installed_by"]),
                ("fingerprint", v["fingerprint"]),
                ("source", v["source"]),
                ("body", v["body"]),
            ],
        )


def _team_settings(connection: Connection) -> Iterator[str]:
    for v in upsert.stream_recorded(connection, "team_setting"):
        yield _record(
            "team_setting",
            [
                ("id", v["id"]),
                ("installed_at", _timestamp(v["installed_at"])),
                ("installed_by", v["installed_by"]),
                ("source", v["source"]),
                ("body", v["body"]),
            ],
        )


def _deliveries(connection: Connection) -> Iterator[str]:
    for d in upsert.stream_recorded(connection, "delivery"):
        yield _record(
            "delivery",
            [
                ("id", d["id"]),
                ("action", d["action_id"]),
                ("kind", d["kind"]),
                ("webhook_id", d["webhook_id"]),
                ("payload", d["payload"]),
                ("status", d["status"]),
                ("attempts", d["attempts"]),
                ("created_at", _timestamp(d["created_at"])),
                ("next_at", _timestamp(d["next_at"])),
                ("delivered_at", _optional(d["delivered_at"], _timestamp)),
                ("receiver_ref", d["receiver_ref"]),
                ("orphaned", d["orphaned"] or None),
                ("in_flight", True if d["in_flight"] else None),
                ("last_error", d["last_error"]),
                ("response", d["response"]),
            ],
        )


def _shipments(connection: Connection) -> Iterator[str]:
    for s in upsert.stream_recorded(connection, "shipment"):
        yield _record(
            "shipment",
            [
                ("id", s["id"]),
                ("ref", s["ref"]),
                ("order", s["order_id"]),
                ("action", s["action_id"]),
                ("kind", s["kind"]),
                ("items", s["items"]),
                ("status", s["status"]),
                ("created_at", _timestamp(s["created_at"])),
            ],
        )


def _follow_ups(connection: Connection) -> Iterator[str]:
    for f in upsert.stream_recorded(connection, "follow_up"):
        yield _record(
            "follow_up",
            [
                ("id", f["id"]),
                ("ticket", f["ticket_id"]),
                ("customer", f["customer_id"]),
                ("owner", f["owner"]),
                ("kind", f["kind"]),
                ("note", f["note"]),
                ("due_at", _timestamp(f["due_at"])),
                ("status", f["status"]),
                ("created_at", _timestamp(f["created_at"])),
                ("created_by", f["creator"]),
                ("surfaced_at", _optional(f["surfaced_at"], _timestamp)),
                ("done_at", _optional(f["done_at"], _timestamp)),
                ("done_by", f["finisher"]),
            ],
        )


def _holds(connection: Connection) -> Iterator[str]:
    for h in upsert.stream_recorded(connection, "contact_hold"):
        yield _record(
            "hold",
            [
                ("id", h["id"]),
                ("ticket", h["ticket_id"]),
                ("agent", h["agent"]),
                ("started_at", _timestamp(h["started_at"])),
                ("ended_at", _optional(h["ended_at"], _timestamp)),
                ("ended_by", h["ended_by"]),
            ],
        )


def _actions(connection: Connection) -> Iterator[str]:
    for a in upsert.stream_recorded(connection, "action"):
        yield _record(
            "action",
            [
                ("id", a["id"]),
                ("ref", a["ref"]),
                ("kind", a["kind"]),
                ("customer", a["customer_id"]),
                ("order", a["order_id"]),
                ("ticket", a["ticket_id"]),
                ("agent", a["agent"]),
                ("amount", _money(a["amount"])),
                ("currency", a["currency"]),
                ("items", a["items"]),
                ("reason", a["reason"]),
                ("verdict", a["verdict"]),
                ("rule", a["rule"]),
                ("verdict_reason", a["verdict_reason"]),
                ("outside_budget", bool(a["outside_budget"])),
                ("policy_hash", a["policy_hash"]),
                ("status", a["status"]),
                ("requested_at", _timestamp(a["requested_at"])),
                ("decided_at", _optional(a["decided_at"], _timestamp)),
                ("decided_by", a["decider"]),
                ("decision_reason", a["decision_reason"]),
                ("executed_at", _optional(a["executed_at"], _timestamp)),
            ],
        )


def _news(connection: Connection) -> Iterator[str]:
    for a in upsert.stream_agents(connection):
        if a["news_seen_at"] is not None:
            seen = _timestamp(a["news_seen_at"])
            yield _record("agent_news", [("agent", a["name"]), ("seen_at", seen)])


def _audit(connection: Connection) -> Iterator[str]:
    for e in upsert.stream_recorded(connection, "audit_entry"):
        yield _record(
            "audit",
            [
                ("id", e["id"]),
                ("at", _timestamp(e["at"])),
                ("actor", e["actor"]),
                ("action", e["action"]),
                ("entity", e["entity"]),
                ("entity_id", e["entity_id"]),
                ("before", e["before"]),
                ("after", e["after"]),
                ("prev_hash", e["prev_hash"]),
                ("hash", e["hash"]),
                ("seal", e["seal"]),
            ],
        )


Stream = Callable[[Connection], Iterator[str]]

#: What `caredesk export` writes, in order: parents before the records that name them.
RECORDS: tuple[Stream, ...] = (
    _agents,
    _customers,
    _orders,
    _tickets,
    _interactions,
    _surveys,
)
#: What `caredesk export --all` writes: the team's policy before the customers whose tiers
#: it knows, and what CareDesk recorded after the records it is about.
EVERYTHING: tuple[Stream, ...] = (
    _agents,
    _policy_versions,
    _team_settings,
    _customers,
    partial(_orders, everything=True),
    partial(_tickets, everything=True),
    _interactions,
    _surveys,
    _holds,
    _actions,
    _deliveries,
    _shipments,
    _follow_ups,
    _news,
    _audit,
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


def export_all(db: Database, out: TextIO, *, everything: bool = False) -> int:
    """Write every record to `out` as JSON Lines in the import format; returns how many.

    Timestamps are UTC with `Z`, dates YYYY-MM-DD, money a string with two decimals; a field
    with no value is left out. Agents are named by login name, never by database id.
    `everything` adds CareDesk's own records (`caredesk export --all`): imported into an
    empty database they give the same database, audit log and all.
    """
    count = 0
    with _snapshot(db) as connection:
        for stream in EVERYTHING if everything else RECORDS:
            for line in stream(connection):
                out.write(line)
                count += 1
    return count
