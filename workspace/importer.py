"""`caredesk import`: load customers, orders, tickets and interactions from JSON Lines.

The file is read twice so memory stays flat whatever its size: pass 1 validates every line
(keeping only the customer and ticket ids that later lines may refer to), pass 2 re-reads it
and upserts in chunks inside one transaction. Any bad line refuses the whole file.

A record's id may appear more than once in a file: the later line wins, as if the file had
been imported line by line. A line replaces every field of its record, so an optional field
left out clears it. `ImportSummary` counts lines, so a repeated id counts once per line.

Reading a line into a record is `import_records`; reading one field is `import_fields`.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from storage import upsert
from storage.bulk_upsert import BulkUpserter
from storage.engine import Database
from storage.uow import read_session, unit_of_work
from workspace.errors import InputRejected, Problem
from workspace.import_fields import Found, show
from workspace.import_records import PARSERS, Parsed, Rejected, decode, parse_record

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

Progress = Callable[[int, int], None]


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

    def records(self) -> Iterator[tuple[int, Parsed | Found]]:
        """Every non-blank line as a record or the problems found on it."""
        with self.path.open("rb") as handle:
            for raw in self._raw_lines(handle):
                if raw is None:
                    yield self.lines, [(None, f"line is longer than {MAX_LINE_BYTES:,} bytes")]
                elif raw.strip():
                    try:
                        obj = decode(raw, first=self.lines == 1)
                    except Rejected as exc:
                        yield self.lines, [(exc.field, exc.message)]
                        continue
                    yield self.lines, parse_record(obj)
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

    def add(self, lineno: int, parsed: Parsed) -> None:
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
                    message = f"no agent named {show(ref)} in the database"
                else:
                    message = f"no {kind} {show(ref)} earlier in the file or in the database"
                self.problems.add(lineno, field, message)
        self.pending.clear()


class _Batch:
    """Up to CHUNK records, upserted parents first so each chunk satisfies its foreign keys."""

    def __init__(self, agents: dict[str, int]) -> None:
        self.agents = agents
        self.size = 0
        self.pending: dict[str, dict[str, Parsed]] = {kind: {} for kind in PARSERS}
        self.counts: dict[str, int] = dict.fromkeys(PARSERS, 0)

    def add(self, parsed: Parsed) -> None:
        key = parsed.row["ref" if parsed.kind == "interaction" else "id"]
        self.pending[parsed.kind][key] = parsed  # a later line with the same id wins
        self.counts[parsed.kind] += 1
        self.size += 1

    def flush(self, writer: BulkUpserter) -> None:
        found = {kind: list(by_id.values()) for kind, by_id in self.pending.items()}
        writer.customers([p.row for p in found["customer"]])
        writer.orders([(p.row, p.items) for p in found["order"]])
        tickets = []
        for p in found["ticket"]:
            agent = next((ref for _, kind, ref in p.refs if kind == "agent"), None)
            assigned = None if agent is None else self.agents[agent]
            tickets.append({**p.row, "assigned_agent_id": assigned})
        writer.tickets(tickets)
        writer.interactions([p.row for p in found["interaction"]])
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
        if isinstance(result, Parsed):
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
        writer = BulkUpserter(session)
        try:
            batch = _Batch(agents)
            for _, result in scan.records():
                if not isinstance(result, Parsed) or any(
                    kind == "agent" and ref not in agents for _, kind, ref in result.refs
                ):
                    raise _refuse(scan.path, changed)
                batch.add(result)
                if batch.size >= CHUNK:
                    batch.flush(writer)
            batch.flush(writer)
            if scan.digest.hexdigest() != digest:
                raise _refuse(scan.path, changed)
            writer.finish()
        finally:
            writer.close()
    counts = batch.counts
    return ImportSummary(
        customers=counts["customer"],
        orders=counts["order"],
        interactions=counts["interaction"],
        tickets=counts["ticket"],
        lines=scan.lines,
    )
