"""One benchmark run: prepare the set, take every figure, and gather them with the machine's
description into the results (the JSON the CLI writes).

The set is only read. Opening the workspace records the agent's news mark
(`agent.news_seen_at`), as every workspace does; nothing a figure depends on. Claims run on
a copy of the set and the import into a fresh database, both dropped afterwards; policy
decisions are previews, which store nothing.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError

from benchmarks.claims import Claims, measure_claims
from benchmarks.common import BenchmarkError, say
from benchmarks.decisions import measure_policy_decisions
from benchmarks.importing import export_file, measure_import
from benchmarks.latency import measure_open_customer, measure_queue_moves
from benchmarks.machine import describe_machine
from benchmarks.memory import measure_rss
from benchmarks.report import judged
from benchmarks.search import WORD, measure_history_search
from benchmarks.sets import SetSpec, prepare_set
from benchmarks.startup import measure_startup
from benchmarks.stores import PostgresStore, Store
from storage.engine import make_database


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
    proposals: int = 200
    """Policy previews."""
    claim_processes: int = 20
    """Processes claiming at once (PostgreSQL)."""
    word: str = WORD
    """The word searched for."""


def _claims(store: PostgresStore, spec: SetSpec, options: Options) -> Claims:
    for attempt in range(10):
        try:
            with store.copy() as url:
                return measure_claims(url, options.claim_processes, spec.claim_contacts)
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


def run_benchmark(
    store: Store, spec: SetSpec, cache: Path, options: Options | None = None, rebuild: bool = False
) -> dict[str, Any]:
    """Take every figure on the set `spec` in `store`; returns the results."""
    options = options or Options()
    prepared = prepare_set(store, spec, rebuild=rebuild)
    url = prepared.url
    say(f"start-up ({options.startup_runs} fresh processes)")
    startup = measure_startup(url, options.startup_runs)
    say("memory (a fresh process, the queue scrolled end to end)")
    memory = measure_rss(url)
    say(f"queue moves ({options.moves})")
    moves = measure_queue_moves(url, options.moves)
    say(f"opening the heaviest customer ({prepared.heavy_interactions:,} interactions)")
    opened = measure_open_customer(url, prepared.heavy_contact, options.open_repeats)
    db = make_database(url)
    try:
        say("history search")
        search = measure_history_search(
            db, prepared.heavy_customer, options.word, options.search_repeats
        )
        say(f"policy decisions ({options.proposals})")
        decisions = measure_policy_decisions(db, options.proposals)
        machine = describe_machine(db)
    finally:
        db.dispose()
    claims = None
    if isinstance(store, PostgresStore):
        say(f"claims ({options.claim_processes} processes, on a copy of the set)")
        claims = _claims(store, spec, options)
    say("import (export file, then `caredesk import` into a fresh database)")
    file, records = _import_file(store, spec, url, prepared.build_id, cache)
    with store.scratch() as fresh:
        imported = measure_import(file, records, url, fresh)

    results: dict[str, Any] = {
        "size": spec.name,
        "database": store.backend,
        "url": store.safe_url,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "startup_s": startup.startup_s,
        "queue_move_p50_ms": moves.p50_ms,
        "queue_move_p95_ms": moves.p95_ms,
        "open_customer_10k_ms": opened.ms,
        "history_search_ms": search.customer_ms,
        "history_search_all_ms": search.all_ms,
        "rss_mb": memory.rss_mb,
        "policy_decision_p95_ms": decisions.p95_ms,
        "import_records_per_s": imported.records_per_s,
        "demo_build_records_per_s": float(prepared.build["demo_build_records_per_s"]),
        "claims_per_s": claims.claims_per_s if claims is not None else None,
    }
    results["targets"] = judged(results)
    results["set"] = {
        "reused": prepared.reused,
        **prepared.build,
        "counts": prepared.counts,
        "heavy_customer": prepared.heavy_customer,
        "heavy_interactions": prepared.heavy_interactions,
        "heavy_contact": prepared.heavy_contact,
    }
    results["details"] = {
        "startup": asdict(startup),
        "rss": asdict(memory),
        "queue_moves": asdict(moves),
        "open_customer": asdict(opened),
        "history_search": asdict(search),
        "policy_decisions": asdict(decisions),
        "claims": asdict(claims) if claims is not None else None,
        "import": asdict(imported) | {"file": str(file)},
    }
    results["writes"] = (
        "The set is only read (opening the workspace records the agent's news mark, as "
        "every workspace does). Policy decisions are previews, which store nothing; "
        + (
            "claims ran on a copy of the set (CREATE DATABASE ... TEMPLATE), dropped after; "
            if claims is not None
            else "claims are not measured on SQLite; "
        )
        + "the import ran into a fresh database, removed after."
    )
    results["machine"] = machine
    return dict(_rounded(results))
