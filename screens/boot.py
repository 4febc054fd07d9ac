"""The boot: opens the database for a session, showing that it does, before the session's screen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from workspace.errors import describe_failure

Booted = TypeVar("Booted")

#: The boot worker's group: the only worker whose failure ends the app.
BOOT = "boot"


class BootScreen(ModalScreen[Booted], Generic[Booted]):
    """Runs the boot in a worker and dismisses itself with what it produced.

    A session cannot start without its database, so this screen, and only this screen,
    ends the app when its own worker fails, saying why in one line. Every failure after
    the boot is the session's to show and retry.
    """

    DEFAULT_CSS = """
    BootScreen { align: center middle; background: $background 60%; }
    BootScreen > Vertical {
        width: auto; height: auto; padding: 1 3; border: round $primary; background: $surface;
    }
    """

    def __init__(self, boot: Callable[[], Booted]) -> None:
        super().__init__()
        self._boot = boot

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Opening the database…"), id="boot-message")

    def on_mount(self) -> None:
        # After the first frame: the boot imports the database stack in its thread, and
        # the agent should see that CareDesk is opening while it does.
        self.call_after_refresh(self.run_boot)

    @work(thread=True, exclusive=True, group=BOOT, exit_on_error=False)
    def run_boot(self) -> None:
        result = self._boot()
        self.app.call_from_thread(self.dismiss, result)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The session cannot work without its database: say why, and stop."""
        worker = event.worker
        if worker.group == BOOT and event.state == WorkerState.ERROR and worker.error:
            self.app.exit(return_code=2, message=f"caredesk: {describe_failure(worker.error)}")
