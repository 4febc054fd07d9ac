"""`caredesk import`: load agents, customers, orders, tickets, interactions and surveys from
JSON Lines, and the records of CareDesk's own that `caredesk export --all` adds.

The file is read once (its lines are counted first when someone watches the progress), in
one transaction, and memory stays flat whatever its size: each chunk of lines is checked
(the references it makes are resolved against what came earlier in the file, or the
database) and then upserted. A bad line stops the writing; the rest of
the file is still read so that every problem is listed, and the transaction is rolled back.
Any bad line refuses the whole file.

CareDesk's own records (holds, actions, their deliveries and shipments, follow-ups, policy
versions, team settings, agents' news marks, the audit log, and what refunds gave back on an
order) are written as they were, ids and hashes included, and only into a database that
holds none yet: they are a whole team's history, moved or restored. A contact an agent holds
is never moved to someone else without an audit entry saying so, and the holds of the
contacts a chunk writes are made to agree with them (a move or a closing ends one, a held
contact without one gets one), so handle time stays the sum of every hold.

A record's id may appear more than once in a file: the later line wins, as if the file had
been imported line by line. A line replaces every field of its record, so an optional field
left out clears it. `ImportSummary` counts lines, so a repeated id counts once per line.

Reading the file line by line is `import_lines`; a line into a record, `import_records`;
one field, `import_fields`; what a line is checked against beyond its references is
`import_context`, and what the import does about its contacts' SLA clocks is
`import_clocks`.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlmodel import Session

from storage import changes, hold_writes, upsert
from storage.bulk_upsert import BulkUpserter
from storage.engine import Database
from storage.uow import unit_of_work
from workspace import team_config
from workspace.audit_trail import AuditTrail
from workspace.errors import InputRejected, Problem
from workspace.import_clocks import ContactClocks
from workspace.import_context import LineContext
from workspace.import_fields import show
from workspace.import_lines import LineScan, count_lines
from workspace.import_records import PARSERS, RECORDED, Parsed
from workspace.policy import known_tiers as known_tiers  # the CLI's, from here
from workspace.policy_store import effective_policy
from workspace.progress import UNWATCHED, Progress, phase
from workspace.sla import ServiceLevels
from workspace.timefmt import utcnow
from workspace.vocabulary import AuditEvent, ChangeKind, ContactStatus, Entity, HoldEnd

#: Problems listed in full; the rest are counted.
MAX_PROBLEMS = 50
#: Records upserted per round trip to the database.
CHUNK = 2_000
#: References not yet seen in the file that are looked up in the database at a time.
PENDING = 2_000

#: The actor of the audit entries an import writes when no agent is named.
ACTOR = "import"


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
    agents: int = 0
    """Agent lines imported."""
    surveys: int = 0
    """Survey lines imported."""
    recorded: int = 0
    """Lines of CareDesk's own records (`export --all`) imported."""
    moved: int = 0
    """Contacts an agent held that the file gave to someone else (each one audited)."""
    unparked: int = 0
    """Parked contacts a new message from the customer put back in the queue (each one
    audited)."""


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

    Ids of the records other records name are kept (nothing names interactions or surveys);
    names not seen earlier are looked up in the database in batches, inside the import's
    transaction. `agents` holds the database id of every agent named so far.
    """

    def __init__(self, session: Session, problems: _Problems) -> None:
        self.session = session
        self.problems = problems
        self.seen: dict[str, set[str]] = {kind: set() for kind in _NAMED}
        self.pending: list[tuple[int, str, str, str]] = []
        self.agents: dict[str, int] = {}

    def add(self, lineno: int, parsed: Parsed) -> None:
        for field, kind, ref in parsed.refs:
            if ref not in self.seen[kind]:
                self.pending.append((lineno, field, kind, ref))
        if parsed.kind in self.seen:
            self.seen[parsed.kind].add(parsed.row[_KEYS.get(parsed.kind, "id")])
        if len(self.pending) >= PENDING:
            self.resolve()

    def resolve(self) -> None:
        if not self.pending:
            return
        wanted: dict[str, set[str]] = {kind: set() for kind in _NAMED}
        for _, _, kind, ref in self.pending:
            wanted[kind].add(ref)
        session = self.session
        named = upsert.agent_ids(session, wanted["agent"])
        self.agents.update(named)
        found: dict[str, set[str]] = {"agent": set(named)}
        for kind in _STORED_IDS:
            found[kind] = upsert.existing_ids(session, kind, wanted[kind])
        for kind, ids in found.items():
            self.seen[kind] |= ids  # later lines naming them need no lookup
        for lineno, field, kind, ref in self.pending:
            if ref not in found[kind]:
                message = f"no {kind} {show(ref)} earlier in the file or in the database"
                self.problems.add(lineno, field, message)
        self.pending.clear()


#: The kinds of record other records name, and those named by a text id.
_NAMED = ("agent", "customer", "order", "ticket")
_STORED_IDS: tuple[upsert.Kind, ...] = ("customer", "order", "ticket")
#: What identifies a record of a kind within a file, where it is not `id`.
_KEYS = {"agent": "name", "agent_news": "name", "interaction": "ref"}
#: How a running hold ends when a line leaves its contact no longer worked, by status.
_STOPPED = {ContactStatus.RESOLVED: HoldEnd.RESOLVE, ContactStatus.PENDING: HoldEnd.PARK}
#: The table of each of CareDesk's own records that keeps its ids.
_NUMBERED: dict[str, upsert.Recorded] = {
    "policy_version": "policy_version",
    "team_setting": "team_setting",
    "hold": "contact_hold",
    "action": "action",
    "delivery": "delivery",
    "shipment": "shipment",
    "follow_up": "follow_up",
    "audit": "audit_entry",
}


class _Batch:
    """Up to CHUNK records, written parents first so each chunk satisfies its foreign keys."""

    def __init__(self, session: Session, agents: dict[str, int], clocks: ContactClocks) -> None:
        self.session = session
        self.agents = agents
        self.clocks = clocks
        self.size = 0
        self.pending: dict[str, dict[Any, Parsed]] = {kind: {} for kind in PARSERS}
        self.counts: dict[str, int] = dict.fromkeys(PARSERS, 0)
        self.moves: list[tuple[str, str, str]] = []
        """(contact, who held it, who the file gives it to), in the order written."""
        self.refunded: dict[str, Decimal] = {}
        """What refunds gave back on each order whose line says so (`export --all`); an
        order line that does not leaves it as it was."""
        self.numbered: set[upsert.Recorded] = set()
        """The tables rows were inserted into with their ids."""
        self.holds_given = True
        """Whether the holds in the database are only those the import gave its contacts
        (until the file's own hold records replace them)."""

    def add(self, parsed: Parsed) -> None:
        key = parsed.row[_KEYS.get(parsed.kind, "id")]
        self.pending[parsed.kind][key] = parsed  # a later line with the same id wins
        if parsed.kind == "order" and parsed.row["refunded"] is not None:
            self.refunded[key] = parsed.row["refunded"]
        self.counts[parsed.kind] += 1
        self.size += 1

    def flush(self, writer: BulkUpserter) -> None:
        found = {kind: list(by_id.values()) for kind, by_id in self.pending.items()}
        session = self.session
        writer.agents([p.row for p in found["agent"]])
        if found["agent"]:  # their tickets and actions name them by database id
            names = [p.row["name"] for p in found["agent"]]
            self.agents.update(upsert.agent_ids(session, names))
        self._insert("policy_version", found)
        self._insert("team_setting", found)
        writer.customers([p.row for p in found["customer"]])
        writer.orders([(p.row, p.items) for p in found["order"]])
        upsert.set_refunded(session, self.refunded)
        tickets = [self._named(p, assigned_agent_id="assigned_to") for p in found["ticket"]]
        self._note_moves(tickets)
        rows = [row for row, _ in tickets]
        self.clocks.tickets(rows)
        writer.tickets(rows)
        ids = [row["id"] for row in rows]
        hold_writes.follow(session, ids, utcnow(), moved=HoldEnd.ASSIGN, stopped=_STOPPED)
        interactions = [p.row for p in found["interaction"]]
        self.clocks.interactions(interactions)
        writer.interactions(interactions)
        writer.surveys([p.row for p in found["survey"]])
        if found["hold"] and self.holds_given:
            # The file carries its contacts' holds as they were (`export --all`, into a
            # database that held none): they replace those the import gave on the way.
            hold_writes.forget_all(session)
            self.holds_given = False
        self._insert("hold", found, agent_id="agent")
        self._insert("action", found, agent_id="agent", decided_by="decided_by")
        self._insert("delivery", found)
        self._insert("shipment", found)
        columns = {"owner_id": "owner", "created_by": "created_by", "done_by": "done_by"}
        self._insert("follow_up", found, **columns)
        upsert.set_news_seen(session, [p.row for p in found["agent_news"]])
        self._insert("audit", found)
        self.clear()

    def _named(self, parsed: Parsed, **columns: str) -> tuple[dict[str, Any], dict[str, str]]:
        """The row with each agent it names (by field) as a database id in its column, and
        the login names by field."""
        names = {field: ref for field, kind, ref in parsed.refs if kind == "agent"}
        ids = {column: self.agents.get(names.get(field, "")) for column, field in columns.items()}
        return {**parsed.row, **ids}, names

    def _insert(self, kind: str, found: dict[str, list[Parsed]], **columns: str) -> None:
        """Insert CareDesk's own records of `kind`, ids as they were."""
        rows = [self._named(p, **columns)[0] for p in found[kind]]
        if rows:
            table = _NUMBERED[kind]
            upsert.insert_recorded(self.session, table, rows)
            self.numbered.add(table)

    def _note_moves(self, tickets: list[tuple[dict[str, Any], dict[str, str]]]) -> None:
        """Remember each held contact the chunk gives to someone else, for the audit log."""
        named = {row["id"]: names["assigned_to"] for row, names in tickets if names}
        if not named:
            return
        held = upsert.holders(self.session, named)
        for ticket_id, name in named.items():
            holder = held.get(ticket_id)
            if holder is not None and holder != name:
                self.moves.append((ticket_id, holder, name))

    def clear(self) -> None:
        """Drop the records held (written, or not to be written)."""
        for by_id in self.pending.values():
            by_id.clear()
        self.refunded.clear()
        self.size = 0


def import_file(
    db: Database,
    path: Path,
    *,
    tiers: Collection[str] | None = None,
    levels: ServiceLevels | None = None,
    actor: str | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Check and upsert every record in `path` in one transaction, in one pass.

    `tiers` are the customer tiers the policy in effect knows (`known_tiers`); by default
    those of the policy installed in the database, else of the one CareDesk ships with.
    `levels` give a ticket without `sla_due_at` its due time; by default the team's service
    levels in effect (`team_config.in_effect`).
    `actor` is who the audit log says moved a held contact (default: `import`).
    `progress` is told each phase: the lines of the file are counted first (only when a
    `progress` is given), then read, checked and written, then the import is finished.
    Raises `InputRejected`, listing up to 50 problems with their line and
    field, and writes nothing, when any line is bad or the file is unreadable.
    """
    if tiers is None:
        tiers = known_tiers(effective_policy(db, None))
    if levels is None:
        levels = team_config.in_effect(db).service_levels
    try:
        if not path.is_file():
            raise _refuse(path, "not a file that can be read (give a regular file)")
        if progress is None:
            return _import(db, LineScan(path, UNWATCHED), None, tiers, levels, actor or ACTOR)
        with phase(progress, "counting lines", unit="lines"):
            lines = count_lines(path, progress)
        return _import(db, LineScan(path, progress), lines, tiers, levels, actor or ACTOR)
    except OSError as exc:
        raise _refuse(path, f"cannot read the file: {exc.strerror or exc}") from exc


def _refuse(path: Path, message: str) -> InputRejected:
    return InputRejected(str(path), [Problem(where=path.name, field=None, message=message)])


def _import(
    db: Database,
    scan: LineScan,
    lines: int | None,
    tiers: Collection[str],
    levels: ServiceLevels,
    actor: str,
) -> ImportSummary:
    """Read the file once: check each chunk, then write it, unless a problem was found.

    A chunk is written only once every reference in it is resolved, so the database never
    sees a line that names something missing. After the first problem nothing more is
    written; the file is read to its end to list every problem, and raising rolls back
    what was written. `lines` is how many lines the file has, when they were counted.
    """
    problems = _Problems()
    progress = scan.progress
    with unit_of_work(db) as session:
        writer = BulkUpserter(session)
        try:
            references = _References(session, problems)
            context = LineContext(session, tiers)
            batch = _Batch(session, references.agents, ContactClocks(session, levels))
            with phase(progress, "importing records", lines):
                for lineno, result in scan.records():
                    if isinstance(result, Parsed):
                        references.add(lineno, result)
                        found = context.check(result)
                        for field, message in found:
                            problems.add(lineno, field, message)
                        if not problems.count:
                            batch.add(result)
                    else:
                        for field, message in result:
                            problems.add(lineno, field, message)
                    if batch.size >= CHUNK:
                        _write_checked(batch, references, problems, writer)
            with phase(progress, "checking references"):
                references.resolve()
            if problems.count:
                raise problems.rejection(scan.path)
            last = batch.size
            with phase(progress, "writing", last):
                batch.flush(writer)
                progress.advanced(last)
            unparked = _finish(session, batch, scan.path, actor, progress)
            with phase(progress, "building search index"):
                writer.finish()
            progress.started("committing")  # the unit of work commits as the block ends
        finally:
            writer.close()
    progress.finished("committing")
    counts = batch.counts
    return ImportSummary(
        customers=counts["customer"],
        orders=counts["order"],
        interactions=counts["interaction"],
        tickets=counts["ticket"],
        lines=scan.lines,
        agents=counts["agent"],
        surveys=counts["survey"],
        recorded=sum(counts[kind] for kind in RECORDED),
        moved=len(batch.moves),
        unparked=unparked,
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


def _finish(session: Session, batch: _Batch, path: Path, actor: str, progress: Progress) -> int:
    """After the last chunk: number on after the ids imported, audit each held contact the
    file moved and put back in the queue each parked contact the customer wrote to (after
    the file's own audit log, so the chain continues from it), and tell open workspaces that
    contacts changed. Returns how many contacts were un-parked."""
    upsert.restart_ids(session, sorted(batch.numbered))
    now = utcnow()
    trail = AuditTrail(actor)
    if batch.moves:
        with phase(progress, "auditing moves", len(batch.moves), unit="contacts"):
            for ticket_id, holder, name in batch.moves:
                trail.record(
                    session,
                    now,
                    AuditEvent.ASSIGN,
                    Entity.TICKET,
                    ticket_id,
                    before={"holder": holder},
                    after={"holder": name, "reason": f"import {path.name}"},
                )
                progress.advanced(1)
    unparked = batch.clocks.resume(now, trail, progress)
    changes.record(session, ChangeKind.CONTACTS, now)
    return unparked
