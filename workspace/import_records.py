"""One line of an import file to a record: decode its JSON, then check it as its type.

`decode` turns a line's bytes into JSON values (refusing what is not UTF-8 JSON, or names a
key twice), and `parse_record` checks an object as one record of its `type` (an agent,
customer, order, ticket, interaction or survey, or one of CareDesk's own records that
`caredesk export --all` writes), giving either the row to write or every problem found in
it. What a line can only be checked against its file and database (references, tiers, the
audit chain) is checked by `workspace.importer`, which also gives a ticket without
`sla_due_at` the due time of the team's service levels (`workspace.import_clocks`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from workspace.import_fields import (
    CHANNELS,
    DIRECTIONS,
    KINDS,
    MAX_MONEY,
    BadValue,
    Fields,
    Found,
    NonFinite,
    one_of,
    parse_action_kind,
    parse_action_status,
    parse_channel,
    parse_count,
    parse_currency,
    parse_date,
    parse_direction,
    parse_display_name,
    parse_disposition,
    parse_flag,
    parse_hash,
    parse_ident,
    parse_items,
    parse_kind,
    parse_money,
    parse_number,
    parse_order_status,
    parse_priority,
    parse_quantity,
    parse_role,
    parse_seal,
    parse_short16,
    parse_short32,
    parse_text,
    parse_ticket_status,
    parse_timestamp,
    parse_verdict,
    show,
    show_key,
    unstorable,
    whole,
)
from workspace.vocabulary import (
    DEFAULT_TIER,
    ActionKind,
    ContactStatus,
    FollowUpKind,
    FollowUpStatus,
    HoldEnd,
    InteractionKind,
    Priority,
    ShipmentStatus,
)


class Parsed(NamedTuple):
    """One good line: the row to upsert, an order's items, and the records it names."""

    kind: str
    """The record's `type`: one of `PARSERS`."""
    row: dict[str, Any]
    """Column values for the record's table (agents are named, not numbered: see `refs`)."""
    items: list[dict[str, Any]]
    """An order's item rows (empty for other kinds)."""
    refs: list[tuple[str, str, str]]
    """(field, customer|order|ticket|agent, id or login name) for each record this one names."""


