"""What the heartbeats of a team's open workspaces cost the database.

`workspaces` sessions are begun (each an agent's open workspace, a row of its own), then
each beats `rounds` times through `Presence.beat`, as the app does every `BEAT` seconds:
its own update, and the look for workspaces gone silent. The figure is what those beats
cost per second, as a share of one core, when every workspace beats every `BEAT` seconds.

What "cost" is depends on where the database runs:

- `backend` (PostgreSQL on this machine): the CPU time of the server process that served
  the beats, read from `/proc/<pid>` (`SELECT pg_backend_pid()`), before and after;
- `process` (SQLite, which runs inside each workspace): this process's own CPU time, the
  database library and CareDesk's Python together, so an upper bound;
- `wall` (a PostgreSQL server elsewhere): the wall time of the beats, an upper bound too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from benchmarks.claims import agent_names
from benchmarks.common import BenchmarkError
from benchmarks.cpu import backend_cpu_s, backend_pid
from storage.engine import make_database
from workspace.agents import resolve_agent
from workspace.presence import BEAT, Presence


@dataclass(frozen=True)
class Heartbeats:
    """The database's cost of the team's heartbeats."""

    heartbeat_core_percent: float
    """Percent of one core the beats of `workspaces` open workspaces take."""
    beat_cpu_ms: float
    """Database CPU time of one beat, as `method` measures it."""
    beat_wall_ms: float
    """Wall time of one beat, seen from the workspace."""
    client_cpu_ms: float
    """This process's CPU time of one beat: CareDesk's Python and the driver (on SQLite,
    the database as well)."""
    beats: int
    """Beats measured."""
    workspaces: int
    """Open workspaces (sessions in the table, each beating)."""
    method: str
    """`backend`, `process` or `wall` (see the module)."""


def measure_heartbeats(url: str, workspaces: int = 200, rounds: int = 10) -> Heartbeats:
    """Begin `workspaces` sessions on the database at `url` (which this changes: give it
    a copy), time `rounds` beats of each, and end them."""
    db = make_database(url)
    try:
        agents = agent_names(url)
        team = [resolve_agent(db, name) for name in agents]
        sessions = [Presence(db, team[i % len(team)]) for i in range(workspaces)]
        for presence in sessions:
            presence.begin()
        for presence in sessions:  # one round to warm up: caches, plans, the connection
            presence.beat()
        pid = backend_pid(db)
        server = backend_cpu_s(pid)
        process = time.process_time()
        started = time.perf_counter()
        for _ in range(rounds):
            for presence in sessions:
                presence.beat()
        wall = time.perf_counter() - started
        client = time.process_time() - process
        beats = rounds * len(sessions)
        if pid is not None and server is not None:
            after = backend_cpu_s(pid)
            if after is None or backend_pid(db) != pid:
                raise BenchmarkError("the beats did not all run on one server process")
            method, cpu = "backend", after - server
        elif db.is_sqlite:
            method, cpu = "process", client
        else:
            method, cpu = "wall", wall
        for presence in sessions:
            presence.end(release=False)
    finally:
        db.dispose()
    per_beat = cpu / beats
    return Heartbeats(
        heartbeat_core_percent=per_beat * (workspaces / BEAT) * 100,
        beat_cpu_ms=per_beat * 1000,
        beat_wall_ms=wall / beats * 1000,
        client_cpu_ms=client / beats * 1000,
        beats=beats,
        workspaces=workspaces,
        method=method,
    )
