"""Claims under contention: processes claiming the same contacts through `Desk.claim`.

Each process is one agent (the set's agents in turn) with its own connection. They all
walk the same contacts, each in its own random order, and skip a contact once a shared
flag says somebody took it, as an agent skips what the refreshed queue shows as held; two
processes still reach a contact at once often enough that the database must settle it.
The figure is contacts claimed per second, from the moment all processes are released
until the last finishes. Every contact must end up claimed exactly once: each process
reports what it won, and the audit log must hold one claim per contact. An error reaching
a process (SQLite's busy timeout running out) is counted, and the contact tried again.

Claims write, so they run on a copy of the set. On SQLite each process waits for the one
write lock as long as the engine's busy timeout allows.
"""

from __future__ import annotations

import multiprocessing
import random
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text, true
from sqlalchemy.exc import DBAPIError
from sqlmodel import col

from benchmarks.common import BenchmarkError
from benchmarks.crew import Crew, Signals
from storage.engine import make_database
from storage.models import Agent, AuditEntry, Ticket
from storage.queue_queries import next_unheld
from storage.uow import read_session
from workspace.agents import resolve_agent
from workspace.desk import Desk
from workspace.queue import QueueFilter

#: Errors a process takes before it gives up (the database is gone, not busy).
MAX_ERRORS = 100


@dataclass(frozen=True)
class Claims:
    """Contacts claimed per second by concurrent processes."""

    claims_per_s: float
    """Contacts claimed per second of wall time."""
    claimed: int
    """Contacts claimed (each exactly once)."""
    attempts: int
    """`Desk.claim` calls in all (more than claims where two processes raced)."""
    lost_races: int
    """Calls that found the contact already taken."""
    processes: int
    """Processes claiming at once."""
    seconds: float
    """Wall time, from release to the last process done."""
    errors: int
    """Database errors that reached a process (each claim was tried again)."""


def _claimer(
    url: str,
    agent: str,
    tickets: list[str],
    seed: int,
    taken: Any,  # a shared ctypes array of flags, one per contact
    signals: Signals,
) -> tuple[list[str], int, int, int, float, float]:
    """One process: claim every contact not yet taken, in its own order; report what it
    won, its attempts, lost races and errors, and when it started and finished."""
    db = make_database(url)
    desk = Desk(db, resolve_agent(db, agent))
    with read_session(db) as session:  # connect before the start, not inside the timing
        session.execute(text("SELECT 1"))
    order = list(range(len(tickets)))
    random.Random(seed).shuffle(order)
    won: list[str] = []
    attempts = lost = errors = 0
    signals.ready()
    started = time.perf_counter()
    for i in order:
        while not taken[i]:
            attempts += 1
            try:
                outcome = desk.claim(tickets[i])
            except DBAPIError:
                errors += 1
                if errors > MAX_ERRORS:
                    raise
                continue
            if outcome.claimed and outcome.reason == "claimed":
                won.append(tickets[i])
            else:
                lost += 1
            taken[i] = 1
    finished = time.perf_counter()
    db.dispose()
    return won, attempts, lost, errors, started, finished


def claimable(url: str, limit: int | None = None) -> list[str]:
    """The contacts of the agents' queue nobody holds, most urgent first (the first
    `limit`): what any agent may claim, and what "next" hands out, in its order."""
    db = make_database(url)
    stmt = next_unheld(QueueFilter()).limit(limit)
    try:
        with db.read.connect() as conn:
            return [str(t) for t in conn.execute(stmt).scalars()]
    finally:
        db.dispose()


def agent_names(url: str) -> list[str]:
    """The set's active agents, by id: who the processes work as, in turn."""
    db = make_database(url)
    stmt = select(col(Agent.name)).where(col(Agent.active) == true()).order_by(col(Agent.id))
    try:
        with db.read.connect() as conn:
            return [str(name) for name in conn.execute(stmt).scalars()]
    finally:
        db.dispose()


def _verify(url: str, tickets: list[str], won: Counter[str]) -> None:
    twice = sorted(t for t, n in won.items() if n > 1)
    if twice:
        raise BenchmarkError(f"contacts claimed twice: {', '.join(twice[:10])}")
    unheld = audited_twice = 0
    db = make_database(url)
    try:
        with db.read.connect() as conn:
            for start in range(0, len(tickets), 1000):
                chunk = tickets[start : start + 1000]
                unheld += conn.execute(
                    select(func.count()).where(
                        col(Ticket.id).in_(chunk), col(Ticket.assigned_agent_id).is_(None)
                    )
                ).scalar_one()
                claims = (
                    select(col(AuditEntry.entity_id))
                    .where(
                        col(AuditEntry.action) == "claim",
                        col(AuditEntry.entity) == "ticket",
                        col(AuditEntry.entity_id).in_(chunk),
                    )
                    .group_by(col(AuditEntry.entity_id))
                    .having(func.count() > 1)
                )
                audited_twice += len(conn.execute(claims).all())
    finally:
        db.dispose()
    if unheld or audited_twice or sum(won.values()) != len(tickets):
        raise BenchmarkError(
            f"claims do not add up: {sum(won.values())} won of {len(tickets)} contacts, "
            f"{unheld} left unheld, {audited_twice} audited more than once"
        )


def measure_claims(url: str, processes: int = 20, contacts: int | None = None) -> Claims:
    """`processes` agents claim the contacts nobody holds in the database at `url` (which
    this changes: give it a copy); the first `contacts` of them, or all."""
    tickets = claimable(url, contacts)
    if not tickets:
        raise BenchmarkError("no open contact is left unheld to claim")
    agents = agent_names(url)
    taken = multiprocessing.get_context("spawn").Array("b", len(tickets), lock=False)
    members = [
        (_claimer, (url, agents[i % len(agents)], tickets, i, taken)) for i in range(processes)
    ]
    with Crew(members) as crew:
        crew.release()
        reports = crew.reports()
    won: Counter[str] = Counter(t for report in reports for t in report[0])
    _verify(url, tickets, won)
    seconds = max(r[5] for r in reports) - min(r[4] for r in reports)
    return Claims(
        claims_per_s=len(tickets) / seconds,
        claimed=len(tickets),
        attempts=sum(r[1] for r in reports),
        lost_races=sum(r[2] for r in reports),
        processes=processes,
        seconds=seconds,
        errors=sum(r[3] for r in reports),
    )
