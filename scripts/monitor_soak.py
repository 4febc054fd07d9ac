"""Watch the floor for a long while and prove the monitor changed nothing:
`uv run python scripts/monitor_soak.py --db URL [--minutes 60]`.

It reads a digest of the database (SQLite: the file's bytes, after a checkpoint; PostgreSQL:
each table's row count and a checksum of its rows), then runs the wallboard headless on a
read-only reader for `--minutes`: every minute it opens a line of the urgent list and of the
floor read-only, searches that customer's history, goes back and refreshes every panel. It
then reads the digest again and exits 0 when it is the same, 1 when anything changed. Nobody
else may write to the database meanwhile (a demo file or a database of its own).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from textual.worker import WorkerState  # noqa: E402

from screens.context_pane import ContextPane  # noqa: E402
from screens.monitor import LISTEN, ORDER, ContactView, MonitorScreen  # noqa: E402
from storage.engine import make_database, make_reader  # noqa: E402
from storage.testing import file_digest, table_sums  # noqa: E402
from workspace.app import CareDeskApp, MonitorLaunch  # noqa: E402


def digest(url: str) -> object:
    """What must not change: the SQLite file's bytes, or every PostgreSQL table's rows."""
    db = make_database(url)
    try:
        if db.is_sqlite:
            db.dispose()
            return file_digest(Path(str(db.read.url.database)))
        return table_sums(db)
    finally:
        db.dispose()


async def settle(app: CareDeskApp) -> MonitorScreen:
    """Wait until the wallboard is up and no read but the live feed runs."""
    while not isinstance(app.screen, MonitorScreen) or len(app.screen.read) < len(ORDER):
        await asyncio.sleep(0.05)
    screen = app.screen
    while any(
        w.state in (WorkerState.PENDING, WorkerState.RUNNING) and w.group != LISTEN
        for w in app.workers
    ):
        await asyncio.sleep(0.05)
    return screen


async def watch(url: str, minutes: float) -> int:
    """Drill in once a minute for `minutes`; returns how many contacts were opened."""
    app = CareDeskApp(MonitorLaunch(lambda: make_reader(url)), show_clock=False)
    opened = 0
    async with app.run_test(size=(200, 60)) as pilot:
        end = time.monotonic() + minutes * 60
        while time.monotonic() < end:
            screen = await settle(app)
            for board, moves in (("urgent", ("down",)), ("floor", ("end",))):
                screen.board(board).focus()
                await pilot.press(*moves, "enter")
                await asyncio.sleep(0.5)
                if isinstance(app.screen, ContactView):
                    pane = app.screen.query_one(ContextPane)
                    while pane.context is None:
                        await asyncio.sleep(0.05)
                    opened += 1
                    await pilot.press("slash", *"late", "enter")
                    await asyncio.sleep(0.5)
                    await pilot.press("escape", "escape")
                while not isinstance(app.screen, MonitorScreen):
                    await asyncio.sleep(0.05)
            screen.action_refresh_all()
            await asyncio.sleep(min(60.0, max(0.0, end - time.monotonic())))
    return opened


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="the database to watch")
    parser.add_argument("--minutes", type=float, default=60.0, help="how long (default 60)")
    args = parser.parse_args()
    before = digest(args.db)
    started = time.monotonic()
    opened = asyncio.run(watch(args.db, args.minutes))
    same = digest(args.db) == before
    took = (time.monotonic() - started) / 60
    verdict = "unchanged" if same else "CHANGED"
    print(f"watched {took:.1f} min, opened {opened} contacts read-only: the database is {verdict}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
