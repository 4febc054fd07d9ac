"""Peak memory of the workspace open on a set, after scrolling the queue end to end.

Measured in a fresh process (`python -m benchmarks.memory --db URL`), so nothing the
benchmark itself holds is counted: it opens the workspace headless, presses `end` and
waits for the last page and its customer, presses `home` and waits for the first again,
then reads its own peak resident set size (`peak_rss_mb`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass

from benchmarks.common import run_child


@dataclass(frozen=True)
class Memory:
    """Peak RSS of the workspace process."""

    rss_mb: float
    """Peak resident set size, MiB."""
    queue_rows: int
    """Rows the queue scrolled over."""


def peak_rss_mb() -> float:
    """This process's peak resident set size in MiB.

    On Linux, the high-water mark of this program's own memory (`VmHWM`): `ru_maxrss`
    survives exec, so a child forked from a big parent (the benchmark, just after it built a
    set) would report the parent's size. Elsewhere `ru_maxrss` (KiB; bytes on macOS).
    """
    import resource

    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


async def _scroll(url: str) -> dict[str, float]:
    from benchmarks.drive import workspace

    async with workspace(url) as d:
        total = d.table.total
        await d.pilot.press("end")
        await d.settle(total - 1)
        await d.pilot.press("home")
        await d.settle(0)
        return {"rss_mb": peak_rss_mb(), "queue_rows": total}


def measure_rss(url: str) -> Memory:
    """Open the workspace on `url` in a new process, scroll the queue, and read its peak RSS."""
    result = run_child("benchmarks.memory", "--db", url)
    return Memory(rss_mb=float(result["rss_mb"]), queue_rows=int(result["queue_rows"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db", required=True, metavar="URL", help="a database with data")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(_scroll(args.db))))


if __name__ == "__main__":
    main()
