"""How soon an action reaches the other open workspaces through their live feeds.

`workspaces` processes each open a workspace as the app does: a `Presence` (begun, beating
every `BEAT` seconds, with a contact open, so the sessions table is as a team's is) and a
`LiveFeed` waiting for changes. One more process is an agent at work: through `Desk` it
claims a contact, replies on it and releases it, contact after contact, one action every
few dozen milliseconds at random (so a feed that looks at fixed times is caught at every
phase). Every feed stamps the moment each change reaches it (`time.time()`, one clock for
every process of the machine).

A delay runs from just before the action was called to the moment a feed handed it out:
conservative, since the action's own work (its unit of work and commit) is counted in it.
The figure is the 95th percentile over every action and every feed; the same from just
after the action returned (a lower bound) is kept beside it. An action a feed never
handed out is counted as missed.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DBAPIError

from benchmarks.claims import agent_names, claimable
from benchmarks.common import BenchmarkError, median, percentile
from benchmarks.crew import Crew, Signals
from storage.engine import make_database
from workspace.agents import resolve_agent
from workspace.desk import Desk
from workspace.live import LiveFeed
from workspace.presence import BEAT, Presence

#: The longest a feed waits at once, so it notices the stop soon after.
WAIT = 0.25
#: Seconds between two actions: drawn between these.
GAP = (0.02, 0.08)
#: Seconds the feeds keep waiting after the last action, for it to reach them.
GRACE = 3.0
#: Errors a process takes before it gives up (the database is gone, not busy).
MAX_ERRORS = 100


@dataclass(frozen=True)
class LiveUpdates:
    """Delays from an action in one workspace to its arrival in every other's feed."""

    p50_ms: float
    """Median delay, from before the action."""
    p95_ms: float
    """95th percentile delay, from before the action: the figure."""
    max_ms: float
    """The longest delay seen."""
    p95_after_ms: float
    """95th percentile delay from just after the action returned (a lower bound)."""
    action_p50_ms: float
    """Median time of the action itself (what the conservative delay includes)."""
    samples: int
    """Delays measured: actions times feeds."""
    actions: int
    """Actions made."""
    workspaces: int
    """Feeds open."""
    missed: int
    """Actions a feed never handed out."""
    errors: int
    """Database errors that reached a process (feeds, beats, actions)."""
    beats: int
    """Heartbeats the open workspaces sent meanwhile."""


def _workspace(url: str, agent: str, viewing: str | None, phase: float, signals: Signals) -> Any:
    """One open workspace: beat, keep a contact open, and stamp every change the feed
    hands out, until told to stop."""
    db = make_database(url)
    presence = Presence(db, resolve_agent(db, agent))
    presence.begin()
    presence.view(viewing)
    feed = LiveFeed(db)
    feed.start()
    seen: list[tuple[str, str | None, int | None, float]] = []
    errors = beats = 0
    signals.ready()
    next_beat = time.monotonic() + phase * BEAT
    while not signals.stop.is_set() and errors < MAX_ERRORS:
        try:
            got = feed.wait(max(0.0, min(WAIT, next_beat - time.monotonic())))
            at = time.time()
            seen += [(r.kind.value, r.ticket_id, r.agent_id, at) for r in got.records]
            if time.monotonic() >= next_beat:
                presence.beat()
                beats += 1
                next_beat += BEAT
        except DBAPIError:
            errors += 1
    feed.close()
    presence.end(release=False)
    db.dispose()
    return {"seen": seen, "errors": errors, "beats": beats}


def _agent_at_work(
    url: str, agent: str, tickets: list[str], actions: int, seed: int, signals: Signals
) -> Any:
    """Claim, reply, release, contact after contact; log each action and its times."""
    db = make_database(url)
    me = resolve_agent(db, agent)
    desk = Desk(db, me)
    presence = Presence(db, me)
    presence.begin()
    rng = random.Random(seed)
    log: list[tuple[str, str, float, float]] = []
    errors = 0
    signals.ready()
    n = 0
    while n < actions and errors < MAX_ERRORS:
        ticket = tickets[n // 3]
        time.sleep(rng.uniform(*GAP))
        before = time.time()
        try:
            if n % 3 == 0:
                kind = "claim"
                if not desk.claim(ticket).claimed:
                    raise BenchmarkError(f"contact {ticket} was not free to claim")
            elif n % 3 == 1:
                kind = "reply"
                desk.write(ticket, "Thank you: your parcel is on its way.", key=f"bench-{n}")
            else:
                kind = "release"
                desk.release(ticket)
        except DBAPIError:
            errors += 1
            continue
        log.append((kind, ticket, before, time.time()))
        n += 1
    presence.end(release=True)
    db.dispose()
    return {"agent_id": me.id, "log": log, "errors": errors}


def measure_live_updates(url: str, workspaces: int = 20, actions: int = 200) -> LiveUpdates:
    """Open `workspaces` feeds on the database at `url` (which this changes: give it a
    copy) and time `actions` actions of one more workspace reaching each of them."""
    tickets = claimable(url, math.ceil(actions / 3))
    if len(tickets) * 3 < actions:
        raise BenchmarkError(f"{actions} actions need {math.ceil(actions / 3)} free contacts")
    agents = agent_names(url)
    rng = random.Random(5)
    members: list[tuple[Any, tuple[Any, ...]]] = [
        (_workspace, (url, agents[i % len(agents)], tickets[i % len(tickets)], rng.random()))
        for i in range(workspaces)
    ]
    members.append((_agent_at_work, (url, agents[workspaces % len(agents)], tickets, actions, 9)))
    with Crew(members) as crew:
        crew.release()
        worker = crew.report(workspaces)
        time.sleep(GRACE)
        crew.stop()
        feeds = crew.reports()[:workspaces]
    before_ms: list[float] = []
    after_ms: list[float] = []
    missed = 0
    for feed in feeds:
        first: dict[tuple[str, str | None], float] = {}
        for kind, ticket, agent_id, at in feed["seen"]:
            if agent_id == worker["agent_id"]:
                first.setdefault((kind, ticket), at)
        for kind, ticket, before, after in worker["log"]:
            at = first.get((kind, ticket))
            if at is None:
                missed += 1
                continue
            before_ms.append((at - before) * 1000)
            after_ms.append((at - after) * 1000)
    if not before_ms:
        raise BenchmarkError("no feed handed out any action")
    return LiveUpdates(
        p50_ms=median(before_ms),
        p95_ms=percentile(before_ms, 95),
        max_ms=max(before_ms),
        p95_after_ms=percentile(after_ms, 95),
        action_p50_ms=median([(a - b) * 1000 for _, _, b, a in worker["log"]]),
        samples=len(before_ms),
        actions=len(worker["log"]),
        workspaces=workspaces,
        missed=missed,
        errors=worker["errors"] + sum(f["errors"] for f in feeds),
        beats=sum(f["beats"] for f in feeds),
    )
