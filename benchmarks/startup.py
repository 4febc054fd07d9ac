"""Start-up: from process start to an interactive workspace showing the first queue page.

Run as `uv run python -m benchmarks.startup [--db URL]` in a fresh process: the figure
includes importing Textual and CareDesk, opening the database and painting the queue and
the first customer's digest. It runs headless, so no terminal I/O is counted.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()  # before anything heavy is imported

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402


async def _measure(url: str, agent: str | None) -> dict[str, float]:
    from storage.engine import make_database
    from widgets.digest import CustomerDigest
    from widgets.queue_table import QueueTable
    from workspace.app import CareDeskApp

    app = CareDeskApp(lambda: make_database(url), agent=agent, fill_demo=False, show_clock=False)
    marks: dict[str, float] = {}
    async with app.run_test(size=(120, 35)) as pilot:
        marks["first_frame_s"] = time.perf_counter() - STARTED
        while True:
            screen = app.screen
            table = screen.query(QueueTable)
            if table and table.first().total and table.first().row_at(0) is not None:
                marks.setdefault("queue_s", time.perf_counter() - STARTED)
                digest = screen.query_one(CustomerDigest)
                if digest.digest is not None:
                    marks["digest_s"] = time.perf_counter() - STARTED
                    break
            await pilot.pause(0.02)
    return marks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a database with data (run caredesk first)")
    parser.add_argument("--agent", default=None)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(_measure(args.db, args.agent))))


if __name__ == "__main__":
    main()
