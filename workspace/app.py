"""The Textual App: the composition root that wires settings, storage and screens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from textual.app import App

from screens.workspace import WorkspaceScreen
from workspace.timefmt import utcnow

if TYPE_CHECKING:
    from storage.engine import Database
    from workspace.boot import BootResult
    from workspace.policy import Policy


class CareDeskApp(App[None]):
    """The agent's workspace. It only wires; the screens own state and workers.

    The database is opened by `open_database` inside the boot worker, so the first frame
    never waits on importing or connecting to it.
    """

    TITLE = "CareDesk"

    def __init__(
        self,
        open_database: Callable[[], Database],
        *,
        agent: str | None = None,
        fill_demo: bool = True,
        clock: Callable[[], datetime] = utcnow,
        keymap: dict[str, str] | None = None,
        show_clock: bool = True,
        policy: Policy | None = None,
    ) -> None:
        super().__init__()
        self.open_database = open_database
        self.agent_name = agent
        self.fill_demo = fill_demo
        self.clock = clock
        self.show_clock = show_clock
        self.policy = policy
        """The policy actions are decided by; None: the one CareDesk ships with."""
        self.db: Database | None = None
        self.keymap = dict(keymap or {})
        """Keys remapped by binding id, kept so on-screen hints name the keys that work."""
        if keymap:
            self.set_keymap(keymap)

    def boot(self) -> BootResult:
        """Open the database and the agent's desk (runs in a worker thread)."""
        from workspace.boot import open_database, open_workspace

        self.db = open_database(self.open_database)
        return open_workspace(
            self.db, self.agent_name, fill_demo=self.fill_demo, clock=self.clock, policy=self.policy
        )

    def on_mount(self) -> None:
        self.push_screen(WorkspaceScreen(self.boot, self.clock, show_clock=self.show_clock))

    def on_unmount(self) -> None:
        if self.db is not None:
            self.db.dispose()
