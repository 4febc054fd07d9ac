"""The trainer's figures: `replay_start_s`, from process start until a replay's first customer
turn shows in the workspace (its throw-away world built and filled on the way), and
`scenario_check_per_file_ms`, `caredesk scenario check` over the library CareDesk ships, run
as a trainer runs it (a fresh process, start to exit), divided by the files checked.

Neither reads the benchmark's set: a replay never opens the team's database.

Run as `uv run python -m benchmarks.replaying --scenario FILE` in a fresh process (headless,
so no terminal I/O is counted); `measure_replay` spawns it and passes `--since`, the moment it
spawned it, so the figure also counts starting the interpreter.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()  # before anything heavy is imported

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402


@dataclass(frozen=True)
class ReplayTimes:
    """Medians over the runs, and the library check."""

    start_s: float
    """Seconds from spawning the process until the first customer turn is on screen."""
    runs: tuple[float, ...]
    """`start_s` of every run, in order (the first is the coldest)."""
    check_per_file_ms: float
    """`caredesk scenario check` over the shipped library, per file."""
    files: int
    """Scenario files checked."""


async def _first_turn(scenario_file: Path, since: float) -> float:
    from screens.replay import ReplayScreen
    from widgets.timeline import Timeline
    from workspace.cli.replay import replay_app
    from workspace.replay.loading import load_scenario

    scenario = load_scenario(scenario_file)
    first = next(t.customer for t in scenario.contact.turns if t.at is not None)
    with tempfile.TemporaryDirectory() as folder:
        app, _files = replay_app(scenario, Path(folder), "bench")
        async with app.run_test(size=(120, 35)) as pilot:
            while True:
                screen = app.screen
                if isinstance(screen, ReplayScreen):
                    entries = [e for t in screen.query(Timeline) for e in t.entries]
                    if any(e.text == first for e in entries):
                        shown = time.perf_counter() - since
                        await pilot.pause(0.5)  # let the workspace finish mounting, then quit
                        return shown
                await pilot.pause(0.005)


def measure_replay(runs: int = 3) -> ReplayTimes:
    """Start a replay of the first shipped scenario in `runs` fresh processes, and check the
    whole library once as a command."""
    from benchmarks.common import median, run_child
    from workspace.replay.shipped import shipped

    library = shipped()
    marks = []
    for _ in range(runs):
        spawned = time.perf_counter()
        marks.append(
            run_child(
                "benchmarks.replaying", "--scenario", str(library[0]), "--since", repr(spawned)
            )
        )
    starts = tuple(float(m["start_s"]) for m in marks)
    command = [sys.executable, "-m", "workspace.cli", "scenario", "check", *map(str, library)]
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    took = time.perf_counter() - began
    if done.returncode != 0:
        from benchmarks.common import BenchmarkError

        raise BenchmarkError(f"scenario check failed: {done.stdout.strip()[-300:]}")
    return ReplayTimes(
        start_s=median(starts),
        runs=starts,
        check_per_file_ms=took * 1000 / len(library),
        files=len(library),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scenario", type=Path, required=True, help="the scenario to replay")
    parser.add_argument("--since", type=float, default=None, help="perf_counter() at spawn")
    args = parser.parse_args()
    since = STARTED if args.since is None else args.since
    print(json.dumps({"start_s": asyncio.run(_first_turn(args.scenario, since))}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
