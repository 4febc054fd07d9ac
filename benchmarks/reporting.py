"""The report's figures: `report_day_ms`, the 95th percentile of one day's report computed in
the process (every metric, by channel and by agent, as the monitor and `caredesk report`
compute it), and `report_30_days_s`, `caredesk report --json` over the last 30 days run as a
user runs it: a fresh process, start to exit.

The day is the UTC day of the set's newest closed contact, so the figure measures a day a
team actually had, closures included, whenever the set was built (a set's last days hold the
contacts still open, and the day before the newest opened had none closed).
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from benchmarks.common import BenchmarkError, percentile
from storage.engine import Reader
from storage.models import Ticket
from workspace.metrics import Metrics, Period
from workspace.reporting import report

#: Days `report_30_days_s` covers.
DAYS = 30


@dataclass(frozen=True)
class ReportTimes:
    """Times of the report over one day, and of the command over `DAYS` days."""

    day_p95_ms: float
    """95th percentile of one day's report, in the process."""
    day_p50_ms: float
    """Median of the same."""
    samples: int
    """Day reports timed (after one untimed run)."""
    closed: int | None
    """Contacts closed on that day, as the report counted them (what it had to read)."""
    month_s: float
    """`caredesk report --json` over `DAYS` days: a fresh process, start to exit."""


def last_day(db: Reader) -> Period:
    """The UTC day of the set's newest closed contact."""
    ticket = Ticket.__table__.c  # type: ignore[attr-defined]
    with db.read.connect() as conn:
        newest = conn.execute(
            select(func.max(func.coalesce(ticket.resolved_at, ticket.opened_at))).where(
                ticket.status == "resolved"
            )
        ).scalar_one()
    if newest is None:
        raise BenchmarkError("the set has no closed contacts to report on")
    if isinstance(newest, str):  # SQLite hands back the stored text
        newest = datetime.fromisoformat(newest)
    start = newest.replace(hour=0, minute=0, second=0, microsecond=0)
    return Period(start, start + timedelta(days=1))


def measure_report(db: Reader, url: str, repeats: int = 5) -> ReportTimes:
    """Time the day's report `repeats` times, and the command over `DAYS` days once."""
    day = last_day(db)
    first = report(db, day)  # untimed: warms the connection and the caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        report(db, day)
        times.append((time.perf_counter() - start) * 1000)
    since = (day.until - timedelta(days=DAYS)).strftime("%Y-%m-%d")
    until = day.until.strftime("%Y-%m-%d")
    command = [sys.executable, "-m", "workspace.cli", "--db", url, "report"]
    command += ["--since", since, "--until", until, "--json"]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    month_s = time.perf_counter() - start
    if done.returncode != 0:
        raise BenchmarkError(f"caredesk report failed: {done.stderr.strip()[-300:]}")
    return ReportTimes(
        day_p95_ms=percentile(times, 95),
        day_p50_ms=percentile(times, 50),
        samples=len(times),
        closed=_closed(first),
        month_s=month_s,
    )


def _closed(metrics: Metrics) -> int | None:
    return metrics.total.contacts_closed
