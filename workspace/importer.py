"""`caredesk import`: load customers, orders, tickets and interactions from JSON Lines.

The file is read twice so memory stays flat whatever its size: pass 1 validates every line
(keeping only the customer and ticket ids that later lines may refer to), pass 2 re-reads it
and upserts in chunks inside one transaction. Any bad line refuses the whole file.

A record's id may appear more than once in a file: the later line wins, as if the file had
been imported line by line. A line replaces every field of its record, so an optional field
left out clears it. `ImportSummary` counts lines, so a repeated id counts once per line.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from sqlmodel import Session

from storage import upsert
from storage.engine import Database
from storage.models import PRIORITY_RANK
from storage.types import CENT
from storage.uow import read_session, unit_of_work
from workspace.errors import InputRejected, Problem
from workspace.sla import sla_due

#: Longest line read, newline excluded; a longer one is refused without being held in memory.
MAX_LINE_BYTES = 1024 * 1024
#: Problems listed in full; the rest are counted.
MAX_PROBLEMS = 50
#: Records upserted per round trip to the database.
CHUNK = 2_000
#: References not yet seen in the file that are looked up in the database at a time.
PENDING = 2_000
#: Bytes read between progress reports.
PROGRESS_EVERY = 256 * 1024
#: Largest amount, unit price or order total: far above any order, far below the cents column.
MAX_MONEY = Decimal("999999999999.99")
#: Largest quantity on one order line.
MAX_QUANTITY = 1_000_000

CHANNELS = ("chat", "email", "call", "social", "sms")
DIRECTIONS = ("inbound", "outbound", "internal")
KINDS = ("message", "note")
ORDER_STATUSES = ("pending", "shipped", "delivered", "cancelled", "returned")
TICKET_STATUSES = ("open", "pending", "resolved")
PRIORITIES = tuple(PRIORITY_RANK)

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")
#: Characters no database column takes: NUL (PostgreSQL refuses it) and lone surrogates.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

Progress = Callable[[int, int], None]
Found = list[tuple[str | None, str]]


@dataclass(frozen=True)
class ImportSummary:
    """What one import wrote (nothing is written unless the whole file is good)."""

    customers: int
    """Customer lines imported (inserted, updated or already identical)."""
    orders: int
    """Order lines imported, each with its items."""
    interactions: int
    """Interaction lines imported."""
    tickets: int
    """Ticket lines imported."""
    lines: int
    """Lines in the file, blank ones included."""


class _Parsed(NamedTuple):
    """One good line: the row to upsert, an order's items, and the records it names."""

    kind: str
    """customer, order, interaction or ticket."""
    row: dict[str, Any]
    """Column values for the record's table."""
    items: list[dict[str, Any]]
    """An order's item rows (empty for other kinds)."""
    refs: list[tuple[str, str, str]]
    """(field, customer|ticket|agent, id or name) for each record this one names."""


class _NonFinite:
    """What `NaN`, `Infinity` and `-Infinity` parse to: a value every field refuses."""

    def __init__(self, name: str) -> None:
        self.name = name


class _Bad(Exception):
    """A field value that is not what the field takes; `expected` says what it takes."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


class _Rejected(Exception):
    """A line that is not a record at all (too long, not UTF-8, not JSON)."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _show(value: Any) -> str:
    """A short, terminal-safe rendering of a value a user gave, for a problem message."""
    if isinstance(value, _NonFinite):
        return value.name
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, int | bool) or value is None:
        return json.dumps(value)
    text = str(value)
    text = json.dumps(text if len(text) <= 40 else text[:40] + "…", ensure_ascii=False)
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _Bad("a string")
    if _UNSTORABLE.search(value):
        raise _Bad("text without NUL (\\u0000) or unpaired surrogate characters")
    return value


def _short(limit: int) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if not isinstance(value, str) or not 0 < len(value) <= limit:
            raise _Bad(f"a non-empty string of at most {limit} characters")
        return _text(value)

    return parse


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if value not in options or not isinstance(value, str):
            raise _Bad(f"one of {', '.join(options)}")
        return value

    return parse