class Rejected(Exception):
    """A line that is not a record at all (too long, not UTF-8, not JSON)."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def parse_record(obj: Any) -> Parsed | Found:
    """One decoded line as a record, or every problem found in it."""
    if not isinstance(obj, dict):
        return [(None, f"expected a JSON object (one record a line), got {show(obj)}")]
    kind = obj.get("type")
    parser = PARSERS.get(kind) if isinstance(kind, str) else None
    if parser is None:
        got = "nothing" if kind is None else show(kind)
        return [("type", f"expected one of {', '.join(PARSERS)}, got {got}")]
    return parser(obj)


def _agent(obj: dict[str, Any]) -> Parsed | Found:
    f = Fields(obj, "agent", ("id", "name", "role", "email", "active"))
    row = {
        "name": f.get("id", parse_ident),
        "display_name": f.get("name", parse_display_name),
        "role": f.get("role", parse_role),
        "email": f.get("email", parse_text, required=False),
        "active": f.get("active", parse_flag, required=False, default=True),
    }
    return f.problems or Parsed("agent", row, [], [])


def _customer(obj: dict[str, Any]) -> Parsed | Found:
    f = Fields(obj, "customer", ("id", "name", "email", "phone", "tier", "since"))
    row = {
        "id": f.get("id", parse_ident),
        "name": f.get("name", parse_text),
        "email": f.get("email", parse_text, required=False),
        "phone": f.get("phone", parse_text, required=False),
        "tier": f.get("tier", parse_short32, required=False, default=DEFAULT_TIER),
        "since": f.get("since", parse_date, required=False),
    }
    return f.problems or Parsed("customer", row, [], [])


def _order(obj: dict[str, Any]) -> Parsed | Found:
    allowed = ("id", "customer", "placed_at", "status", "promised_by", "delivered_at", "items")
    f = Fields(obj, "order", (*allowed, "refunded"))
    row = {
        "id": f.get("id", parse_ident),
        "customer_id": f.get("customer", parse_ident),
        "placed_at": f.get("placed_at", parse_timestamp),
        "status": f.get("status", parse_order_status),
        "promised_by": f.get("promised_by", parse_date, required=False),
        "delivered_at": f.get("delivered_at", parse_timestamp, required=False),
        # CareDesk's own (`export --all`): None leaves what the database holds alone.
        "refunded": f.get("refunded", parse_money, required=False),
    }
    items: list[dict[str, Any]] = []
    for n, item in enumerate(f.get("items", parse_items, default=[])):
        i = Fields(item, "item", ("sku", "name", "price", "quantity"), prefix=f"items[{n}].")
        items.append(
            {
                "order_id": row["id"],
                "line": n + 1,
                "sku": i.get("sku", parse_ident),
                "name": i.get("name", parse_text),
                "price": i.get("price", parse_money),
                "quantity": i.get("quantity", parse_quantity),
            }
        )
        f.problems += i.problems
    if f.problems:
        return f.problems
    row["total"] = sum((it["price"] * it["quantity"] for it in items), Decimal("0.00"))
    if row["total"] > MAX_MONEY:
        return [("items", f"the order's total is over {MAX_MONEY}")]
    return Parsed("order", row, items, [("customer", "customer", row["customer_id"])])


_INTERACTION_KEYS = frozenset(
    {"type", "id", "customer", "at", "channel", "direction", "text", "subject", "author"}
    | {"kind", "ticket"}
)
_MESSAGE = InteractionKind.MESSAGE.value
_CHANNELS = frozenset(CHANNELS)
_DIRECTIONS = frozenset(DIRECTIONS)
_KINDS = frozenset(KINDS)


def _fast_interaction(obj: dict[str, Any]) -> Parsed | None:
    """`_interaction` for a line with nothing wrong, in plain Python; None to look closer.

    Accepts only what `_interaction` accepts and gives the same row, so any doubt goes to it.
    """
    if not obj.keys() <= _INTERACTION_KEYS:
        return None
    get = obj.get
    ref, customer, ticket = get("id"), get("customer"), get("ticket")
    at, channel, direction = get("at"), get("channel"), get("direction")
    kind, subject, text, author = get("kind", _MESSAGE), get("subject"), get("text"), get("author")
    if kind is None:
        kind = _MESSAGE
    if not (
        type(ref) is str
        and type(customer) is str
        and type(text) is str
        and type(at) is str
        and 0 < len(ref) <= 64
        and 0 < len(customer) <= 64
        and (ticket is None or (type(ticket) is str and 0 < len(ticket) <= 64))
        and (subject is None or type(subject) is str)
        and (author is None or type(author) is str)
        and type(channel) is str
        and channel in _CHANNELS
        and type(direction) is str
        and direction in _DIRECTIONS
        and type(kind) is str
        and kind in _KINDS
    ):
        return None
    for value in (ref, customer, ticket, subject, text, author):
        if value is not None and unstorable(value):
            return None
    try:
        moment = parse_timestamp(at)
    except BadValue:
        return None
    row = {
        "ref": ref,
        "customer_id": customer,
        "ticket_id": ticket,
        "at": moment,
        "channel": channel,
        "direction": direction,
        "kind": kind,
        "subject": subject,
        "text": text,
        "author": author,
    }
    refs = [("customer", "customer", customer)]
    if ticket is not None:
        refs.append(("ticket", "ticket", ticket))
    return Parsed("interaction", row, [], refs)


def _interaction(obj: dict[str, Any]) -> Parsed | Found:
    return _fast_interaction(obj) or _interaction_fields(obj)


def _interaction_fields(obj: dict[str, Any]) -> Parsed | Found:
    required = ("id", "customer", "at", "channel", "direction", "text")
    f = Fields(obj, "interaction", (*required, "subject", "author", "kind", "ticket"))
    row = {
        "ref": f.get("id", parse_ident),
        "customer_id": f.get("customer", parse_ident),
        "ticket_id": f.get("ticket", parse_ident, required=False),
        "at": f.get("at", parse_timestamp),
        "channel": f.get("channel", parse_channel),
        "direction": f.get("direction", parse_direction),
        "kind": f.get("kind", parse_kind, required=False, default=_MESSAGE),
        "subject": f.get("subject", parse_text, required=False),
        "text": f.get("text", parse_text),
        "author": f.get("author", parse_text, required=False),
    }
    if f.problems:
        return f.problems
    refs = [("customer", "customer", row["customer_id"])]
    if row["ticket_id"] is not None:
        refs.append(("ticket", "ticket", row["ticket_id"]))
    return Parsed("interaction", row, [], refs)


def _ticket(obj: dict[str, Any]) -> Parsed | Found:
    required = ("id", "customer", "channel", "subject", "opened_at", "priority", "status")
    optional = ("sla_due_at", "assigned_to", "claimed_at", "first_response_at", "resolved_at")
    counts = ("reopened", "handle_seconds", "parked_at", "version")
    f = Fields(obj, "ticket", (*required, *optional, "disposition", *counts))
    row = {
        "id": f.get("id", parse_ident),
        "customer_id": f.get("customer", parse_ident),
        "channel": f.get("channel", parse_channel),
        "subject": f.get("subject", parse_text),
        "status": f.get("status", parse_ticket_status),
        "priority": f.get("priority", parse_priority),
        "opened_at": f.get("opened_at", parse_timestamp),
        "sla_due_at": f.get("sla_due_at", parse_timestamp, required=False),
        "claimed_at": f.get("claimed_at", parse_timestamp, required=False),
        "first_response_at": f.get("first_response_at", parse_timestamp, required=False),
        "resolved_at": f.get("resolved_at", parse_timestamp, required=False),
        "disposition": f.get("disposition", parse_disposition, required=False),
        "reopened": f.get("reopened", parse_count, required=False, default=0),
        "handle_seconds": f.get("handle_seconds", parse_count, required=False),
        "parked_at": f.get("parked_at", parse_timestamp, required=False),
        "version": f.get("version", parse_count, required=False, default=0),
    }
    agent = f.get("assigned_to", parse_ident, required=False)
    if f.problems:
        return f.problems
    status = ContactStatus(row["status"])
    row["active"] = status.active
    row["priority_rank"] = Priority(row["priority"]).rank
    if status.parked and row["parked_at"] is None:
        row["parked_at"] = parked_at_of(row)
    # Without `sla_due_at` the row leaves it None, for the importer to fill in.
    row["assigned_agent_id"] = None  # filled in from `assigned_to` when written
    refs = [("customer", "customer", row["customer_id"])]
    if agent is not None:
        refs.append(("assigned_to", "agent", agent))
    return Parsed("ticket", row, [], refs)


def parked_at_of(row: dict[str, Any]) -> datetime:
    """When a pending ticket whose source gave no parking time was parked: the last thing
    known to have happened on it (opened, first answered or claimed)."""
    moments: list[datetime | None] = [row[name] for name in _PARKED_AFTER]
    return max(moment for moment in moments if moment is not None)


_PARKED_AFTER = ("opened_at", "first_response_at", "claimed_at")


_ANSWERS = (("csat", 1, 5), ("ces", 1, 7), ("nps", 0, 10))
"""Each survey answer and its scale (specs/metrics.md)."""


def _survey(obj: dict[str, Any]) -> Parsed | Found:
    answers = (name for name, _, _ in _ANSWERS)
    f = Fields(obj, "survey", ("id", "ticket", "at", *answers, "comment"))
    row = {
        "id": f.get("id", parse_ident),
        "ticket_id": f.get("ticket", parse_ident),
        "at": f.get("at", parse_timestamp),
    }
    for name, low, high in _ANSWERS:
        row[name] = f.get(name, whole(low, high), required=False)
    row["comment"] = f.get("comment", parse_text, required=False)
    if f.problems:
        return f.problems
    if all(row[name] is None for name, _, _ in _ANSWERS):
        return [(None, "expected at least one answer: csat (1-5), ces (1-7) or nps (0-10)")]
    return Parsed("survey", row, [], [("ticket", "ticket", row["ticket_id"])])


# CareDesk's own records: what `caredesk export --all` adds to the records above.


def _policy_version(obj: dict[str, Any]) -> Parsed | Found:
    keys = ("id", "installed_at", "installed_by", "fingerprint", "source", "body")
    f = Fields(obj, "policy_version", keys)
    row = {
        "id": f.get("id", parse_number),
        "installed_at": f.get("installed_at", parse_timestamp),
        "installed_by": f.get("installed_by", parse_ident),
        "fingerprint": f.get("fingerprint", parse_short16),
        "source": f.get("source", parse_text),
        "body": f.get("body", parse_text),
    }
    return f.problems or Parsed("policy_version", row, [], [])


def _team_setting(obj: dict[str, Any]) -> Parsed | Found:
    f = Fields(obj, "team_setting", ("id", "installed_at", "installed_by", "source", "body"))
    row = {
        "id": f.get("id", parse_number),
        "installed_at": f.get("installed_at", parse_timestamp),
        "installed_by": f.get("installed_by", parse_ident),
        "source": f.get("source", parse_text),
        "body": f.get("body", parse_text),
    }
    return f.problems or Parsed("team_setting", row, [], [])


_ACTION_REQUIRED = (
    "id", "ref", "kind", "customer", "agent", "amount", "currency", "reason", "verdict", "rule",
    "verdict_reason", "policy_hash", "status", "requested_at",
)  # fmt: skip
_ACTION_OPTIONAL = (
    "order", "ticket", "items", "outside_budget", "decided_at", "decided_by", "decision_reason",
    "executed_at",
)  # fmt: skip


def _action(obj: dict[str, Any]) -> Parsed | Found:
    f = Fields(obj, "action", (*_ACTION_REQUIRED, *_ACTION_OPTIONAL))
    row = {
        "id": f.get("id", parse_number),
        "ref": f.get("ref", parse_ident),
        "kind": f.get("kind", parse_action_kind),
        "customer_id": f.get("customer", parse_ident),
        "order_id": f.get("order", parse_ident, required=False),
        "ticket_id": f.get("ticket", parse_ident, required=False),
        "amount": f.get("amount", parse_money),
        "currency": f.get("currency", parse_currency),
        "items": f.get("items", parse_text, required=False),
        "reason": f.get("reason", parse_text),
        "verdict": f.get("verdict", parse_verdict),
        "rule": f.get("rule", parse_text),
        "verdict_reason": f.get("verdict_reason", parse_text),
        "outside_budget": f.get("outside_budget", parse_flag, required=False, default=False),
        "policy_hash": f.get("policy_hash", parse_short16),
        "status": f.get("status", parse_action_status),
        "requested_at": f.get("requested_at", parse_timestamp),
        "decided_at": f.get("decided_at", parse_timestamp, required=False),
        "decision_reason": f.get("decision_reason", parse_text, required=False),
        "executed_at": f.get("executed_at", parse_timestamp, required=False),
    }
    agent = f.get("agent", parse_ident)
    decider = f.get("decided_by", parse_ident, required=False)
    if f.problems:
        return f.problems
    refs = [("customer", "customer", row["customer_id"]), ("agent", "agent", agent)]
    for field, kind in (("order", "order"), ("ticket", "ticket")):
        if row[f"{field}_id"] is not None:
            refs.append((field, kind, row[f"{field}_id"]))
    if decider is not None:
        refs.append(("decided_by", "agent", decider))
    return Parsed("action", row, [], refs)


_HOLD_ENDS = tuple(HoldEnd)


def _hold(obj: dict[str, Any]) -> Parsed | Found:
    keys = ("id", "ticket", "agent", "started_at", "ended_at", "ended_by")
    f = Fields(obj, "hold", keys)
    row = {
        "id": f.get("id", parse_number),
        "ticket_id": f.get("ticket", parse_ident),
        "started_at": f.get("started_at", parse_timestamp),
        "ended_at": f.get("ended_at", parse_timestamp, required=False),
        "ended_by": f.get("ended_by", one_of(_HOLD_ENDS), required=False),
    }
    agent = f.get("agent", parse_ident)
    if f.problems:
        return f.problems
    if (row["ended_at"] is None) != (row["ended_by"] is None):
        given, missing = (
            ("ended_at", "ended_by") if row["ended_by"] is None else ("ended_by", "ended_at")
        )
        return [(missing, f"expected with {given}: a hold that ended says when and how")]
    if row["ended_at"] is not None and row["ended_at"] < row["started_at"]:
        return [("ended_at", "expected no earlier than started_at")]
    refs = [("ticket", "ticket", row["ticket_id"]), ("agent", "agent", agent)]
    return Parsed("hold", row, [], refs)


_DELIVERY_STATES = ("queued", "retrying", "delivered", "failed")


def _delivery(obj: dict[str, Any]) -> Parsed | Found:
    required = ("id", "action", "kind", "webhook_id", "payload", "status", "attempts")
    optional = (
        "delivered_at", "receiver_ref", "orphaned", "in_flight", "last_error", "response",
    )  # fmt: skip
    f = Fields(obj, "delivery", (*required, "created_at", "next_at", *optional))
    row = {
        "id": f.get("id", parse_number),
        "action_id": f.get("action", parse_number),
        "kind": f.get("kind", parse_action_kind),
        "webhook_id": f.get("webhook_id", parse_ident),
        "payload": f.get("payload", parse_text),
        "status": f.get("status", one_of(_DELIVERY_STATES)),
        "attempts": f.get("attempts", parse_count),
        "created_at": f.get("created_at", parse_timestamp),
        "next_at": f.get("next_at", parse_timestamp),
        "delivered_at": f.get("delivered_at", parse_timestamp, required=False),
        "receiver_ref": f.get("receiver_ref", parse_text, required=False),
        "orphaned": f.get("orphaned", parse_count, required=False, default=0),
        "in_flight": f.get("in_flight", parse_flag, required=False, default=False),
        "last_error": f.get("last_error", parse_text, required=False),
        "response": f.get("response", parse_text, required=False),
    }
    if f.problems:
        return f.problems
    return Parsed("delivery", row, [], [])


_SHIPPED = (ActionKind.RESHIP.value, ActionKind.REPLACEMENT.value)
"""The actions that send the customer something."""
_SHIPMENT_STATES = tuple(ShipmentStatus)


def _parse_skus(value: Any) -> str:
    """The SKUs a shipment sends: text holding a JSON array of strings, kept as given."""
    expected = 'text holding a JSON array of SKUs (["BL-200"])'
    text = parse_text(value)
    try:
        skus = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BadValue(expected) from exc
    if not isinstance(skus, list) or not all(isinstance(sku, str) for sku in skus):
        raise BadValue(expected)
    return text


def _shipment(obj: dict[str, Any]) -> Parsed | Found:
    keys = ("id", "ref", "order", "action", "kind", "items", "status", "created_at")
    f = Fields(obj, "shipment", keys)
    row = {
        "id": f.get("id", parse_number),
        "ref": f.get("ref", parse_short32),
        "order_id": f.get("order", parse_ident),
        "action_id": f.get("action", parse_number),
        "kind": f.get("kind", one_of(_SHIPPED)),
        "items": f.get("items", _parse_skus),
        "status": f.get("status", one_of(_SHIPMENT_STATES)),
        "created_at": f.get("created_at", parse_timestamp),
    }
    if f.problems:
        return f.problems
    return Parsed("shipment", row, [], [("order", "order", row["order_id"])])


_FOLLOW_UP_KINDS = tuple(FollowUpKind)
_FOLLOW_UP_STATES = tuple(FollowUpStatus)
_FOLLOW_UP_REQUIRED = (
    "id", "ticket", "customer", "kind", "due_at", "status", "created_at", "created_by",
)  # fmt: skip
_FOLLOW_UP_OPTIONAL = ("owner", "note", "surfaced_at", "done_at", "done_by")


def _follow_up(obj: dict[str, Any]) -> Parsed | Found:
    f = Fields(obj, "follow_up", (*_FOLLOW_UP_REQUIRED, *_FOLLOW_UP_OPTIONAL))
    row = {
        "id": f.get("id", parse_number),
        "ticket_id": f.get("ticket", parse_ident),
        "customer_id": f.get("customer", parse_ident),
        "kind": f.get("kind", one_of(_FOLLOW_UP_KINDS)),
        "note": f.get("note", parse_text, required=False, default=""),
        "due_at": f.get("due_at", parse_timestamp),
        "status": f.get("status", one_of(_FOLLOW_UP_STATES)),
        "created_at": f.get("created_at", parse_timestamp),
        "surfaced_at": f.get("surfaced_at", parse_timestamp, required=False),
        "done_at": f.get("done_at", parse_timestamp, required=False),
    }
    owner = f.get("owner", parse_ident, required=False)
    creator = f.get("created_by", parse_ident)
    finisher = f.get("done_by", parse_ident, required=False)
    if f.problems:
        return f.problems
    found = _follow_up_stage(FollowUpStatus(row["status"]), row, finisher)
    if found:
        return found
    refs = [
        ("ticket", "ticket", row["ticket_id"]),
        ("customer", "customer", row["customer_id"]),
        ("created_by", "agent", creator),
    ]
    for field, name in (("owner", owner), ("done_by", finisher)):
        if name is not None:
            refs.append((field, "agent", name))
    return Parsed("follow_up", row, [], refs)


def _follow_up_stage(status: FollowUpStatus, row: dict[str, Any], finisher: str | None) -> Found:
    """What a follow-up must and must not say at its status: one done says when (and may
    say who), one that fell due says when it did, one scheduled says neither."""
    done = status is FollowUpStatus.DONE
    if done and row["done_at"] is None:
        return [("done_at", "expected with status done: a follow-up done says when")]
    found: Found = []
    if not done:
        for field, value in (("done_at", row["done_at"]), ("done_by", finisher)):
            if value is not None:
                found.append((field, f"expected only with status done, not {status.value}"))
    if status is FollowUpStatus.DUE and row["surfaced_at"] is None:
        found.append(("surfaced_at", "expected with status due: when it fell due"))
    if status is FollowUpStatus.SCHEDULED and row["surfaced_at"] is not None:
        found.append(("surfaced_at", "expected only once it fell due, not while scheduled"))
    return found


def _agent_news(obj: dict[str, Any]) -> Parsed | Found:
    f = Fields(obj, "agent_news", ("agent", "seen_at"))
    row = {"name": f.get("agent", parse_ident), "news_seen_at": f.get("seen_at", parse_timestamp)}
    return f.problems or Parsed("agent_news", row, [], [("agent", "agent", row["name"])])


def _audit(obj: dict[str, Any]) -> Parsed | Found:
    keys = ("id", "at", "actor", "action", "entity", "entity_id", "before", "after")
    f = Fields(obj, "audit", (*keys, "prev_hash", "hash", "seal"))
    row = {
        "id": f.get("id", parse_number),
        "at": f.get("at", parse_timestamp),
        "actor": f.get("actor", parse_ident),
        "action": f.get("action", parse_short32),
        "entity": f.get("entity", parse_short32),
        "entity_id": f.get("entity_id", parse_ident),
        "before": f.get("before", parse_text, required=False),
        "after": f.get("after", parse_text, required=False),
        "prev_hash": f.get("prev_hash", parse_hash),
        "hash": f.get("hash", parse_hash),
        "seal": f.get("seal", parse_seal, required=False),
    }
    return f.problems or Parsed("audit", row, [], [])


PARSERS: dict[str, Callable[[dict[str, Any]], Parsed | Found]] = {
    "agent": _agent,
    "customer": _customer,
    "order": _order,
    "interaction": _interaction,
    "ticket": _ticket,
    "survey": _survey,
    "policy_version": _policy_version,
    "team_setting": _team_setting,
    "hold": _hold,
    "action": _action,
    "delivery": _delivery,
    "shipment": _shipment,
    "follow_up": _follow_up,
    "agent_news": _agent_news,
    "audit": _audit,
}
"""Every record type, by its `type`."""

RECORDED = frozenset(
    {"policy_version", "team_setting", "hold", "action", "delivery", "shipment", "follow_up"}
    | {"agent_news", "audit"}
)
"""CareDesk's own records (`caredesk export --all`): they go only into a database that
holds none yet."""


#: Deepest nesting a line may have: no record nests more than three levels (an order's items).
DEEPEST = 64


class _Repeated(Exception):
    """A key given twice in one object, found while decoding (its path is found after)."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _Repeated
    return obj


