"""A pane of the workspace: a container that owns the workers feeding its widgets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual.containers import Vertical
from textual.notifications import SeverityLevel
from textual.worker import Worker, WorkerState

from screens.connection import DatabaseLost
from workspace.errors import CareDeskError, database_lost, describe_failure, failure_reason
from workspace.timefmt import utcnow

if TYPE_CHECKING:
    from workspace.workbench import Workbench


class Pane(Vertical):
    """Runs database work in thread workers and reports any failure as a notification.

    The screen hands every pane the agent's `bench` once the database is open; until then
    the pane shows what it is waiting for and does nothing.
    """

    def __init__(self, *, id: str, clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(id=id)
        self.clock = clock
        self.bench: Workbench | None = None

    def tell(self, message: str, severity: SeverityLevel = "information", title: str = "") -> None:
        """A notification; its text may hold ids and names, so it is never markup."""
        self.notify(message, severity=severity, title=title, markup=False, timeout=4)

    BACKGROUND: ClassVar[frozenset[str]] = frozenset()
    """Worker groups that load what the pane shows on their own (refreshes, the rows the
    cursor reaches): while the database is gone the banner says so, not a toast each time."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that fails says why; the agent's work on screen is kept. A database
        that went away is told to the screen, which shows it and waits for it to return."""
        worker = event.worker
        error = worker.error
        if event.state != WorkerState.ERROR or error is None:
            return
        self.failed(worker)
        lost = database_lost(error)
        if lost:
            self.post_message(DatabaseLost(failure_reason(error)))
        elif not isinstance(error, CareDeskError):
            self.log.error(f"{worker.name} failed", error)
        if not (lost and worker.group in self.BACKGROUND):
            self.tell(describe_failure(error), severity="error")

    def failed(self, worker: Worker[object]) -> None:
        """Undo what waited on `worker` (a pane that needs to overrides this)."""
