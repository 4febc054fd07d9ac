"""Claiming the next contact under contention: `Desk.claim_next`, what the `n` key does.

Processes, each an agent with its own connection, press "next" as fast as they can until
the queue is empty. The copy of the set they work on is arranged so that the contacts
measured are exactly the ones nobody holds: the most urgent `contacts` of those waiting
stay unheld (what "next" hands out first anyway), and every other active contact is given
to one agent beforehand. So "queue empty" is true exactly when all of them are claimed.

What is checked, and reported as counts that should all be 0:

- held twice: a contact two processes say they won, or whose holder is not the winner;
- lost: a measured contact nobody won, or without exactly one audited claim of the run;
- false empty: a process told "queue empty" while a measured contact still waited. After
  each empty answer the process reads whether any measured contact is still unheld; while
  one is (a claim in flight elsewhere, about to commit) it asks again, and a contact it
  then gets proves the empty answer false;
- errors: database errors that reached a process (SQLite's busy timeout running out).

The figure is contacts claimed per second, from the release of all processes until the
last claim returned; the empty answers that end each process come after it and are timed
on their own (`empty_ms`: on a queue whose every other contact is held, "nothing waits"
reads past all of them).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text, true, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import col

from benchmarks.claims import agent_names, claimable
from benchmarks.common import BenchmarkError, median, percentile
from benchmarks.cpu import backend_cpu_s, backend_pid
from benchmarks.crew import Crew, Signals
from storage.engine import Database, make_database
from storage.models import Agent, AuditEntry, Ticket
from storage.uow import read_session
from workspace.agents import resolve_agent
from workspace.desk import Desk
from workspace.queue import QueueFilter

#: Seconds a process keeps asking after an empty answer while measured contacts read as
#: unheld (claims in flight elsewhere commit within milliseconds).
SETTLE = 30.0
#: Errors a process takes before it gives up (the database is gone, not busy).
MAX_ERRORS = 100


@dataclass(frozen=True)
class NextClaims:
    """Contacts claimed per second by processes pressing "next" at once, and the checks."""

    claims_next_per_s: float
    """Contacts claimed per second of wall time (release to the last claim)."""
    contacts: int
    """Contacts measured: the only ones nobody held."""
    processes: int
    """Processes claiming at once."""
    seconds: float
    """Wall time, from release to the last claim returned."""
    claim_p50_ms: float
    """Median time of one `claim_next` that claimed (the claim and the row it shows)."""
    claim_p95_ms: float
    """95th percentile of the same."""
    empty_ms: float
    """Median time of a "queue empty" answer (every other contact held)."""
    client_cpu_ms: float
    """CPU time the claiming processes spent per claim (CareDesk's Python and the driver;
    on SQLite the database as well)."""
    server_cpu_ms: float | None
    """CPU time the PostgreSQL server spent per claim on the claimers' connections (None
    on SQLite, or when the server is not on this machine)."""
    fewest: int
    """Contacts the least lucky process claimed."""
    most: int
    """Contacts the luckiest process claimed."""
    held_twice: int
    """Contacts won by two processes, or held by someone other than their winner."""
    lost: int
    """Measured contacts nobody won, or without exactly one audited claim of the run."""
    false_empty: int
    """"Queue empty" answers given while a measured contact still waited."""
    errors: int
    """Database errors that reached a process."""
    outside: int
    """Contacts claimed that were not among those measured (the set was not as arranged)."""


def arrange_queue(url: str, contacts: int) -> list[str]:
    """Leave unheld the `contacts` that "next" would hand out first, and give every other
    active contact nobody holds to the last agent (on a copy: this writes); returns those
    left unheld, by id."""
    measured = claimable(url, contacts)
    db = make_database(url)
    last_agent = select(func.max(col(Agent.id))).where(col(Agent.active) == true())
    try:
        with db.write.begin() as conn:
            holder = conn.execute(last_agent).scalar_one()
            conn.execute(
                update(Ticket.__table__)  # type: ignore[attr-defined]
                .where(
                    col(Ticket.active) == true(),
                    col(Ticket.assigned_agent_id).is_(None),
                    col(Ticket.id).not_in(measured),
                )
                .values(
                    assigned_agent_id=holder,
                    claimed_at=datetime.now(UTC),
                    version=col(Ticket.version) + 1,
                )
            )
        if not db.is_sqlite:
            # What autovacuum would do soon after so many updates: the queue's indexes
            # are read without the dead versions the bulk update left.
            with db.read.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM (ANALYZE) ticket"))
    finally:
        db.dispose()
    return sorted(measured)


def _unheld(db: Database, measured: list[str]) -> int:
    """How many of the measured contacts read as unheld (committed state)."""
    stmt = select(func.count()).where(
        col(Ticket.id).in_(measured), col(Ticket.assigned_agent_id).is_(None)
    )
    with read_session(db) as session:
        return int(session.execute(stmt).scalar_one())


def _presser(url: str, agent: str, measured: list[str], signals: Signals) -> dict[str, Any]:
    """One process: press "next" until the queue is empty; report what it won and saw."""
    db = make_database(url)
    desk = Desk(db, resolve_agent(db, agent))
    pid = backend_pid(db)  # connects before the start, not inside the timing
    won: list[str] = []
    claim_s: list[float] = []
    empty_s: list[float] = []
    errors = false_empty = 0
    doubted = False  # the last answer was "empty" while measured contacts read as unheld
    settle_by = 0.0
    signals.ready()
    cpu_start, server_start = time.process_time(), backend_cpu_s(pid)
    cpu_last, server_last = cpu_start, server_start
    started = last = time.perf_counter()
    while True:
        before = time.perf_counter()
        try:
            row = desk.claim_next(QueueFilter())
        except DBAPIError:
            errors += 1
            if errors > MAX_ERRORS:
                raise
            continue
        after = time.perf_counter()
        if row is not None:
            won.append(row.id)
            claim_s.append(after - before)
            last = after
            cpu_last, server_last = time.process_time(), backend_cpu_s(pid)
            false_empty += doubted
            doubted = False
            continue
        empty_s.append(after - before)
        if _unheld(db, measured) == 0:
            break
        if not doubted:
            doubted, settle_by = True, after + SETTLE
        elif after > settle_by:
            break  # left unheld for good: the check after the run counts them as lost
        time.sleep(0.01)
    if pid is not None and backend_pid(db) != pid:
        server_start = None  # the claims did not all run on one server process
    db.dispose()
    server = None
    if server_start is not None and server_last is not None:
        server = server_last - server_start
    return {
        "agent_id": desk.agent.id,
        "cpu": cpu_last - cpu_start,
        "server_cpu": server,
        "won": won,
        "claim_s": claim_s,
        "empty_s": empty_s,
        "errors": errors,
        "false_empty": false_empty,
        "started": started,
        "last": last,
    }


def _audit_head(url: str) -> int:
    db = make_database(url)
    try:
        with read_session(db) as session:
            return int(
                session.execute(select(func.coalesce(func.max(AuditEntry.id), 0))).scalar_one()
            )
    finally:
        db.dispose()


def _faults(
    url: str, measured: list[str], reports: list[dict[str, Any]], since: int
) -> dict[str, int]:
    """The checks after the run: contacts held twice or by the wrong agent, lost ones."""
    winners: dict[str, list[int]] = {}
    for report in reports:
        for ticket in report["won"]:
            winners.setdefault(ticket, []).append(report["agent_id"])
    wanted = set(measured)
    twice = {t for t, agents in winners.items() if len(agents) > 1}
    lost = wanted - set(winners)
    db = make_database(url)
    try:
        with read_session(db) as session:
            for start in range(0, len(measured), 1000):
                chunk = measured[start : start + 1000]
                holders = session.execute(
                    select(col(Ticket.id), col(Ticket.assigned_agent_id)).where(
                        col(Ticket.id).in_(chunk)
                    )
                ).all()
                for ticket, holder in holders:
                    if holder is None:
                        lost.add(ticket)
                    elif ticket in winners and holder not in winners[ticket]:
                        twice.add(ticket)
                audited = Counter(
                    str(t)
                    for t in session.execute(
                        select(col(AuditEntry.entity_id)).where(
                            col(AuditEntry.id) > since,
                            col(AuditEntry.action) == "claim",
                            col(AuditEntry.entity) == "ticket",
                            col(AuditEntry.entity_id).in_(chunk),
                        )
                    ).scalars()
                )
                lost.update(t for t in chunk if audited[t] != 1)
    finally:
        db.dispose()
    return {
        "held_twice": len(twice),
        "lost": len(lost),
        "outside": len(set(winners) - wanted),
    }


def measure_next_claims(url: str, processes: int = 20, contacts: int = 2000) -> NextClaims:
    """`processes` agents press "next" on the database at `url` (which this changes: give
    it a copy) until the `contacts` most urgent unheld contacts are all claimed."""
    measured = arrange_queue(url, contacts)
    if not measured:
        raise BenchmarkError("no open contact is left unheld to claim")
    agents = agent_names(url)
    since = _audit_head(url)
    members = [(_presser, (url, agents[i % len(agents)], measured)) for i in range(processes)]
    with Crew(members) as crew:
        crew.release()
        reports = crew.reports()
    faults = _faults(url, measured, reports, since)
    seconds = max(r["last"] for r in reports) - min(r["started"] for r in reports)
    claim_ms = [s * 1000 for r in reports for s in r["claim_s"]]
    empty_ms = [s * 1000 for r in reports for s in r["empty_s"]]
    counts = [len(r["won"]) for r in reports]
    server = [r["server_cpu"] for r in reports]
    return NextClaims(
        claims_next_per_s=sum(counts) / seconds,
        contacts=len(measured),
        processes=processes,
        seconds=seconds,
        claim_p50_ms=median(claim_ms),
        claim_p95_ms=percentile(claim_ms, 95),
        empty_ms=median(empty_ms),
        client_cpu_ms=sum(r["cpu"] for r in reports) / sum(counts) * 1000,
        server_cpu_ms=None if None in server else sum(server) / sum(counts) * 1000,
        fewest=min(counts),
        most=max(counts),
        false_empty=sum(r["false_empty"] for r in reports),
        errors=sum(r["errors"] for r in reports),
        **faults,
    )
