"""Start-up: from process start to an interactive workspace showing the first queue page.

Run as `uv run python -m benchmarks.startup [--db URL]` in a fresh process: the figure
includes importing Textual and CareDesk, opening the database and painting the queue and
the first customer's digest. It runs headless, so no terminal I/O is counted.

`measure_startup` starts that process itself and passes `--since`, the moment it spawned
it: `perf_counter` is the system's monotonic clock, so the figure then also counts starting
the interpreter.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()  # before anything heavy is imported

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from dataclasses import dataclass  # noqa: E402


@dataclass(frozen=True)
class Startup:
    """Start-up times, seconds from spawning the process (medians over the runs)."""

    startup_s: float
    """Until the first page of the queue is on screen."""
    first_frame_s: float
    """Until the first frame (the workspace, still opening its database)."""
    digest_s: float
    """Until the first customer's digest is on screen as well."""
    runs: tuple[float, ...]
    """`startup_s` of every run, in order (the first is the coldest)."""


async def _measure(url: str, agent: str | None, since: float) -> dict[str, float]:
    from storage.engine import make_database
    from widgets.digest import CustomerDigest
    from widgets.queue_table import QueueTable
    from workspace.app import AgentLaunch, CareDeskApp

    app = CareDeskApp(
        AgentLaunch(lambda: make_database(url), agent=agent, fill_demo=False),
        show_clock=False,
        quiet_start=True,  # as `caredesk` starts
    )
    marks: dict[str, float] = {}
    async with app.run_test(size=(120, 35)) as pilot:
        marks["first_frame_s"] = time.perf_counter() - since
        while True:
            screen = app.screen
            table = screen.query(QueueTable)
            if table and table.first().total and table.first().row_at(0) is not None:
                marks.setdefault("queue_s", time.perf_counter() - since)
                digest = screen.query_one(CustomerDigest)
                if digest.digest is not None:
                    marks["digest_s"] = time.perf_counter() - since
                    break
            await pilot.pause(0.005)
    return marks


def measure_startup(url: str, runs: int = 3) -> Startup:
    """Start the workspace on `url` in `runs` fresh processes; the medians of their marks."""
    from benchmarks.common import median, run_child

    marks = []
    for _ in range(runs):
        spawned = time.perf_counter()
        marks.append(run_child("benchmarks.startup", "--db", url, "--since", repr(spawned)))
    queue = tuple(float(m["queue_s"]) for m in marks)
    return Startup(
        startup_s=median(queue),
        first_frame_s=median([float(m["first_frame_s"]) for m in marks]),
        digest_s=median([float(m["digest_s"]) for m in marks]),
        runs=queue,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db", required=True, help="a database with data (run caredesk first)")
    parser.add_argument("--agent", default=None)
    parser.add_argument(
        "--since",
        type=float,
        default=None,
        help="perf_counter() when the process was spawned (default: when this module loaded)",
    )
    args = parser.parse_args()
    since = STARTED if args.since is None else args.since
    print(json.dumps(asyncio.run(_measure(args.db, args.agent, since))))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
