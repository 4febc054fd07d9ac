"""The monitor's start and weight: `monitor_first_screen_s`, from process start until every
panel shows what it read, and `monitor_rss_mb`, the process's peak memory once it has
refreshed every panel a few times.

Run as `uv run python -m benchmarks.monitor_start --db URL` in a fresh process (headless, so
no terminal I/O is counted); `measure_monitor_start` spawns it and passes `--since`, the
moment it spawned it, so the figure also counts starting the interpreter.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()  # before anything heavy is imported

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from dataclasses import dataclass  # noqa: E402

#: Full refreshes before memory is read: a wallboard runs all day.
REFRESHES = 5


@dataclass(frozen=True)
class MonitorStart:
    """Medians over the runs."""

    first_screen_s: float
    """Seconds from spawning the process until every panel shows what it read."""
    rss_mb: float
    """Peak resident memory (MiB) after `REFRESHES` full refreshes."""
    runs: tuple[float, ...]
    """`first_screen_s` of every run, in order (the first is the coldest)."""


async def _measure(url: str, since: float) -> dict[str, float]:
    from screens.monitor import ORDER, MonitorScreen
    from storage.engine import make_reader
    from workspace.app import CareDeskApp, MonitorLaunch

    app = CareDeskApp(
        MonitorLaunch(lambda: make_reader(url)), show_clock=False, quiet_start=True
    )  # as `caredesk monitor` starts
    marks: dict[str, float] = {}
    async with app.run_test(size=(200, 60)) as pilot:
        while True:
            screen = app.screen
            if isinstance(screen, MonitorScreen) and len(screen.refreshed_at) == len(ORDER):
                marks["first_screen_s"] = time.perf_counter() - since
                break
            await pilot.pause(0.005)
        for _ in range(REFRESHES):
            before = dict(screen.refreshed_at)
            screen.action_refresh_all()
            while any(screen.refreshed_at.get(n) == before.get(n) for n in ORDER):
                await pilot.pause(0.01)
    marks["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return marks


def measure_monitor_start(url: str, runs: int = 3) -> MonitorStart:
    """Start the monitor on `url` in `runs` fresh processes; the medians of their marks."""
    from benchmarks.common import median, run_child

    marks = []
    for _ in range(runs):
        spawned = time.perf_counter()
        marks.append(run_child("benchmarks.monitor_start", "--db", url, "--since", repr(spawned)))
    first = tuple(float(m["first_screen_s"]) for m in marks)
    return MonitorStart(
        first_screen_s=median(first),
        rss_mb=median([float(m["rss_mb"]) for m in marks]),
        runs=first,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db", required=True, help="a database at the current schema")
    parser.add_argument("--since", type=float, default=None, help="perf_counter() at spawn")
    args = parser.parse_args()
    since = STARTED if args.since is None else args.since
    print(json.dumps(asyncio.run(_measure(args.db, since))))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
