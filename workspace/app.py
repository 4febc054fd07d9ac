"""The Textual App: the composition root that wires settings, storage and screens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

from textual.app import App

from screens.workspace import WorkspaceScreen
from storage.engine import Database
from workspace.boot import open_workspace
from workspace.desk import utcnow


class CareDeskApp(App[None]):
    """The agent's workspace. It only wires; the screens own state and workers."""

    TITLE = "CareDesk"
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        db: Database,
        *,
        agent: str | None = None,
        fill_demo: bool = True,
        clock: Callable[[], datetime] = utcnow,
        keymap: dict[str, str] | None = None,
        show_clock: bool = True,
    ) -> None:
        super().__init__()
        self.db = db
        self.clock = clock
        self.show_clock = show_clock
        self._boot = partial(open_workspace, db, agent, fill_demo=fill_demo, clock=clock)
        if keymap:
            self.set_keymap(keymap)

    def on_mount(self) -> None:
        self.push_screen(WorkspaceScreen(self._boot, self.clock, show_clock=self.show_clock))

    def on_unmount(self) -> None:
        self.db.dispose()
