"""The benchmark runs end to end on a tiny set: every figure is there, and the table prints.

Nothing here is timed against a target: these tests only show that the measurements work,
so `python -m benchmarks` does not first fail after building a large set.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.claims import claimable, measure_claims
from benchmarks.heartbeats import measure_heartbeats
from benchmarks.live import measure_live_updates
from benchmarks.next_claims import measure_next_claims
from benchmarks.report import FIGURES, problems, table
from benchmarks.runner import Options, run_benchmark
from benchmarks.sets import PreparedSet, SetSpec, prepare_set
from benchmarks.stores import SqliteStore
from storage.bulk import insert_rows
from storage.engine import Database
from storage.uow import unit_of_work
from workspace.importer import import_file

TINY = SetSpec("tiny", customers=30, contacts=20)
FEW = Options(
    startup_runs=1,
    moves=5,
    open_repeats=1,
    search_repeats=1,
    lookup_repeats=1,
    report_repeats=1,
    monitor_refreshes=2,
    proposals=12,
    claim_processes=2,  # two already contend for each contact; each more is a process start
    next_contacts=8,
    live_workspaces=2,
    live_actions=6,
    heartbeat_workspaces=3,
    heartbeat_rounds=2,
    deliverers=2,
    delivery_messages=40,
    delivery_actions=6,
    tamper_entries=1200,
    tamper_mutations=24,
)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def test_every_figure_on_a_tiny_sqlite_set(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "tiny.db")

    results = run_benchmark(store, TINY, tmp_path, FEW)

    assert results["failed"] == {}
    for key in FIGURES:
        assert _is_number(results[key]) and results[key] > 0, key
    assert set(results["targets"]) == set(FIGURES)
    assert results["set"]["reused"] is False
    assert results["set"]["counts"]["customer"] == 30
    assert results["details"]["queue_moves"]["samples"] > 0
    assert results["details"]["lookup"]["found"] > 0
    assert results["checks"]["lookup"] == {"empty": 0}
    assert results["details"]["import"]["records"] > 30
    assert results["details"]["claims_next"]["contacts"] == 8
    assert results["details"]["live_updates"]["samples"] == 2 * 6
    assert results["details"]["heartbeats"]["method"] == "process"
    assert results["checks"]["claims_next"] == {
        "held_twice": 0,
        "lost": 0,
        "false_empty": 0,
        "errors": 0,
        "outside": 0,
    }
    assert problems(results) == []
    assert results["machine"]["database"].startswith("SQLite ")
    assert {"cpu", "cores", "ram_gb", "os", "python"} <= set(results["machine"])
    printed = table(results)
    for key in FIGURES:
        assert key in printed

    # Built once, then reused as it is, with the build's own figure.
    again: PreparedSet = prepare_set(store, TINY)
    assert again.reused
    assert again.build["demo_build_records_per_s"] == results["demo_build_records_per_s"]


def _tiny_queue(db: Database, tmp_path: Path, contacts: int = 20) -> None:
    """Three agents and `contacts` open contacts nobody holds, through the import format.

    Not the demo builder: its load lock is one per PostgreSQL database, shared by every
    test schema, and this test needs nothing of the demo's history.
    """
    with unit_of_work(db) as session:
        team = [
            {"name": f"agent{i}", "display_name": f"Agent {i}", "role": "agent"} for i in (1, 2, 3)
        ]
        insert_rows(session, "agent", team)
    lines = [{"type": "customer", "id": f"C-{i}", "name": f"Customer {i}"} for i in range(5)]
    lines += [
        {
            "type": "ticket",
            "id": f"T-{n:03d}",
            "customer": f"C-{n % 5}",
            "channel": "chat",
            "subject": "Where is my order?",
            "opened_at": "2026-11-01T09:00:00Z",
            "priority": "normal",
            "status": "open",
        }
        for n in range(contacts)
    ]
    path = tmp_path / "queue.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    import_file(db, path)


def test_claims_on_postgresql(pg_db: Database, tmp_path: Path) -> None:
    _tiny_queue(pg_db, tmp_path)
    contacts = claimable(pg_db.url)

    claims = measure_claims(pg_db.url, processes=3)

    assert claims.claimed == len(contacts) == 20
    assert claims.attempts >= claims.claimed
    assert _is_number(claims.claims_per_s) and claims.claims_per_s > 0
    assert claimable(pg_db.url) == []  # every one claimed, none twice (checked inside)


def test_next_on_postgresql(pg_db: Database, tmp_path: Path) -> None:
    _tiny_queue(pg_db, tmp_path)

    nexts = measure_next_claims(pg_db.url, processes=3, contacts=12)

    assert nexts.contacts == 12
    assert nexts.fewest + nexts.most <= 12 and nexts.claims_next_per_s > 0
    checked = (nexts.held_twice, nexts.lost, nexts.false_empty, nexts.errors, nexts.outside)
    assert checked == (0, 0, 0, 0, 0)
    # The other eight were held beforehand, so the queue is empty now.
    assert claimable(pg_db.url) == []


def test_live_updates_on_postgresql(pg_db: Database, tmp_path: Path) -> None:
    _tiny_queue(pg_db, tmp_path)

    live = measure_live_updates(pg_db.url, workspaces=2, actions=6)

    assert (live.actions, live.samples, live.missed, live.errors) == (6, 12, 0, 0)
    assert _is_number(live.p95_ms) and live.p95_ms >= live.p50_ms


def test_heartbeats_on_postgresql(pg_db: Database, tmp_path: Path) -> None:
    _tiny_queue(pg_db, tmp_path)

    beats = measure_heartbeats(pg_db.url, workspaces=4, rounds=3)

    assert beats.beats == 12
    assert beats.method in ("backend", "wall")  # wall: a server on another machine
    assert _is_number(beats.heartbeat_core_percent) and beats.heartbeat_core_percent >= 0


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's /proc")
def test_a_child_of_a_big_parent_reports_its_own_peak_memory() -> None:
    # ru_maxrss survives fork and exec: a child of the benchmark, just after it built a set,
    # would report the parent's size as its own peak.
    ballast = bytearray(200 * 1024 * 1024)
    ballast[::4096] = b"\x01" * len(ballast[::4096])  # touch every page: resident
    code = "from benchmarks.memory import peak_rss_mb; print(peak_rss_mb())"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[1],
    )
    assert float(done.stdout) < 150
    del ballast
