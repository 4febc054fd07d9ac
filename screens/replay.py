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

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from screens.resolution_pane import ResolutionPane
from screens.workspace import WorkspaceScreen
from widgets.commands import bindings
from widgets.timeline import Timeline
from workspace.errors import describe_failure
from workspace.replay.scoring import PASS_MARK, WEIGHTS
from workspace.replay.text import expected_lines
from workspace.sla import format_duration
from workspace.text import one_line
from workspace.timefmt import local

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
        self._replay_ending = False
        """The report is being made (a second quit waits for it)."""
        self._replay_failed = False
        """Making the report failed: quitting then ends the app."""

    def booted(self, result: BootResult) -> None:
        self.session.started()  # the contact starts now, not while its world was built
        super().booted(result)
        self._replay_clock()
        self.set_interval(TICK, self._replay_tick)
        self.set_interval(1.0, self._replay_clock)

    def _replay_clock(self) -> None:
        """The scenario's clock, in the local time the timeline shows, and the contact's
        subject (the scenario's title would give the lesson away)."""
        scenario = self.session.scenario
        now = self.clock()
        ran = format_duration(max(0, int((now - scenario.now).total_seconds())))
        subject = one_line(scenario.contact.subject)
        self.app.sub_title = f"Training · {local(now):%H:%M:%S}, {ran} in · {subject}"

    def _replay_tick(self) -> None:
        due = self.session.due()
        if due and not any(w.group == "replay.say" and w.is_running for w in self.workers):
            self.run_worker(
                lambda: self.session.say(due),
                thread=True,
                group="replay.say",
                exit_on_error=False,
            )

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
        quitting from the report, or after the report could not be made, ends the app)."""
        if self.session.report is not None or self._replay_failed:
            self.app.exit()
            return
        if not self._replay_ending:
            self._replay_ending = True
            self._replay_end(only_if_closed=False)

    def _replay_tell(self, what: Callable[[], None]) -> None:
        self.run_worker(what, thread=True, group="replay.tell", exit_on_error=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A replay's own work that fails is told, never an exit: the trainee can go on, or
        quit (then without a report)."""
        super().on_worker_state_changed(event)
        error = event.worker.error
        if event.state != WorkerState.ERROR or error is None:
            return
        if not (event.worker.group or "").startswith("replay."):
            return
        if event.worker.group == "replay.end":
            self._replay_ending = False
            self._replay_failed = True
            what = "the report could not be made; ctrl+q quits without it"
        else:
            what = "the replay could not keep up"
        self.notify(f"{what}: {describe_failure(error)}", severity="error", markup=False)

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
    ReplayReportScreen VerticalScroll > Static { margin-bottom: 1; }
    """

    def __init__(self, session: ReplaySession, report: Report) -> None:
        super().__init__()
        self.session = session
        self.report = report

    def compose(self) -> ComposeResult:
        report, scenario = self.report, self.session.scenario
        head = Text()
        head.append(f"{one_line(scenario.id)} · {one_line(scenario.title)}", style="bold")
        if report.trainee:
            head.append(f" · {one_line(report.trainee)}")
        verdict = "passed" if report.passed else "not passed"
        head.append(f"\nScore {report.score} / 100 · {verdict}", style="bold")
        head.append(f" (it passes at {PASS_MARK}, with nothing forbidden or refused)")
        with Vertical(classes="passed" if report.passed else "failed") as box:
            box.border_title = "Replay report"
            yield Static(head, id="report-score")
            with VerticalScroll():
                yield Static(self._findings(), id="report-findings")
                yield Static(self._actions(), id="report-actions")
                yield Static(Text("\n".join(expected_lines(scenario))), id="report-expected")
                files = self.session.files
                written = (
                    f"answers: {one_line(str(files.answers))}\n"
                    f"report:  {one_line(str(files.report))}"
                )
                yield Static(Text(written), id="report-files")
        yield Footer()

    def _findings(self) -> RenderableType:
        findings = self.report.findings
        if not findings:
            return Text("Findings: none.")
        table = Table(title="Findings", title_justify="left", box=None, expand=True)
        table.add_column("FINDING", no_wrap=True)
        table.add_column("POINTS", justify="right", no_wrap=True)
        table.add_column("WHAT", ratio=1)
        for f in findings:
            table.add_row(Text(f.kind), Text(f"-{WEIGHTS[f.kind]}"), Text(one_line(f.detail)))
        return table

    def _actions(self) -> RenderableType:
        actions = self.report.actions
        if not actions:
            return Text("Actions: none taken.")
        table = Table(title="Actions", title_justify="left", box=None, expand=True)
        for name in ("AT", "ACTION", "ORDER", "AMOUNT", "VERDICT"):
            table.add_column(name, no_wrap=True, justify="right" if name == "AMOUNT" else "left")
        table.add_column("RULE", ratio=1)
        for a in actions:
            cells = (
                format_duration(int(a.at.total_seconds())),
                a.action,
                one_line(a.order or "-"),
                f"{a.amount:.2f}",
                a.verdict,
                one_line(a.rule),
            )
            table.add_row(*(Text(cell) for cell in cells))  # literal: never markup
        return table

    def on_mount(self) -> None:
        self.app.clear_notifications()  # the workspace's toasts would cover the report
        self.query_one(VerticalScroll).focus()

    def action_close(self) -> None:
        self.app.exit()
