"""A pane of the workspace: a container that owns the workers feeding its widgets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from textual.containers import Vertical
from textual.notifications import SeverityLevel
from textual.worker import Worker, WorkerState

from workspace.errors import CareDeskError, describe_failure
from workspace.timefmt import utcnow

if TYPE_CHECKING:
    from workspace.desk import Desk


class Pane(Vertical):
    """Runs database work in thread workers and reports any failure as a notification.

    The screen hands every pane the agent's `desk` once the database is open; until then
    the pane shows what it is waiting for and does nothing.
    """

    def __init__(self, *, id: str, clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(id=id)
        self.clock = clock
        self.desk: Desk | None = None

    def tell(self, message: str, severity: SeverityLevel = "information", title: str = "") -> None:
        """A notification; its text may hold ids and names, so it is never markup."""
        self.notify(message, severity=severity, title=title, markup=False, timeout=4)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that fails says why; the agent's work on screen is kept."""
        error = event.worker.error
        if event.state != WorkerState.ERROR or error is None:
            return
        self.failed(event.worker)
        if not isinstance(error, CareDeskError):
            self.log.error(f"{event.worker.name} failed", error)
        self.tell(describe_failure(error), severity="error")

    def failed(self, worker: Worker[object]) -> None:
        """Undo what waited on `worker` (a pane that needs to overrides this)."""
