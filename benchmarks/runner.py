"""One benchmark run: prepare the set, take every figure, and gather them with the machine's
description into the results (the JSON the CLI writes).

The set is only read. Opening the workspace records the agent's news mark
(`agent.news_seen_at`), as every workspace does; nothing a figure depends on. Claims,
heartbeats, the live feed and delivery each run on a copy of the set and the import into a
fresh database, all dropped afterwards; policy decisions are previews, which store nothing.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.exc import OperationalError

from benchmarks.claims import measure_claims
from benchmarks.common import BenchmarkError, say
from benchmarks.decisions import measure_policy_decisions
from benchmarks.delivery import measure_delivery, measure_delivery_latency
from benchmarks.heartbeats import measure_heartbeats
from benchmarks.importing import export_file, measure_import
from benchmarks.latency import measure_open_customer, measure_queue_moves
from benchmarks.live import measure_live_updates
from benchmarks.lookup import measure_lookup
from benchmarks.machine import describe_machine
from benchmarks.memory import measure_rss
from benchmarks.monitor_start import measure_monitor_start
from benchmarks.monitoring import measure_refresh
from benchmarks.next_claims import measure_next_claims
from benchmarks.replaying import measure_replay
from benchmarks.report import checks, judged
from benchmarks.reporting import measure_report
from benchmarks.search import WORD, measure_history_search
from benchmarks.sets import SetSpec, prepare_set
from benchmarks.startup import measure_startup
from benchmarks.stores import Store
from benchmarks.tamper import measure_tamper
from storage.engine import Reader, make_database, make_reader

T = TypeVar("T")


@dataclass(frozen=True)
class Options:
    """How many samples each measurement takes."""

    startup_runs: int = 3
    """Fresh processes started (the median is reported)."""
    moves: int = 100
    """Queue moves that change customer."""
    open_repeats: int = 5
    """Times the heavy customer is opened."""
    search_repeats: int = 10
    """Times each search runs."""
    lookup_repeats: int = 5
    """Times each lookup text is looked up."""
    report_repeats: int = 5
    """Times the day's report is computed."""
    monitor_refreshes: int = 20
    """Full refreshes of the monitor timed."""
    proposals: int = 200
    """Policy previews."""
    claim_processes: int = 20
    """Processes claiming at once."""
    next_contacts: int = 2000
    """Contacts the processes pressing "next" share out (the most urgent ones)."""
    live_workspaces: int = 20
    """Workspaces open with a live feed while another acts."""
    live_actions: int = 200
    """Actions whose arrival in every feed is timed."""
    heartbeat_workspaces: int = 200
    """Open workspaces beating."""
    heartbeat_rounds: int = 10
    """Beats of each workspace measured."""
    deliverers: int = 4
    """Deliverer processes draining the outbox at once."""
    delivery_messages: int = 2000
    """Messages they deliver."""
    delivery_actions: int = 200
    """Actions whose message is timed to the receiver, a deliverer running."""
    tamper_entries: int = 10_000
    """Entries of the audit log the tamper suite mutates."""
    tamper_mutations: int = 1000
    """Single changes it makes by hand, each to be named by verification."""
    word: str = WORD
    """The word searched for."""


def _on_copy(store: Store, measure: Callable[[str], T]) -> T:
    """Run `measure` on a copy of the set (it writes), dropped afterwards."""
    for attempt in range(10):
        try:
            with store.copy() as url:
                return measure(url)
        except OperationalError as error:
            # A connection of the workspace just closed may linger a moment on the server,
            # and a database being used cannot be a template.
            if "being accessed by other users" not in str(error) or attempt == 9:
                raise
            time.sleep(1.0)
    raise BenchmarkError("unreachable")


def _import_file(
    store: Store, spec: SetSpec, url: str, build_id: str, cache: Path
) -> tuple[Path, int]:
    cache.mkdir(parents=True, exist_ok=True)
    name = f"{store.key}-{build_id}-{spec.import_records or 'all'}.import.jsonl"
    for old in cache.glob(f"{store.key}-*.import.jsonl"):
        if old.name != name:
            old.unlink()  # made from an earlier build of this set
    return cache / name, export_file(url, cache / name, spec.import_records)


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


