"""`caredesk import`: load customers, orders, tickets and interactions from JSON Lines.

The file is read once, in one transaction, and memory stays flat whatever its size: each
chunk of lines is checked (the references it makes are resolved against what came earlier
in the file, or the database) and then upserted. A bad line stops the writing; the rest of
the file is still read so that every problem is listed, and the transaction is rolled back.
Any bad line refuses the whole file.

A record's id may appear more than once in a file: the later line wins, as if the file had
been imported line by line. A line replaces every field of its record, so an optional field
left out clears it. `ImportSummary` counts lines, so a repeated id counts once per line.

Reading a line into a record is `import_records`; reading one field is `import_fields`.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlmodel import Session

from storage import upsert
from storage.bulk_upsert import BulkUpserter
from storage.engine import Database
from storage.uow import unit_of_work
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
    """One pass over the file: its lines, and progress to report."""

    def __init__(self, path: Path, progress: Progress | None, done: int, total: int) -> None:
        self.path = path
        self.progress = progress
        self.done = done
        self.total = total
        self.reported = done
        self.lines = 0

    def _advance(self, raw: bytes) -> None:
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
    seen earlier are looked up in the database in batches, inside the import's transaction.
    """

    def __init__(self, session: Session, problems: _Problems) -> None:
        self.session = session
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
        session = self.session
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
        self.clear()

    def clear(self) -> None:
        """Drop the records held (written, or not to be written)."""
        for by_id in self.pending.values():
            by_id.clear()
        self.size = 0


def import_file(db: Database, path: Path, *, progress: Progress | None = None) -> ImportSummary:
    """Check and upsert every record in `path` in one transaction, in one pass.

    `progress(done, total)` is called now and then with the bytes read (`total` is the
    file's size). Raises `InputRejected`, listing up to 50 problems with their line and
    field, and writes nothing, when any line is bad or the file is unreadable.
    """
    try:
        if not path.is_file():
            raise _refuse(path, "not a file that can be read (give a regular file)")
        return _import(db, _Scan(path, progress, 0, path.stat().st_size))
    except OSError as exc:
        raise _refuse(path, f"cannot read the file: {exc.strerror or exc}") from exc


def _refuse(path: Path, message: str) -> InputRejected:
    return InputRejected(str(path), [Problem(where=path.name, field=None, message=message)])


def _import(db: Database, scan: _Scan) -> ImportSummary:
    """Read the file once: check each chunk, then write it, unless a problem was found.

    A chunk is written only once every reference in it is resolved, so the database never
    sees a line that names something missing. After the first problem nothing more is
    written; the file is read to its end to list every problem, and raising rolls back
    what was written.
    """
    problems = _Problems()
    with unit_of_work(db) as session:
        writer = BulkUpserter(session)
        try:
            references = _References(session, problems)
            batch = _Batch(references.agents)
            for lineno, result in scan.records():
                if isinstance(result, Parsed):
                    references.add(lineno, result)
                    if not problems.count:
                        batch.add(result)
                else:
                    for field, message in result:
                        problems.add(lineno, field, message)
                if batch.size >= CHUNK:
                    _write_checked(batch, references, problems, writer)
            _write_checked(batch, references, problems, writer)
            if problems.count:
                raise problems.rejection(scan.path)
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


def _write_checked(
    batch: _Batch, references: _References, problems: _Problems, writer: BulkUpserter
) -> None:
    """Resolve the references made so far, then write the batch if the file is still good."""
    references.resolve()
    if problems.count:
        batch.clear()
    else:
        batch.flush(writer)
