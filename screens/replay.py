"""A trainer's replay: the real workspace on a scenario's throw-away world, its clock the
scenario's, and the report once the trainee closes the contact (or quits).

The workspace is the agent's own screen, unchanged; this screen only adds the scenario clock
to the title, says the customer's turns as they fall due, tells the session what the trainee
opened, replied and took (it writes the answers file as they go), and shows the report at
the end. What the scenario expects stays hidden until then.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from screens.resolution_pane import ResolutionPane
from screens.workspace import WorkspaceScreen
from widgets.commands import bindings
from widgets.timeline import Timeline
from workspace.replay.text import expected_lines, report_lines
from workspace.sla import format_duration
from workspace.text import one_line

if TYPE_CHECKING:
    from workspace.boot import BootResult
    from workspace.replay.scoring import Report
    from workspace.replay.session import ReplaySession

#: Seconds (of real time) between looks at which turns are due.
TICK = 0.25


class ReplayScreen(WorkspaceScreen):
    """The workspace, playing a scenario."""

    def __init__(
        self, clock: Callable[[], datetime], session: ReplaySession, *, show_clock: bool = False
    ) -> None:
        super().__init__(clock, show_clock=show_clock)
        self.session = session

    def booted(self, result: BootResult) -> None:
        super().booted(result)
        self._replay_clock()
        self.set_interval(TICK, self._replay_tick)
        self.set_interval(1.0, self._replay_clock)

    def _replay_clock(self) -> None:
        scenario = self.session.scenario
        now = self.clock()
        ran = format_duration(max(0, int((now - scenario.now).total_seconds())))
        self.app.sub_title = f"Training · {now:%H:%M:%S} UTC, {ran} in · {one_line(scenario.title)}"

    def _replay_tick(self) -> None:
        due = self.session.due()
        if due and not any(w.group == "replay.say" and w.is_running for w in self.workers):
            self.run_worker(lambda: self.session.say(due), thread=True, group="replay.say")

    @on(Timeline.Opened)
    def _replay_opened(self, event: Timeline.Opened) -> None:
        self._replay_tell(lambda: self.session.opened(event.entry.ref))

    @on(ResolutionPane.Written)
    @on(ResolutionPane.Acted)
    def _replay_changed(self) -> None:
        self._replay_tell(self.session.changed)

    @on(ResolutionPane.Closed)
    def _replay_closed(self) -> None:
        self._replay_end(only_if_closed=True)

    def leave(self) -> None:
        """Quitting ends the replay: the trainee sees the report of what they did (and
        quitting from the report ends the app)."""
        if self.session.report is not None:
            self.app.exit()
            return
        self._replay_end(only_if_closed=False)

    def _replay_tell(self, what: Callable[[], None]) -> None:
        self.run_worker(what, thread=True, group="replay.tell", exclusive=False)

    @work(thread=True, exclusive=True, group="replay.end", exit_on_error=False)
    def _replay_end(self, *, only_if_closed: bool) -> None:
        session = self.session
        if only_if_closed and not session.closed():
            return  # released, not closed: the replay goes on
        report = session.finish()
        self.app.call_from_thread(self._replay_report, report)

    def _replay_report(self, report: Report) -> None:
        self.app.push_screen(ReplayReportScreen(self.session, report))


class ReplayReportScreen(Screen[None]):
    """The scored replay: the score, each finding explained, each action with its verdict
    and rule, what was expected, and where the answers were written."""

    BINDINGS = bindings("replay_report")

    DEFAULT_CSS = """
    ReplayReportScreen { align: center middle; }
    ReplayReportScreen > Vertical {
        width: 100%; max-width: 120; height: 1fr; border: thick $primary; padding: 0 1;
        border-title-color: $text;
    }
    ReplayReportScreen #report-score { height: auto; text-style: bold; margin-bottom: 1; }
    ReplayReportScreen .passed #report-score { color: $success; }
    ReplayReportScreen .failed #report-score { color: $error; }
    ReplayReportScreen VerticalScroll { height: 1fr; }
    """

    def __init__(self, session: ReplaySession, report: Report) -> None:
        super().__init__()
        self.session = session
        self.report = report

    def compose(self) -> ComposeResult:
        report = self.report
        lines = report_lines(report, self.session.scenario.title)
        head, body = lines[:2], lines[2:]
        body += ["", *expected_lines(self.session.scenario)]
        files = self.session.files
        body += ["", f"answers: {one_line(str(files.answers))}", f"report: {files.report}"]
        with Vertical(classes="passed" if report.passed else "failed") as box:
            box.border_title = "Replay report"
            yield Static(Text("\n".join(head)), id="report-score")
            with VerticalScroll():
                yield Static(Text("\n".join(body)), id="report-body")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_close(self) -> None:
        self.app.exit()
