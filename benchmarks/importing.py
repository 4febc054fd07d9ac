"""Import: `caredesk import` of a JSON Lines file into a fresh database, records per second.

The file is what `caredesk export` writes for the set (parents first, so its first N lines
import on their own), cut at the preset's number of records and cached beside the sets
until the set is rebuilt. The import runs in a child process (`python -m
benchmarks.importing URL FILE`) that times the `caredesk import` command itself
(`workspace.cli.main`). Before it, untimed, the fresh database gets the newest schema and
the set's agents (the import format has no agents, and contacts name who holds them), so
neither that nor starting Python is spread over the records.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import BenchmarkError, run_child


@dataclass(frozen=True)
class Import:
    """One import of the file into an empty database."""

    records_per_s: float
    """Records (lines) imported per second."""
    records: int
    """Records in the file."""
    seconds: float
    """Time of the import command."""


def export_file(url: str, target: Path, records: int | None) -> int:
    """Write the first `records` lines of `caredesk export` of `url` (all when None) to
    `target`, unless a file from an earlier run is there; returns its records."""
    if target.exists():
        with target.open("rb") as handle:
            return sum(1 for line in handle if line.strip())
    partial = target.with_name(target.name + ".partial")
    command = [sys.executable, "-m", "workspace.cli", "export", "--db", url]
    written = 0
    with (
        partial.open("wb") as out,
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as child,
    ):
        assert child.stdout is not None
        for line in child.stdout:
            out.write(line)
            written += 1
            if records is not None and written >= records:
                break
        child.stdout.close()  # the exporter stops at the broken pipe, as it does under `head`
        code = child.wait()
    if code not in (0, 141) or (code == 141 and written != records):
        partial.unlink(missing_ok=True)
        raise BenchmarkError(f"caredesk export of {url} exited with {code}")
    partial.replace(target)
    return written


def _team_from(source_url: str, fresh_url: str) -> None:
    """Give the fresh database the newest schema and the source set's agents."""
    from sqlalchemy import select
    from sqlmodel import col

    from storage.bulk import insert_rows
    from storage.engine import make_database
    from storage.migrate import upgrade
    from storage.models import Agent
    from storage.uow import unit_of_work

    source, fresh = make_database(source_url), make_database(fresh_url)
    try:
        with source.read.connect() as conn:
            stmt = select(col(Agent.name), col(Agent.display_name), col(Agent.role))
            agents = [dict(row._mapping) for row in conn.execute(stmt.order_by(col(Agent.id)))]
        upgrade(fresh.read)
        with unit_of_work(fresh) as session:
            insert_rows(session, "agent", agents)
    finally:
        source.dispose()
        fresh.dispose()


def measure_import(file: Path, records: int, source_url: str, fresh_url: str) -> Import:
    """Import `file` (of `records` records, exported from `source_url`) into the empty
    database at `fresh_url`."""
    _team_from(source_url, fresh_url)
    result = run_child("benchmarks.importing", fresh_url, str(file), timeout=7200)
    seconds = float(result["seconds"])
    return Import(records_per_s=records / seconds, records=records, seconds=seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description="Time `caredesk import FILE` into URL.")
    parser.add_argument("url", help="a database with the schema and agents, and no records")
    parser.add_argument("file", type=Path, help="the JSON Lines file")
    args = parser.parse_args()

    from workspace.cli import main as caredesk

    started = time.perf_counter()
    code = caredesk(["import", "--db", args.url, str(args.file)])
    seconds = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"caredesk import exited with {code}")
    print(json.dumps({"seconds": seconds}))


if __name__ == "__main__":
    main()