def _number(text: str) -> Decimal | NonFinite:
    """A JSON number with a fraction or exponent, exactly; one Decimal cannot hold
    (`1e-99999999999999999999`) is refused by every field, as NaN is."""
    try:
        return Decimal(text)
    except ArithmeticError:  # decimal.InvalidOperation, which is not a ValueError
        return NonFinite(f"a number out of range ({text[:20]}...)")


def _whole(text: str) -> int | NonFinite:
    """A JSON integer; one past the 4,300 digits Python converts is refused by every field."""
    if len(text) > 4_000:
        return NonFinite(f"a number of {len(text.lstrip('-')):,} digits")
    return int(text)


class _Marked(dict[str, Any]):
    """An object whose key `repeated` was given twice (the marking decoder's)."""

    repeated: str


def _marking_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = _Marked(pairs)
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            obj.repeated = key
            break
        seen.add(key)
    return obj


#: Built once: `json.loads` with options builds a decoder for every line.
_DECODER = json.JSONDecoder(parse_float=_number, parse_constant=NonFinite, object_pairs_hook=_pairs)
#: What a line that the fast decoder refused is decoded again with, to say where it went wrong.
_CAREFUL = json.JSONDecoder(
    parse_float=_number,
    parse_int=_whole,
    parse_constant=NonFinite,
    object_pairs_hook=_marking_pairs,
)
#: A JSON string or a structural character: enough to follow the nesting of a line.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[][{}:,]')


