"""The monitor's refresh: `monitor_refresh_p95_ms`, the 95th percentile of one full refresh of
every panel (queue depth, breached and at risk, every agent, approvals waiting,
compensation, the policy's friction, and today's figures with their trends), read as the
wallboard reads them: through a read-only reader, one panel after another.

The first refresh is untimed: it fills the trend's finished hours and days, which the
monitor keeps for the rest of the day; each timed refresh then reads what a live wallboard
reads every few seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from benchmarks.common import percentile
from storage.engine import Reader
from workspace.monitor import Monitor
from workspace.policy_file import default_policy
from workspace.timefmt import utcnow
from workspace.trends import Trends


@dataclass(frozen=True)
class RefreshTimes:
    """Times of full refreshes of the monitor."""

    p95_ms: float
    """95th percentile of one refresh of every panel."""
    p50_ms: float
    """Median of the same."""
    first_ms: float
    """The first refresh, which also computes the trend's finished hours and days."""
    samples: int
    """Refreshes timed."""
    agents: int
    """Agent lines the floor panel read."""


def measure_refresh(db: Reader, repeats: int = 20) -> RefreshTimes:
    """Time `repeats` full refreshes after a first, untimed one."""
    monitor = Monitor(db, default_policy(), utcnow)
    trends = Trends(db, utcnow)

    def refresh() -> int:
        monitor.depth()
        monitor.urgent()
        agents = monitor.floor()
        monitor.approvals()
        monitor.compensation()
        monitor.deliveries()
        monitor.friction()
        trends.read()
        return len(agents)

    start = time.perf_counter()
    agents = refresh()
    first_ms = (time.perf_counter() - start) * 1000
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        refresh()
        times.append((time.perf_counter() - start) * 1000)
    return RefreshTimes(
        p95_ms=percentile(times, 95),
        p50_ms=percentile(times, 50),
        first_ms=first_ms,
        samples=len(times),
        agents=agents,
    )
