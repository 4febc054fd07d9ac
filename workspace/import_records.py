"""One line of an import file to a record: decode its JSON, then check it as its type.

`decode` turns a line's bytes into JSON values (refusing what is not UTF-8 JSON, or names a
key twice), and `parse_record` checks an object as a customer, order, interaction or
ticket, giving either the row to upsert or every problem found in it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
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
    parse_channel,
    parse_date,
    parse_direction,
    parse_ident,
    parse_items,
    parse_kind,
    parse_money,
    parse_order_status,
    parse_priority,
    parse_quantity,
    parse_short32,
    parse_text,
    parse_ticket_status,
    parse_timestamp,
    show,
    unstorable,
)
from workspace.sla import sla_due
from workspace.vocabulary import DEFAULT_TIER, ContactStatus, InteractionKind, Priority


class Parsed(NamedTuple):
    """One good line: the row to upsert, an order's items, and the records it names."""

    kind: str
    """customer, order, interaction or ticket."""
    row: dict[str, Any]
    """Column values for the record's table."""
    items: list[dict[str, Any]]
    """An order's item rows (empty for other kinds)."""
    refs: list[tuple[str, str, str]]
    """(field, customer|ticket|agent, id or name) for each record this one names."""


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
    f = Fields(obj, "order", allowed)
    row = {
        "id": f.get("id", parse_ident),
        "customer_id": f.get("customer", parse_ident),
        "placed_at": f.get("placed_at", parse_timestamp),
        "status": f.get("status", parse_order_status),
        "promised_by": f.get("promised_by", parse_date, required=False),
        "delivered_at": f.get("delivered_at", parse_timestamp, required=False),
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
    f = Fields(obj, "ticket", (*required, *optional, "disposition"))
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
        "disposition": f.get("disposition", parse_short32, required=False),
    }
    agent = f.get("assigned_to", parse_ident, required=False)
    if f.problems:
        return f.problems
    row["active"] = ContactStatus(row["status"]).active
    row["priority_rank"] = Priority(row["priority"]).rank
    if row["sla_due_at"] is None:
        row["sla_due_at"] = sla_due(row["channel"], row["priority"], row["opened_at"])
    row["assigned_agent_id"] = None  # filled in from `assigned_to` when written
    row["version"] = 0
    refs = [("customer", "customer", row["customer_id"])]
    if agent is not None:
        refs.append(("assigned_to", "agent", agent))
    return Parsed("ticket", row, [], refs)


PARSERS: dict[str, Callable[[dict[str, Any]], Parsed | Found]] = {
    "customer": _customer,
    "order": _order,
    "interaction": _interaction,
    "ticket": _ticket,
}


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise Rejected(key, "given more than once in the same object")
            seen.add(key)
    return obj


#: Built once: `json.loads` with options builds a decoder for every line.
_DECODER = json.JSONDecoder(parse_float=Decimal, parse_constant=NonFinite, object_pairs_hook=_pairs)


def decode(raw: bytes, *, first: bool) -> Any:
    """A line's bytes as JSON values; `Rejected` when not UTF-8 JSON or a key repeats."""
    if first and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # a byte order mark is the file's encoding, not part of the record
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at byte {exc.start + 1}"
        raise Rejected(None, message) from exc
    try:
        if text.startswith("\ufeff"):
            return json.loads(text)  # refused, with the stdlib's own message
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise Rejected(None, f"not valid JSON: {exc.msg} at column {exc.colno}") from exc
    except (ValueError, RecursionError) as exc:
        raise Rejected(None, f"not valid JSON: {exc}") from exc