#: Each figure: the measurement that takes it (its key in the details) and its field there.
SOURCES: dict[str, tuple[str, str]] = {
    "startup_s": ("startup", "startup_s"),
    "queue_move_p50_ms": ("queue_moves", "p50_ms"),
    "queue_move_p95_ms": ("queue_moves", "p95_ms"),
    "open_customer_10k_ms": ("open_customer", "ms"),
    "history_search_ms": ("history_search", "customer_ms"),
    "history_search_all_ms": ("history_search", "all_ms"),
    "lookup_ms": ("lookup", "p95_ms"),
    "report_day_ms": ("report", "day_p95_ms"),
    "monitor_first_screen_s": ("monitor_start", "first_screen_s"),
    "monitor_refresh_p95_ms": ("monitor_refresh", "p95_ms"),
    "monitor_rss_mb": ("monitor_start", "rss_mb"),
    "report_30_days_s": ("report", "month_s"),
    "rss_mb": ("rss", "rss_mb"),
    "policy_decision_p95_ms": ("policy_decisions", "p95_ms"),
    "import_records_per_s": ("import", "records_per_s"),
    "claims_per_s": ("claims", "claims_per_s"),
    "claims_next_per_s": ("claims_next", "claims_next_per_s"),
    "live_update_p95_ms": ("live_updates", "p95_ms"),
    "delivery_per_s": ("delivery", "delivery_per_s"),
    "delivery_latency_p95_ms": ("delivery_latency", "p95_ms"),
    "audit_verify_rows_per_s": ("tamper", "verify_rows_per_s"),
    "heartbeat_core_percent": ("heartbeats", "heartbeat_core_percent"),
    "replay_start_s": ("replay", "start_s"),
    "scenario_check_per_file_ms": ("replay", "check_per_file_ms"),
}


class _Measurements:
    """The measurements taken so far; one that fails (its own error, or the app's under
    test) is kept as its error, and the others are still taken (a run on a large set is
    too long to lose to one of them)."""

    def __init__(self) -> None:
        self.details: dict[str, dict[str, Any]] = {}
        self.failed: dict[str, str] = {}

    def take(self, name: str, message: str, measure: Callable[[], Any]) -> None:
        say(message)
        try:
            self.details[name] = asdict(measure())
        except BenchmarkError as error:
            self.failed[name] = str(error) or repr(error)
        except Exception:  # noqa: BLE001 - the app under test failed: kept, and reported
            self.failed[name] = traceback.format_exc()
        if name in self.failed:
            say(f"{name} failed: {self.failed[name].strip().splitlines()[-1]}")


def _read_only(url: str, measure: Callable[[Reader], T]) -> T:
    """Run `measure` on a read-only reader of `url`, as the monitor opens the database."""
    reader = make_reader(url)
    try:
        return measure(reader)
    finally:
        reader.dispose()


