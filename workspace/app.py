"""The Textual App: the composition root that wires settings, storage and screens.

Each kind of session (the agent's workspace now; the supervisor's monitor and the trainer's
replay next) is a `Launch`: the steps that open the database for it, run in the boot worker
after the first frame, and the screen that shows it. The App starts one launch and knows
nothing of the others' steps.
"""

from __future__ import annotations

import gc
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from textual.app import App
from textual.screen import Screen
from textual.theme import Theme

from screens.boot import BootScreen
from screens.workspace import WorkspaceScreen
from widgets.commands import check_keymap
from workspace import preferences
from workspace.timefmt import utcnow

if TYPE_CHECKING:
    from screens.monitor import Opened
    from storage.engine import Database, Reader
    from workspace.boot import BootResult
    from workspace.policy import Policy
    from workspace.replay.session import ReplaySession

Booted = TypeVar("Booted")


class Launch(ABC, Generic[Booted]):
    """One kind of session: how it boots, and the screen it shows."""

    @abstractmethod
    def boot(self, clock: Callable[[], datetime]) -> Booted:
        """Open the database and whatever the session needs first; runs in a worker thread
        and raises `CareDeskError` with one line for the user when it cannot."""

    @abstractmethod
    def screen(self, clock: Callable[[], datetime], *, show_clock: bool) -> Screen[None]:
        """The session's screen, shown once the boot has opened the database."""

    @abstractmethod
    def booted(self, screen: Screen[None], result: Booted) -> None:
        """Hand what the boot produced to the screen."""

    @abstractmethod
    def close(self) -> None:
        """Release the database, once the app ends."""


class AgentLaunch(Launch["BootResult"]):
    """The agent's workspace: migrate the schema, fill an empty database with demo data (on
    request), and find the agent and the policy in effect."""

    def __init__(
        self,
        open_database: Callable[[], Database],
        *,
        agent: str | None = None,
        fill_demo: bool = True,
        policy: Policy | None = None,
    ) -> None:
        self.open_database = open_database
        self.agent = agent
        """Who works here (a login name); None: the first agent of the database."""
        self.fill_demo = fill_demo
        self.policy = policy
        """The local policy file's policy; None: the installed one, else the one shipped."""
        self.db: Reader | None = None

    def boot(self, clock: Callable[[], datetime]) -> BootResult:
        from workspace.boot import open_database, open_workspace

        db = open_database(self.open_database)
        self.db = db
        return open_workspace(
            db, self.agent, fill_demo=self.fill_demo, clock=clock, policy=self.policy
        )

    def screen(self, clock: Callable[[], datetime], *, show_clock: bool) -> Screen[None]:
        return WorkspaceScreen(clock, show_clock=show_clock)

    def booted(self, screen: Screen[None], result: BootResult) -> None:
        assert isinstance(screen, WorkspaceScreen)
        screen.booted(result)

    def close(self) -> None:
        if self.db is not None:
            self.db.dispose()


class MonitorLaunch(Launch["Opened"]):
    """The supervisor's wallboard: the database opened read-only (no engine that writes),
    its schema checked but never migrated, and no session of its own: nobody sees it."""

    def __init__(self, open_reader: Callable[[], Reader], *, policy: Policy | None = None) -> None:
        self.open_reader = open_reader
        self.policy = policy
        """The local policy file's policy, for budgets where the team installed none."""
        self.db: Reader | None = None
        self.opened: Opened | None = None
        """The monitor and every panel's first read, once the boot has run."""

    def boot(self, clock: Callable[[], datetime]) -> Opened:
        from screens.monitor import open_panels  # it needs the database layers
        from workspace.boot import open_database
        from workspace.monitor import open_monitor

        db = open_database(self.open_reader)
        self.db = db
        self.opened = open_panels(open_monitor(db, clock=clock, policy=self.policy), clock)
        return self.opened

    def screen(self, clock: Callable[[], datetime], *, show_clock: bool) -> Screen[None]:
        from screens.monitor import MonitorScreen

        return MonitorScreen(clock, show_clock=show_clock, opened=self.opened)

    def booted(self, screen: Screen[None], result: Opened) -> None:
        from screens.monitor import MonitorScreen

        assert isinstance(screen, MonitorScreen)
        screen.booted(result.monitor)

    def close(self) -> None:
        if self.db is not None:
            self.db.dispose()


