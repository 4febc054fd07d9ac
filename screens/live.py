"""What keeps a workspace current: the live feed of others' changes, and its heartbeat.

One thread worker waits on the database's own signal and posts each batch of changes to
the screen, which reloads only what they touch. A second, slow timer beats the workspace's
session, so others see it is open, and lets holds of workspaces gone silent lapse.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message
from textual.widget import Widget
from textual.worker import Worker, WorkerState, get_current_worker

from screens.connection import DatabaseLost
from workspace.errors import database_lost, describe_failure, failure_reason

if TYPE_CHECKING:  # the database layers load in the boot worker, after the first frame
    from workspace.live import Changes
    from workspace.workbench import Workbench

#: The listening worker's group: it runs as long as the workspace is open.
LISTEN = "live.listen"
#: Longest wait on the feed before looking whether the worker was cancelled.
WAIT = 1.0
#: Seconds before listening again after the feed failed.
RETRY = 3.0


class LiveWatcher(Widget):
    """Listens for others' changes and beats this workspace's session; shows nothing."""

    DEFAULT_CSS = "LiveWatcher { display: none; }"

    class Changed(Message):
        """Others (or this workspace) changed something the screen may show."""

        def __init__(self, changes: Changes) -> None:
            super().__init__()
            self.changes = changes

    def __init__(self) -> None:
        super().__init__()
        self.bench: Workbench | None = None
        self._failure: str | None = None

    def start(self, bench: Workbench) -> None:
        """Begin the session, listen, and beat from now on."""
        self.bench = bench
        self.listen()
        self.set_interval(bench.presence.beat_every, self.beat)

    @work(thread=True, exclusive=True, group=LISTEN, exit_on_error=False)
    def listen(self) -> None:
        """Wait for changes until the workspace closes; a lost database is told, then
        listened to again (the change log keeps what was missed meanwhile)."""
        bench = self.bench
        assert bench is not None
        worker = get_current_worker()
        feed = bench.feed
        begun = False
        try:
            while not worker.is_cancelled:
                try:
                    if not begun:
                        bench.presence.begin()
                        begun = True
                    changes = feed.wait(WAIT)
                except Exception as error:
                    if not database_lost(error):
                        raise
                    self.post_message(DatabaseLost(failure_reason(error)))
                    time.sleep(RETRY)
                    continue
                if changes and not worker.is_cancelled:
                    self.post_message(self.Changed(changes))
        finally:
            feed.close()

    @work(thread=True, exclusive=True, group="live.beat", exit_on_error=False)
    def beat(self) -> None:
        """Tell the database this workspace is open; holds of silent ones lapse."""
        if self.bench is not None:
            self.bench.presence.beat()

    @work(thread=True, exclusive=True, group="live.view", exit_on_error=False)
    def view(self, ticket_id: str | None) -> None:
        """Tell others which contact this workspace has open."""
        if self.bench is not None:
            self.bench.presence.view(ticket_id)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A lost database is the screen's to show; anything else is told once."""
        error = event.worker.error
        if event.state != WorkerState.ERROR or error is None:
            return
        if database_lost(error):
            self.post_message(DatabaseLost(failure_reason(error)))
            return
        self.log.error(f"{event.worker.name} failed", error)
        message = describe_failure(error)
        if message != self._failure:
            self._failure = message
            self.notify(message, title="Live updates", severity="error", markup=False)
