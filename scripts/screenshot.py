"""Regenerate the README screenshot: `uv run python scripts/screenshot.py`.

It builds the demo set at a fixed time into a temporary database, opens the workspace at
120x35, claims a contact, goes to the reply box (3), types a reply and saves what Textual
draws as an SVG.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["TZ"] = "UTC"
time.tzset()

from textual.pilot import Pilot  # noqa: E402
from textual.worker import WorkerState  # noqa: E402

from screens.live import LISTEN  # noqa: E402
from storage.testing import fresh_sqlite  # noqa: E402
from workspace.app import AgentLaunch, CareDeskApp  # noqa: E402
from workspace.demo import build_demo  # noqa: E402

NOW = datetime(2026, 11, 7, 9, 0, tzinfo=UTC)


async def settle(app: CareDeskApp, pilot: Pilot[None]) -> None:
    """Wait until no worker runs but the live feed's listener, which runs for good."""
    for _ in range(3):
        for _ in range(500):
            busy = [w for w in app.workers if w.state in (WorkerState.PENDING, WorkerState.RUNNING)]
            if all(w.group == LISTEN for w in busy):
                break
            await asyncio.sleep(0.01)
        await pilot.pause()


async def main() -> None:
    db = fresh_sqlite(Path(tempfile.mkdtemp()))
    build_demo(db, now=NOW)
    app = CareDeskApp(AgentLaunch(lambda: db, fill_demo=False), clock=lambda: NOW, show_clock=False)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(app, pilot)
        await pilot.press("down", "down", "down", "enter")
        await settle(app, pilot)
        await pilot.press("3", *"I'm so sorry about the wait, let me sort this out now.")
        app.clear_notifications()
        await pilot.pause()
        app.save_screenshot(str(ROOT / "docs" / "screenshot.svg"))


if __name__ == "__main__":
    asyncio.run(main())
