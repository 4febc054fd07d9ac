"""Driving the real workspace headless (`App.run_test`) and waiting on what it shows.

The figures come from the app's own marks, not from the pilot's wall time:
`CursorView.moved_at` (a key moved the queue's cursor) and `ContextPane.shown`
(a customer's digest and first timeline page are on screen).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from textual.pilot import Pilot

from benchmarks.common import BenchmarkError
from screens.context_pane import ContextPane
from screens.workspace import WorkspaceScreen
from storage.engine import make_database
from widgets.queue_table import QueueTable
from workspace.app import AgentLaunch, CareDeskApp
from workspace.queue import QueueRow
from workspace.reading import Reading

#: The terminal the workspace is measured in (the test suite's usual size).
SIZE = (120, 35)
#: Seconds between looks at the app while waiting.
POLL = 0.002


class Driven:
    """The workspace under a pilot, with waits on what it shows."""

    def __init__(self, app: CareDeskApp, pilot: Pilot[None]) -> None:
        self.app = app
        self.pilot = pilot

    @property
    def screen(self) -> WorkspaceScreen:
        """The workspace screen (once it is pushed)."""
        screen = self.app.screen
        if not isinstance(screen, WorkspaceScreen):
            raise BenchmarkError(f"the workspace is not on screen ({screen!r} is)")
        return screen

    @property
    def table(self) -> QueueTable:
        """The queue."""
        return self.screen.query_one(QueueTable)

    @property
    def pane(self) -> ContextPane:
        """The customer context pane."""
        return self.screen.query_one(ContextPane)

    @property
    def reading(self) -> Reading:
        """What the workspace reads with, once it opened its database."""
        bench = self.screen.bench
        if bench is None:
            raise BenchmarkError("the workspace has not opened its database")
        return bench.reading

    async def until(self, check: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
        """Let the app run until `check()` holds; BenchmarkError after `timeout` seconds."""
        deadline = time.perf_counter() + timeout
        while not check():
            if time.perf_counter() > deadline:
                raise BenchmarkError(f"timed out after {timeout:.0f} s waiting for {what}")
            await self.pilot.pause(POLL)

    def shows(self, customer_id: str, since: float = 0.0) -> bool:
        """Whether the context pane shows `customer_id` in full, shown at or after `since`."""
        shown = self.pane.shown
        return shown is not None and shown[0] == customer_id and shown[1] >= since

    async def settle(self, index: int, since: float = 0.0) -> QueueRow:
        """Wait until row `index` is loaded and its customer is shown; returns the row."""
        table = self.table
        await self.until(lambda: table.row_at(index) is not None, f"queue row {index} to load")
        row = table.row_at(index)
        assert row is not None
        await self.until(lambda: self.shows(row.customer_id, since), f"customer of row {index}")
        return row

    async def ready(self) -> QueueRow:
        """Wait for the first page of the queue and its first customer; returns that row."""

        def first_page() -> bool:
            screen = self.app.screen
            if not isinstance(screen, WorkspaceScreen):
                return False
            # Pushed is not yet composed: on a busy machine the poll can come in between.
            found = screen.query(QueueTable)
            return bool(found) and found.first().total > 0

        await self.until(first_page, "the first page of the queue")
        return await self.settle(0)


@asynccontextmanager
async def workspace(url: str, agent: str | None = None) -> AsyncIterator[Driven]:
    """The workspace open on `url`, headless, with the first queue row's customer shown."""
    app = CareDeskApp(
        AgentLaunch(lambda: make_database(url), agent=agent, fill_demo=False), show_clock=False
    )
    async with app.run_test(size=SIZE) as pilot:
        driven = Driven(app, pilot)
        await driven.ready()
        yield driven