def run_benchmark(
    store: Store, spec: SetSpec, cache: Path, options: Options | None = None, rebuild: bool = False
) -> dict[str, Any]:
    """Take every figure on the set `spec` in `store`; returns the results (a measurement
    that failed has no figure, and its error under `failed`)."""
    o = options or Options()
    prepared = prepare_set(store, spec, rebuild=rebuild)
    url = prepared.url
    m = _Measurements()
    m.take(
        "startup",
        f"start-up ({o.startup_runs} fresh processes)",
        lambda: measure_startup(url, o.startup_runs),
    )
    m.take(
        "rss", "memory (a fresh process, the queue scrolled end to end)", lambda: measure_rss(url)
    )
    m.take(
        "replay",
        f"a trainer's replay ({o.startup_runs} fresh processes) and the library's check",
        lambda: measure_replay(o.startup_runs),
    )
    m.take(
        "monitor_start",
        f"the monitor's start and memory ({o.startup_runs} fresh processes)",
        lambda: measure_monitor_start(url, o.startup_runs),
    )
    m.take("queue_moves", f"queue moves ({o.moves})", lambda: measure_queue_moves(url, o.moves))
    m.take(
        "open_customer",
        f"opening the heaviest customer ({prepared.heavy_interactions:,} interactions)",
        lambda: measure_open_customer(url, prepared.heavy_contact, o.open_repeats),
    )
    db = make_database(url)
    try:
        m.take(
            "history_search",
            "history search",
            lambda: measure_history_search(db, prepared.heavy_customer, o.word, o.search_repeats),
        )
        m.take(
            "lookup",
            "lookup (name prefixes and e-mail addresses)",
            lambda: measure_lookup(db, o.lookup_repeats),
        )
        m.take(
            "monitor_refresh",
            "the monitor (every panel refreshed, read-only)",
            lambda: _read_only(url, lambda r: measure_refresh(r, o.monitor_refreshes)),
        )
        m.take(
            "report",
            "the report (one day in the process; 30 days as a command)",
            lambda: measure_report(db, url, o.report_repeats),
        )
        m.take(
            "policy_decisions",
            f"policy decisions ({o.proposals})",
            lambda: measure_policy_decisions(db, o.proposals),
        )
        machine = describe_machine(db)
    finally:
        db.dispose()
    n = o.claim_processes
    m.take(
        "claims",
        f"claims ({n} processes, on a copy of the set)",
        lambda: _on_copy(store, lambda u: measure_claims(u, n, spec.claim_contacts)),
    )
    m.take(
        "claims_next",
        f"next ({n} processes, {o.next_contacts:,} contacts, on a copy)",
        lambda: _on_copy(store, lambda u: measure_next_claims(u, n, o.next_contacts)),
    )
    m.take(
        "heartbeats",
        f"heartbeats ({o.heartbeat_workspaces} workspaces, on a copy)",
        lambda: _on_copy(
            store, lambda u: measure_heartbeats(u, o.heartbeat_workspaces, o.heartbeat_rounds)
        ),
    )
    m.take(
        "live_updates",
        f"live feed ({o.live_workspaces} workspaces, {o.live_actions} actions, on a copy)",
        lambda: _on_copy(
            store, lambda u: measure_live_updates(u, o.live_workspaces, o.live_actions)
        ),
    )
    m.take(
        "delivery",
        f"delivery ({o.deliverers} deliverers, {o.delivery_messages:,} messages, on a copy)",
        lambda: _on_copy(store, lambda u: measure_delivery(u, o.deliverers, o.delivery_messages)),
    )
    m.take(
        "delivery_latency",
        f"delivery latency ({o.delivery_actions} actions, a deliverer running, on a copy)",
        lambda: _on_copy(store, lambda u: measure_delivery_latency(u, o.delivery_actions)),
    )

    def tampered() -> Any:
        with store.scratch() as fresh:
            return measure_tamper(fresh, o.tamper_entries, o.tamper_mutations)

    m.take(
        "tamper",
        f"the audit log tampered with ({o.tamper_mutations:,} mutations of "
        f"{o.tamper_entries:,} entries, in a fresh database)",
        tampered,
    )
    files: list[Path] = []

    def imported() -> Any:
        file, records = _import_file(store, spec, url, prepared.build_id, cache)
        files.append(file)
        with store.scratch() as fresh:
            return measure_import(file, records, url, fresh)

    m.take("import", "import (export file, then `caredesk import` into a fresh database)", imported)
    if "import" in m.details:
        m.details["import"]["file"] = str(files[0])

    results: dict[str, Any] = {
        "size": spec.name,
        "database": store.backend,
        "url": store.safe_url,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    for figure, (name, field) in SOURCES.items():
        results[figure] = m.details[name][field] if name in m.details else None
    results["demo_build_records_per_s"] = float(prepared.build["demo_build_records_per_s"])
    results["targets"] = judged(results)
    results["set"] = {
        "reused": prepared.reused,
        **prepared.build,
        "counts": prepared.counts,
        "heavy_customer": prepared.heavy_customer,
        "heavy_interactions": prepared.heavy_interactions,
        "heavy_contact": prepared.heavy_contact,
    }
    results["details"] = m.details
    results["checks"] = checks(m.details)
    results["failed"] = m.failed
    results["writes"] = (
        "The set is only read (opening the workspace records the agent's news mark, as "
        "every workspace does). Policy decisions are previews, which store nothing; "
        "claims, next, heartbeats, the live feed and delivery each ran on a copy of the set ("
        + (
            "CREATE DATABASE ... TEMPLATE"
            if store.backend == "postgresql"
            else "SQLite's online backup"
        )
        + "), dropped after; the import ran into a fresh database, removed after."
    )
    results["machine"] = machine
    return dict(_rounded(results))