def _step(part: str | int) -> str:
    return f"[{part}]" if isinstance(part, int) else f".{show_key(part)}"


def _too_deep(text: str) -> str | None:
    """The key path at which `text` nests deeper than DEEPEST (`""` at the top), or None.

    Read by following its tokens, not by decoding it: a line of a million `[` would end
    the stdlib's decoder in a RecursionError, and one of a hundred already nests too deep.
    """
    path: list[list[Any]] = []  # [kind, key or index] of each open container
    last = ""
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token[0] == '"':
            last = token
        elif token in "[{":
            if len(path) >= DEEPEST:
                return "".join(_step(part) for _, part in path if part is not None).lstrip(".")
            path.append([token, 0 if token == "[" else None])
        elif token in "]}":
            if path:
                path.pop()
        elif token == ":" and path and path[-1][0] == "{":
            try:
                path[-1][1] = json.loads(last)
            except ValueError:
                path[-1][1] = last
        elif token == "," and path and path[-1][0] == "[":
            path[-1][1] += 1
    return None


def _repeated_at(value: Any, path: str = "") -> str | None:
    """The key path of the first key given twice in a value the marking decoder made."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, _Marked) and hasattr(item, "repeated"):
            return f"{at}.{show_key(item.repeated)}".lstrip(".")
        if isinstance(item, dict):
            stack += [(v, f"{at}.{show_key(k)}") for k, v in reversed(item.items())]
        elif isinstance(item, list):
            stack += [(v, f"{at}[{i}]") for i, v in reversed(list(enumerate(item)))]
    return None


def decode(raw: bytes, *, first: bool) -> Any:
    """A line's bytes as JSON values; `Rejected` when not UTF-8 JSON, nested deeper than
    DEEPEST or a key repeats (naming its key path). NaN, Infinity and numbers no field can
    hold decode to `NonFinite`, which every field refuses at its own key path."""
    if first and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # a byte order mark is the file's encoding, not part of the record
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at byte {exc.start + 1}"
        raise Rejected(None, message) from exc
    if raw.count(b"[") + raw.count(b"{") > DEEPEST:  # only such a line can nest too deep
        deep = _too_deep(text)
        if deep is not None:  # a path of list positions only (`[0][0]...`) says nothing
            field = None if deep.startswith("[") else deep
            raise Rejected(field, f"nested more than {DEEPEST} levels deep")
    try:
        if text.startswith("\ufeff"):
            return json.loads(text)  # refused, with the stdlib's own message
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise Rejected(None, f"not valid JSON: {exc.msg} at column {exc.colno}") from exc
    except (_Repeated, ValueError):  # a repeated key, or an integer too long for int()
        pass
    try:
        value = _CAREFUL.decode(text)
    except (ValueError, RecursionError) as exc:
        raise Rejected(None, f"not valid JSON: {exc}") from exc
    repeated = _repeated_at(value)
    if repeated is not None:
        raise Rejected(repeated, "given more than once in the same object")
    return value