class ReplayLaunch(Launch["BootResult"]):
    """A trainer's replay: the agent's workspace on a scenario's throw-away world (never the
    team's database), the trainee held to the scenario's policy."""

    def __init__(self, session: Callable[[], ReplaySession]) -> None:
        self.make_session = session
        """Builds the world and the session; runs in the boot worker."""
        self.session: ReplaySession | None = None

    def boot(self, clock: Callable[[], datetime]) -> BootResult:
        from workspace.boot import open_workspace
        from workspace.replay.world import LAPSE_AFTER, TRAINEE

        session = self.make_session()
        self.session = session
        world = session.world
        return open_workspace(
            world.db,
            TRAINEE,
            fill_demo=False,
            clock=clock,
            policy=world.scenario.policy,
            lapse_after=LAPSE_AFTER,  # one workspace in a world of its own: none lapses
        )

    def screen(self, clock: Callable[[], datetime], *, show_clock: bool) -> Screen[None]:
        from screens.replay import ReplayScreen

        assert self.session is not None
        return ReplayScreen(clock, self.session)

    def booted(self, screen: Screen[None], result: BootResult) -> None:
        assert isinstance(screen, WorkspaceScreen)
        screen.booted(result)

    def close(self) -> None:
        if self.session is not None:
            self.session.world.close()


class CareDeskApp(App[None]):
    """CareDesk. It only wires; the screens own state and workers.

    The database is opened inside the boot worker, so the first frame never waits on
    importing or connecting to it.
    """

    TITLE = "CareDesk"

    # Toasts rise from the bottom left, over the history: at the bottom right (Textual's
    # place for them) they covered the reply box, where the agent is typing. A toast is at
    # most half the screen wide, and the reply box is in the right half at every size.
    # The approval queue's request, with the policy's sentence and the reason, is at the
    # bottom: there toasts hang from the top right, over the end of the list's first rows
    # (their reason is in the request below too).
    CSS = """
    ToastRack { align: left bottom; }
    ToastHolder { align-horizontal: left; }
    Toast { max-width: 50%; }
    ApprovalsScreen ToastRack { dock: top; margin: 1 0 0 0; align: right top; }
    ApprovalsScreen ToastHolder { align-horizontal: right; }
    """

    def __init__(
        self,
        launch: Launch[Any],
        *,
        clock: Callable[[], datetime] = utcnow,
        keymap: Mapping[str, str] | None = None,
        show_clock: bool = True,
        preferences: Path | None = None,
        quiet_start: bool = False,
    ) -> None:
        super().__init__()
        self.quiet_start = quiet_start
        if quiet_start:
            # Until the first screen is whole, no cyclic garbage collection: starting creates
            # hundreds of thousands of objects that all live on (the libraries' modules), and
            # collecting them again and again cost a replay's start a tenth of a second.
            gc.disable()
        self.launch = launch
        self.preferences = preferences
        """The user's preferences file (the theme); None: nothing is kept between runs."""
        self.clock = clock
        self.show_clock = show_clock
        self.keymap = dict(keymap or {})
        """Keys remapped by command id, kept so on-screen hints name the keys that work."""
        check_keymap(self.keymap)  # an unknown id or a clash is refused before anything shows
        if keymap:
            self.set_keymap(self.keymap)

    def on_mount(self) -> None:
        self._restore_preferences()
        launch = self.launch

        async def booted(result: object | None) -> None:
            try:
                if result is None:
                    return
                screen = launch.screen(self.clock, show_clock=self.show_clock)
                await self.push_screen(screen)
                launch.booted(screen, result)
            finally:
                if self.quiet_start:
                    # What starting made lives on: set it aside for good (`gc.freeze`), or the
                    # first collection after would walk all of it, a third of a second.
                    gc.freeze()
                    gc.enable()

        self.push_screen(BootScreen(lambda: launch.boot(self.clock)), booted)

    def _restore_preferences(self) -> None:
        if self.preferences is None:
            return
        kept, problem = preferences.load(self.preferences)
        if kept.theme is not None and kept.theme in self.available_themes:
            self.theme = kept.theme
        elif kept.theme is not None:
            problem = f"{self.preferences}: theme: no theme is called {kept.theme!r}"
        if problem is not None:
            self.notify(f"{problem}; the default is used", severity="warning", markup=False)
        self.theme_changed_signal.subscribe(self, self._keep_theme)

    def _keep_theme(self, theme: Theme) -> None:
        path = self.preferences
        if path is None:
            return
        chosen = preferences.Preferences(theme=theme.name)

        def write() -> None:
            try:
                preferences.save(path, chosen)
            except OSError as error:
                self.call_from_thread(
                    self.notify,
                    f"{path}: the theme could not be kept ({error.strerror or error})",
                    severity="warning",
                    markup=False,
                )

        self.run_worker(write, thread=True, group="preferences", exclusive=True)

    async def action_quit(self) -> None:
        """Quit; the workspace first asks an agent holding contacts what becomes of them."""
        for screen in self.screen_stack:
            if isinstance(screen, WorkspaceScreen) and screen.bench is not None:
                screen.leave()
                return
        self.exit()

    def on_unmount(self) -> None:
        self.launch.close()