def _timestamp(value: Any) -> datetime:
    expected = "an ISO 8601 timestamp with a zone"
    if not isinstance(value, str):
        raise _Bad(expected)
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise _Bad(expected)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise _Bad(expected) from exc


def _date(value: Any) -> date:
    expected = "a date as YYYY-MM-DD"
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise _Bad(expected)
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise _Bad(expected) from exc


def _money(value: Any) -> Decimal:
    expected = (
        f"an amount from 0 to {MAX_MONEY} with at most 2 decimals (a decimal string or number)"
    )
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        value = Decimal(value)
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise _Bad(expected)
    amount = Decimal(value)
    if not amount.is_finite() or not 0 <= amount <= MAX_MONEY or amount != amount.quantize(CENT):
        raise _Bad(expected)
    return amount.quantize(CENT)


def _quantity(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_QUANTITY:
        raise _Bad(f"a whole number from 1 to {MAX_QUANTITY:,}")
    return value


_ident = _short(64)
_short32 = _short(32)
_channel = _choice(CHANNELS)
_direction = _choice(DIRECTIONS)
_kind = _choice(KINDS)
_order_status = _choice(ORDER_STATUSES)
_ticket_status = _choice(TICKET_STATUSES)
_priority = _choice(PRIORITIES)


class _Fields:
    """Reads the fields of one JSON object, collecting a problem for each bad or unknown one."""

    def __init__(
        self, obj: dict[str, Any], what: str, allowed: Iterable[str], prefix: str = ""
    ) -> None:
        self.obj = obj
        self.prefix = prefix
        self.problems: Found = []
        known = {"type", *allowed} if not prefix else set(allowed)
        for key in obj:
            if key not in known:
                takes = ", ".join(sorted(known - {"type"}))
                self.problems.append((prefix + key, f"unknown field (a {what} has {takes})"))

    def get(
        self, name: str, parse: Callable[[Any], Any], *, required: bool = True, default: Any = None
    ) -> Any:
        """The field parsed, or `default` when it is absent, null or bad (bad is recorded)."""
        value = self.obj.get(name)
        if value is None:
            if required:
                got = "missing" if name not in self.obj else "null"
                self.problems.append((self.prefix + name, f"required field is {got}"))
            return default
        try:
            return parse(value)
        except _Bad as exc:
            self.problems.append(
                (self.prefix + name, f"expected {exc.expected}, got {_show(value)}")
            )
            return default


def _parse(obj: Any) -> _Parsed | Found:
    """One decoded line as a record, or every problem found in it."""
    if not isinstance(obj, dict):
        return [(None, f"expected a JSON object (one record a line), got {_show(obj)}")]
    kind = obj.get("type")
    parser = _PARSERS.get(kind) if isinstance(kind, str) else None
    if parser is None:
        got = "nothing" if kind is None else _show(kind)
        return [("type", f"expected one of {', '.join(_PARSERS)}, got {got}")]
    return parser(obj)


def _customer(obj: dict[str, Any]) -> _Parsed | Found:
    f = _Fields(obj, "customer", ("id", "name", "email", "phone", "tier", "since"))
    row = {
        "id": f.get("id", _ident),
        "name": f.get("name", _text),
        "email": f.get("email", _text, required=False),
        "phone": f.get("phone", _text, required=False),
        "tier": f.get("tier", _short32, required=False, default="standard"),
        "since": f.get("since", _date, required=False),
    }
    return f.problems or _Parsed("customer", row, [], [])


def _order(obj: dict[str, Any]) -> _Parsed | Found:
    allowed = ("id", "customer", "placed_at", "status", "promised_by", "delivered_at", "items")
    f = _Fields(obj, "order", allowed)
    row = {
        "id": f.get("id", _ident),
        "customer_id": f.get("customer", _ident),
        "placed_at": f.get("placed_at", _timestamp),
        "status": f.get("status", _order_status),
        "promised_by": f.get("promised_by", _date, required=False),
        "delivered_at": f.get("delivered_at", _timestamp, required=False),
    }
    items: list[dict[str, Any]] = []
    for n, item in enumerate(f.get("items", _array, default=[])):
        i = _Fields(item, "item", ("sku", "name", "price", "quantity"), prefix=f"items[{n}].")
        items.append(
            {
                "order_id": row["id"],
                "line": n + 1,
                "sku": i.get("sku", _ident),
                "name": i.get("name", _text),
                "price": i.get("price", _money),
                "quantity": i.get("quantity", _quantity),
            }
        )
        f.problems += i.problems
    if f.problems:
        return f.problems
    row["total"] = sum((it["price"] * it["quantity"] for it in items), Decimal("0.00"))
    if row["total"] > MAX_MONEY:
        return [("items", f"the order's total is over {MAX_MONEY}")]
    return _Parsed("order", row, items, [("customer", "customer", row["customer_id"])])


def _array(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise _Bad("an array of item objects")
    return value


def _interaction(obj: dict[str, Any]) -> _Parsed | Found:
    required = ("id", "customer", "at", "channel", "direction", "text")
    f = _Fields(obj, "interaction", (*required, "subject", "author", "kind", "ticket"))
    row = {
        "ref": f.get("id", _ident),
        "customer_id": f.get("customer", _ident),
        "ticket_id": f.get("ticket", _ident, required=False),
        "at": f.get("at", _timestamp),
        "channel": f.get("channel", _channel),
        "direction": f.get("direction", _direction),
        "kind": f.get("kind", _kind, required=False, default="message"),
        "subject": f.get("subject", _text, required=False),
        "text": f.get("text", _text),
        "author": f.get("author", _text, required=False),
    }
    if f.problems:
        return f.problems
    refs = [("customer", "customer", row["customer_id"])]
    if row["ticket_id"] is not None:
        refs.append(("ticket", "ticket", row["ticket_id"]))
    return _Parsed("interaction", row, [], refs)


def _ticket(obj: dict[str, Any]) -> _Parsed | Found:
    required = ("id", "customer", "channel", "subject", "opened_at", "priority", "status")
    optional = ("sla_due_at", "assigned_to", "claimed_at", "first_response_at", "resolved_at")
    f = _Fields(obj, "ticket", (*required, *optional, "disposition"))
    row = {
        "id": f.get("id", _ident),
        "customer_id": f.get("customer", _ident),
        "channel": f.get("channel", _channel),
        "subject": f.get("subject", _text),
        "status": f.get("status", _ticket_status),
        "priority": f.get("priority", _priority),
        "opened_at": f.get("opened_at", _timestamp),
        "sla_due_at": f.get("sla_due_at", _timestamp, required=False),
        "claimed_at": f.get("claimed_at", _timestamp, required=False),
        "first_response_at": f.get("first_response_at", _timestamp, required=False),
        "resolved_at": f.get("resolved_at", _timestamp, required=False),
        "disposition": f.get("disposition", _short32, required=False),
    }
    agent = f.get("assigned_to", _ident, required=False)
    if f.problems:
        return f.problems
    row["active"] = row["status"] != "resolved"
    row["priority_rank"] = PRIORITY_RANK[row["priority"]]
    if row["sla_due_at"] is None:
        row["sla_due_at"] = sla_due(row["channel"], row["priority"], row["opened_at"])
    row["assigned_agent_id"] = None  # filled in from `assigned_to` when written
    row["version"] = 0
    refs = [("customer", "customer", row["customer_id"])]
    if agent is not None:
        refs.append(("assigned_to", "agent", agent))
    return _Parsed("ticket", row, [], refs)


_PARSERS: dict[str, Callable[[dict[str, Any]], _Parsed | Found]] = {
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
                raise _Rejected(key, "given more than once in the same object")
            seen.add(key)
    return obj


def _decode(raw: bytes, *, first: bool) -> Any:
    if first and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # a byte order mark is the file's encoding, not part of the record
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at byte {exc.start + 1}"
        raise _Rejected(None, message) from exc
    try:
        return json.loads(
            text, parse_float=Decimal, parse_constant=_NonFinite, object_pairs_hook=_pairs
        )
    except json.JSONDecodeError as exc:
        raise _Rejected(None, f"not valid JSON: {exc.msg} at column {exc.colno}") from exc
    except (ValueError, RecursionError) as exc:
        raise _Rejected(None, f"not valid JSON: {exc}") from exc


class _Scan:
    """One pass over the file: its lines, a digest of its bytes, and progress to report."""

    def __init__(self, path: Path, progress: Progress | None, done: int, total: int) -> None:
        self.path = path
        self.progress = progress
        self.done = done
        self.total = total
        self.reported = done
        self.lines = 0
        self.digest = hashlib.blake2b()

    def _advance(self, raw: bytes) -> None:
        self.digest.update(raw)
        self.done += len(raw)
        if self.progress is not None and self.done - self.reported >= PROGRESS_EVERY:
            self.reported = self.done
            self.progress(self.done, self.total)

    def _raw_lines(self, handle: BinaryIO) -> Iterator[bytes | None]:
        """Each line without its newline; None for a line too long to read."""
        while raw := handle.readline(MAX_LINE_BYTES + 2):
            self.lines += 1
            self._advance(raw)
            body = raw[:-1] if raw.endswith(b"\n") else raw
            if len(body) <= MAX_LINE_BYTES:
                yield body
                continue
            while raw and not raw.endswith(b"\n"):  # skip the rest without holding it
                raw = handle.readline(MAX_LINE_BYTES)
                self._advance(raw)
            yield None

    def records(self) -> Iterator[tuple[int, _Parsed | Found]]:
        """Every non-blank line as a record or the problems found on it."""
        with self.path.open("rb") as handle:
            for raw in self._raw_lines(handle):
                if raw is None:
                    yield self.lines, [(None, f"line is longer than {MAX_LINE_BYTES:,} bytes")]
                elif raw.strip():
                    try:
                        obj = _decode(raw, first=self.lines == 1)
                    except _Rejected as exc:
                        yield self.lines, [(exc.field, exc.message)]
                        continue
                    yield self.lines, _parse(obj)
        if self.progress is not None:
            self.progress(self.done, self.total)


class _Problems:
    """The first MAX_PROBLEMS problems by line, and how many there were in all."""

    def __init__(self) -> None:
        self.count = 0
        self._heap: list[tuple[int, int, str | None, str]] = []  # the kept ones, latest on top

    def add(self, lineno: int, field: str | None, message: str) -> None:
        self.count += 1
        entry = (-lineno, -self.count, field, message)
        if len(self._heap) < MAX_PROBLEMS:
            heapq.heappush(self._heap, entry)
        elif entry > self._heap[0]:
            heapq.heapreplace(self._heap, entry)

    def rejection(self, path: Path) -> InputRejected:
        listed = [
            Problem(where=f"{path.name}:{-line}", field=field, message=message)
            for line, _, field, message in sorted(self._heap, reverse=True)
        ]
        return InputRejected(str(path), listed, more=self.count - len(listed))


class _References:
    """Checks that each record a line names came earlier in the file or is in the database.

    Only customer and ticket ids are kept (nothing names orders or interactions); names not
    seen earlier are looked up in the database in batches.
    """

    def __init__(self, db: Database, problems: _Problems) -> None:
        self.db = db
        self.problems = problems
        self.seen: dict[str, set[str]] = {"customer": set(), "ticket": set()}
        self.pending: list[tuple[int, str, str, str]] = []
        self.agents: dict[str, int] = {}

    def add(self, lineno: int, parsed: _Parsed) -> None:
        for field, kind, ref in parsed.refs:
            known = self.agents if kind == "agent" else self.seen[kind]
            if ref not in known:
                self.pending.append((lineno, field, kind, ref))
        if parsed.kind in self.seen:
            self.seen[parsed.kind].add(parsed.row["id"])
        if len(self.pending) >= PENDING:
            self.resolve()

    def resolve(self) -> None:
        if not self.pending:
            return
        wanted: dict[str, set[str]] = {"customer": set(), "ticket": set(), "agent": set()}
        for _, _, kind, ref in self.pending:
            wanted[kind].add(ref)
        with read_session(self.db) as session:
            self.agents.update(upsert.agent_ids(session, wanted["agent"]))
            found = {
                "customer": upsert.existing_ids(session, "customer", wanted["customer"]),
                "ticket": upsert.existing_ids(session, "ticket", wanted["ticket"]),
                "agent": set(self.agents),
            }
        self.seen["customer"] |= found["customer"]  # later lines naming them need no lookup
        self.seen["ticket"] |= found["ticket"]
        for lineno, field, kind, ref in self.pending:
            if ref not in found[kind]:
                if kind == "agent":
                    message = f"no agent named {_show(ref)} in the database"
                else:
                    message = f"no {kind} {_show(ref)} earlier in the file or in the database"
                self.problems.add(lineno, field, message)
        self.pending.clear()


class _Batch:
    """Up to CHUNK records, upserted parents first so each chunk satisfies its foreign keys."""

    def __init__(self, agents: dict[str, int]) -> None:
        self.agents = agents
        self.size = 0
        self.pending: dict[str, dict[str, _Parsed]] = {kind: {} for kind in _PARSERS}
        self.counts: dict[str, int] = dict.fromkeys(_PARSERS, 0)

    def add(self, parsed: _Parsed) -> None:
        key = parsed.row["ref" if parsed.kind == "interaction" else "id"]
        self.pending[parsed.kind][key] = parsed  # a later line with the same id wins
        self.counts[parsed.kind] += 1
        self.size += 1

    def flush(self, session: Session) -> None:
        found = {kind: list(by_id.values()) for kind, by_id in self.pending.items()}
        upsert.upsert_customers(session, [p.row for p in found["customer"]])
        upsert.upsert_orders(session, [(p.row, p.items) for p in found["order"]])
        tickets = []
        for p in found["ticket"]:
            agent = next((ref for _, kind, ref in p.refs if kind == "agent"), None)
            assigned = None if agent is None else self.agents[agent]
            tickets.append({**p.row, "assigned_agent_id": assigned})
        upsert.upsert_tickets(session, tickets)
        upsert.upsert_interactions(session, [p.row for p in found["interaction"]])
        for by_id in self.pending.values():
            by_id.clear()
        self.size = 0


def import_file(db: Database, path: Path, *, progress: Progress | None = None) -> ImportSummary:
    """Validate `path` whole, then upsert every record in it in one transaction.

    `progress(done, total)` is called now and then with the bytes read over both passes
    (`total` is twice the file's size). Raises `InputRejected`, listing up to 50 problems with
    their line and field, and writes nothing, when any line is bad or the file is unreadable.
    """
    try:
        if not path.is_file():
            raise _refuse(path, "not a file that can be read (give a regular file)")
        total = 2 * path.stat().st_size
        agents, digest = _validate(db, _Scan(path, progress, 0, total))
        return _write(db, _Scan(path, progress, total // 2, total), agents, digest)
    except OSError as exc:
        raise _refuse(path, f"cannot read the file: {exc.strerror or exc}") from exc


def _refuse(path: Path, message: str) -> InputRejected:
    return InputRejected(str(path), [Problem(where=path.name, field=None, message=message)])


def _validate(db: Database, scan: _Scan) -> tuple[dict[str, int], str]:
    """Pass 1: every problem in the file, or else the agents it names and its digest."""
    problems = _Problems()
    references = _References(db, problems)
    for lineno, result in scan.records():
        if isinstance(result, _Parsed):
            references.add(lineno, result)
        else:
            for field, message in result:
                problems.add(lineno, field, message)
    references.resolve()
    if problems.count:
        raise problems.rejection(scan.path)
    return references.agents, scan.digest.hexdigest()


def _write(db: Database, scan: _Scan, agents: dict[str, int], digest: str) -> ImportSummary:
    """Pass 2: upsert the validated file in one transaction, unless it changed since pass 1."""
    changed = "the file changed while it was being imported; nothing was written"
    with unit_of_work(db) as session:
        batch = _Batch(agents)
        for _, result in scan.records():
            if not isinstance(result, _Parsed) or any(
                kind == "agent" and ref not in agents for _, kind, ref in result.refs
            ):
                raise _refuse(scan.path, changed)
            batch.add(result)
            if batch.size >= CHUNK:
                batch.flush(session)
        batch.flush(session)
        if scan.digest.hexdigest() != digest:
            raise _refuse(scan.path, changed)
    counts = batch.counts
    return ImportSummary(
        customers=counts["customer"],
        orders=counts["order"],
        interactions=counts["interaction"],
        tickets=counts["ticket"],
        lines=scan.lines,
    )
