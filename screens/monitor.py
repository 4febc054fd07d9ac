"""The supervisor's wallboard: the floor live, read-only, nobody pressing anything.

Each panel is read by a thread worker of its own. The live feed marks the panels a change
may touch; a short timer reads those again, at most one read per panel at a time, so a burst
of changes costs one read each. Every panel is also read again every few seconds (presence
and SLA risk move with the clock, not with changes), and a one-second tick redraws the
durations from what was read, without asking the database.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Header, Static
from textual.worker import Worker, WorkerState, get_current_worker

from screens.commands import BindingCommands
from screens.connection import ConnectionWatch, DatabaseBack, DatabaseLost
from screens.context_pane import ContextPane
from screens.help import HelpScreen
from widgets.board import Board, Column
from widgets.commands import bindings
from widgets.trend_board import TrendBoard
from workspace.errors import database_lost, describe_failure, failure_reason
from workspace.monitor import (
    Line,
    agent_lines,
    approval_lines,
    budget_lines,
    deliveries_title,
    depth_lines,
    friction_lines,
    friction_title,
    month_start,
    spend_lines,
    urgent_lines,
    urgent_title,
)
from workspace.queue import QueueRow
from workspace.text import count, one_line
from workspace.trends import SHOWN, Trends

if TYPE_CHECKING:  # the database layers load in the boot worker, after the first frame
    from workspace.live import Changes
    from workspace.monitor import Monitor

#: Seconds between reads of every panel whatever the feed says.
REFRESH_EVERY = 5.0
#: Seconds between looks at which panels the feed marked.
FLUSH_EVERY = 0.25
#: Longest wait on the feed before looking whether the worker was cancelled.
WAIT = 1.0
#: Seconds before listening again after the feed failed.
RETRY = 3.0
#: The listening worker's group.
LISTEN = "monitor.listen"
#: Seconds between reads of today's figures and their trends whatever the feed says.
METRICS_EVERY = 30.0
#: Terminals at least this wide and tall lay the panels out as a grid.
WIDE, TALL = 140, 40

PANELS: dict[str, tuple[str, tuple[Column, ...], str]] = {
    "urgent": (
        "Breached and at risk",
        (
            Column("SLA", 16),
            Column("CHAN", 10),
            Column("CONTACT", 10),
            Column("CUSTOMER", 18),
            Column("HELD BY", 12),
            Column("SUBJECT", 0),
        ),
        "Nothing is breached or at risk.",
    ),
    "approvals": (
        "Approvals waiting",
        (Column("WAITED", 8), Column("AGENT", 12), Column("ACTION", 24), Column("CUSTOMER", 0)),
        "No request waits.",
    ),
    "depth": (
        "Queue depth",
        (
            Column("CHANNEL", 9),
            Column("WAITING", 9),
            Column("HELD", 7),
            Column("PENDING", 9),
            Column("ESCALATED (unheld)", 0),
        ),
        "",
    ),
    "floor": (
        "Agents",
        (
            Column("AGENT", 16),
            Column("HERE", 11),
            Column("HOLDS (longest)", 18),
            Column("VIEWING", 10),
            Column("TODAY · HANDLED", 0),
        ),
        "No agents.",
    ),
    "compensation": (
        "Compensation",
        (
            Column("KIND", 15),
            Column("TODAY", 14),
            Column("MONTH", 16),
            Column("TEAM BUDGET", 12),
            Column("USED", 0),
        ),
        "",
    ),
    "friction": (
        "Policy friction",
        (
            Column("RULE", 0),
            Column("DENIED", 8),
            Column("ASKED", 7),
            Column("APPROVED", 10),
            Column("REFUSED", 9),
            Column("WAITING", 8),
        ),
        "No action met a limit of the policy this month.",
    ),
}
"""Each panel's title, columns and what it says when empty, most urgent first: the order
they stack in on a small terminal."""

#: The friction panel's second board: what each agent gave against their own budget.
BUDGETS = (
    Column("AGENT", 16),
    Column("KIND", 15),
    Column("GIVEN (n)", 16),
    Column("BUDGET", 16),
    Column("USED", 0),
)

#: On a large terminal: the urgent list and the agents take two columns of three.
GRID_ORDER = ("urgent", "approvals", "floor", "depth", "metrics", "compensation", "friction")

#: Every panel, most urgent first: the boards, then today's figures with their trends.
ORDER = (*PANELS, "metrics")


def readers(monitor: Monitor, trends: Trends) -> dict[str, Callable[[], object]]:
    """How each panel is read."""
    return {
        "urgent": monitor.urgent,
        "approvals": monitor.approvals,
        "depth": monitor.depth,
        "floor": monitor.floor,
        "compensation": lambda: (monitor.compensation(), monitor.deliveries()),
        "friction": monitor.friction,
        "metrics": trends.read,
    }


@dataclass
class Opened:
    """The monitor once open, and every panel's first read."""

    monitor: Monitor
    trends: Trends
    read: dict[str, object] = field(default_factory=dict)
    """What each panel read; one whose read failed is missing (the screen reads it again)."""


def open_panels(monitor: Monitor, clock: Callable[[], datetime]) -> Opened:
    """Read every panel once, one after another, most urgent first, and today's figures
    alone (their trend lines follow on screen): run by the boot, before the wallboard is
    composed, so its first frame is whole. Seven reads started at once, with the screen
    drawing each as it came, took half as long again for the last to show. A read the
    database fails is left to the screen, which shows the loss and reads again."""
    from workspace.errors import database_lost

    opened = Opened(monitor, Trends(monitor.db, clock))
    read = readers(monitor, opened.trends)
    read["metrics"] = lambda: opened.trends.read(history=False)
    for name in ORDER:
        try:
            opened.read[name] = read[name]()
        except Exception as error:
            if not database_lost(error):
                raise
    return opened


class MonitorScreen(Screen[None]):
    """Panels of the floor, refreshed as it changes; enter opens a line's contact read-only."""

    CSS_PATH = "monitor.tcss"

    BINDINGS = bindings("monitor")
    COMMANDS = {BindingCommands}

    def __init__(
        self,
        clock: Callable[[], datetime],
        *,
        show_clock: bool = True,
        opened: Opened | None = None,
    ) -> None:
        super().__init__()
        self.clock = clock
        self._show_clock = show_clock
        self._opened = opened
        """What the boot read, drawn before the first frame."""
        self.monitor: Monitor | None = None
        self.trends: Trends | None = None
        """Today's figures and their trends, once the database is open."""
        self.read: dict[str, Any] = {}
        """What each panel last read, redrawn at every tick."""
        self._dirty: set[str] = set()
        self.refreshed_at: dict[str, float] = {}
        """When each panel last showed a fresh read (perf_counter): for tests and benchmarks."""

    def compose(self) -> ComposeResult:
        yield Header(show_clock=self._show_clock)
        yield ConnectionWatch(kept="the panels show what was last read", id="connection")
        with VerticalScroll(id="panels"):
            for name, (title, columns, empty) in PANELS.items():
                with Vertical(id=f"{name}-panel", classes="panel") as panel:
                    panel.border_title = title
                    yield Board(columns, empty=empty or "Loading…", id=name)
                    if name == "friction":
                        yield Board(BUDGETS, empty="Nobody gave anything this month.", id="budgets")
            with Vertical(id="metrics-panel", classes="panel") as panel:
                panel.border_title = "Today · UTC"
                yield TrendBoard(SHOWN, id="metrics")
        yield Static("read-only · nothing here changes the floor", id="monitor-note")
        yield Footer()

    def board(self, name: str) -> Board:
        """The board of panel `name`."""
        return self.query_one(f"#{name}", Board)

    def on_mount(self) -> None:
        self.app.sub_title = "Monitor · opening the database…"
        self.board("urgent").focus()
        opened = self._opened
        if opened is not None:
            self.trends = opened.trends
            for name, data in opened.read.items():
                self.read[name] = data
                self._draw(name)
            self.call_after_refresh(self._stamp, list(opened.read))

    def _stamp(self, names: list[str]) -> None:
        now = time.perf_counter()
        for name in names:
            self.refreshed_at.setdefault(name, now)

    def on_resize(self) -> None:
        wide = self.size.width >= WIDE and self.size.height >= TALL
        if wide == self.has_class("wide"):
            return
        self.set_class(wide, "wide")
        panels = self.query_one("#panels")
        order = GRID_ORDER if wide else ORDER
        for name in reversed(order):
            panels.move_child(self.query_one(f"#{name}-panel"), before=0)

    def booted(self, monitor: Monitor) -> None:
        """The database is open: read every panel, listen, and tick."""
        self.monitor = monitor
        if self.trends is None:
            self.trends = Trends(monitor.db, self.clock)
        self.app.sub_title = "Monitor · read-only"
        self.query_one(ConnectionWatch).ping = monitor.ping
        # What the boot did not read, and the trend lines behind today's figures.
        self._dirty.update(name for name in ORDER if name not in self.read)
        if "metrics" in self.read:
            self._dirty.add("metrics")
        self._flush()
        self.listen()
        self.set_interval(FLUSH_EVERY, self._flush)
        self.set_interval(REFRESH_EVERY, self._refresh_boards)
        self.set_interval(METRICS_EVERY, lambda: self._mark("metrics"))
        self.set_interval(1.0, self._tick)

    # -- reading -----------------------------------------------------------------------------

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen("monitor"))

    def action_refresh_all(self) -> None:
        """Read every panel again."""
        self._dirty.update(ORDER)
        self._flush()

    def _refresh_boards(self) -> None:
        """Read the boards again (presence and SLA risk move with the clock)."""
        self._dirty.update(PANELS)
        self._flush()

    def _mark(self, name: str) -> None:
        self._dirty.add(name)
        self._flush()

    def _flush(self) -> None:
        if self.monitor is None or self.query_one(ConnectionWatch).lost:
            return
        running = {
            w.group for w in self.workers if w.state in (WorkerState.PENDING, WorkerState.RUNNING)
        }
        for name in sorted(self._dirty):
            if f"monitor.{name}" not in running:
                self._dirty.discard(name)
                self.run_worker(
                    lambda n=name: self._read(n),
                    thread=True,
                    group=f"monitor.{name}",
                    exit_on_error=False,
                )

    def _read(self, name: str) -> None:
        monitor, trends = self.monitor, self.trends
        assert monitor is not None and trends is not None
        read = readers(monitor, trends)
        read["metrics"] = self._trends
        result = read[name]()
        self.app.call_from_thread(self._shown, name, result)

    def _trends(self) -> object:
        """Today's figures; the first read is of today alone, so the wallboard is whole at
        once, and the trend lines follow in the next read."""
        assert self.trends is not None
        if "metrics" not in self.read:
            self.app.call_from_thread(self._mark, "metrics")
            return self.trends.read(history=False)
        return self.trends.read()

    def _shown(self, name: str, result: object) -> None:
        self.read[name] = result
        self._draw(name)
        self.refreshed_at[name] = time.perf_counter()

    def _tick(self) -> None:
        for name in self.read:
            if name != "metrics":  # its figures hold no durations that count on
                self._draw(name)

    def _draw(self, name: str) -> None:
        data = self.read[name]
        if name == "metrics":
            self.query_one(TrendBoard).show(data)
            return
        now = self.clock()
        title = PANELS[name][0]
        lines: list[Line]
        if name == "urgent":
            lines = urgent_lines(data, now)
            title += urgent_title(data, now)
        elif name == "approvals":
            waiting, total = data
            lines = approval_lines(waiting, now)
            title += f" · {total:,}"
        elif name == "depth":
            lines = depth_lines(data)
            title += f" · {data[-1].waiting:,} waiting"
        elif name == "floor":
            lines = agent_lines(data, now)
            here = sum(1 for line in lines if line.tone != "quiet")
            title += f" · {here} of {count(len(lines), 'agent')} here"
        elif name == "friction":
            lines = friction_lines(data.friction)
            title += friction_title(data.friction)
            self.board("budgets").show(budget_lines(data.spend))
        else:
            spend, sent = data
            lines = spend_lines(spend)
            title += f" given · {month_start(now):%B %Y} · UTC" + deliveries_title(sent, now)
        self.query_one(f"#{name}-panel").border_title = title
        self.board(name).show(lines)

    # -- the live feed -----------------------------------------------------------------------

    @work(thread=True, exclusive=True, group=LISTEN, exit_on_error=False)
    def listen(self) -> None:
        """Wait for others' changes until the screen closes; a lost database is told, then
        listened to again (the change log keeps what was missed meanwhile)."""
        assert self.monitor is not None
        worker = get_current_worker()
        feed = self.monitor.feed()
        try:
            while not worker.is_cancelled:
                try:
                    changes = feed.wait(WAIT)
                except Exception as error:
                    if not database_lost(error):
                        raise
                    self.post_message(DatabaseLost(failure_reason(error)))
                    time.sleep(RETRY)
                    continue
                if changes and not worker.is_cancelled:
                    self.app.call_from_thread(self._changed, changes)
        finally:
            feed.close()

    def _changed(self, changes: Changes) -> None:
        """Mark the panels these changes may touch; the flush reads them."""
        if changes.queue or changes.everything:
            self._dirty.update(("urgent", "depth", "floor"))
        if changes.viewed:
            self._dirty.add("floor")
        if changes.requests:
            self._dirty.update(("approvals", "compensation", "friction"))
        if changes.deliveries:
            self._dirty.add("compensation")  # its title counts what is still to deliver
        if any(r.kind in ("resolve", "reply", "action", "open") for r in changes.records):
            self._dirty.add("metrics")
        if any(r.kind in ("action", "agent") for r in changes.records):
            self._dirty.update(("compensation", "floor", "friction"))

    @on(DatabaseLost)
    def _lost(self, event: DatabaseLost) -> None:
        self.query_one(ConnectionWatch).database_lost(event.reason)

    @on(DatabaseBack)
    def _back(self) -> None:
        self.action_refresh_all()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A lost database is shown and waited for; anything else is told, never an exit."""
        error = event.worker.error
        if event.state != WorkerState.ERROR or error is None:
            return
        if database_lost(error):
            self.query_one(ConnectionWatch).database_lost(failure_reason(error))
            return
        self.log.error(f"{event.worker.name} failed", error)
        self.notify(describe_failure(error), severity="error", markup=False)

    # -- opening a line ----------------------------------------------------------------------

    @on(Board.Opened)
    def _open(self, event: Board.Opened) -> None:
        line = event.line
        if self.monitor is None:
            return
        if line.ticket_id is None and line.customer_id is None:
            self.notify("Nothing to open on this line.", severity="warning", markup=False)
            return
        self.app.push_screen(ContactView(self.monitor, line, self.clock))


class ContactView(ModalScreen[None]):
    """One contact's customer, as the workspace shows it, read-only: no claim, no reply, and
    nothing marked as viewed."""

    DEFAULT_CSS = """
    ContactView {
        background: $background;
        & ContextPane {
            height: 1fr;
            border: round $accent;
            border-title-color: $text;
            border-subtitle-color: $text-muted;
        }
        & CustomerDigest { max-height: 45%; }
        & #search { display: none; height: 1; border: none; padding: 0 1; }
        & #search.visible { display: block; }
        & #contact-note { height: 1; padding: 0 1; background: $warning 20%; }
    }
    """

    BINDINGS = bindings("monitor_view")
    COMMANDS = {BindingCommands}

    def __init__(self, monitor: Monitor, line: Line, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self.monitor = monitor
        self.line = line
        self.clock = clock

    def compose(self) -> ComposeResult:
        yield Static(self._note(), id="contact-note")
        yield ContextPane(clock=self.clock)
        yield Footer()

    def _note(self, row: QueueRow | None = None) -> Text:
        line = self.line
        what = line.ticket_id or "this customer"
        if row is not None:
            holder = one_line(row.holder_name) if row.holder_name else "nobody"
            what = f"{one_line(row.id)} · {row.status} · {row.channel} · held by {holder}"
        return Text(f"{what} · read-only: nothing here changes the contact · esc back")

    @property
    def pane(self) -> ContextPane:
        """The customer context."""
        return self.query_one(ContextPane)

    def on_mount(self) -> None:
        pane = self.pane
        pane.read_through(self.monitor.reading, self.monitor.viewers)
        if self.line.ticket_id is not None:
            pane.placeholder("Loading the contact…")
            self._find(self.line.ticket_id)
        elif self.line.customer_id is not None:
            pane.show_customer_only(self.line.customer_id, "read-only")
        pane.query_one("#timeline").focus()

    @work(thread=True, exclusive=True, group="monitor.contact", exit_on_error=False)
    def _find(self, ticket_id: str) -> None:
        row = self.monitor.contact(ticket_id)
        self.app.call_from_thread(self._found, ticket_id, row)

    def _found(self, ticket_id: str, row: QueueRow | None) -> None:
        if row is None:
            self.pane.placeholder(f"Contact {ticket_id} is gone.")
            return
        self.query_one("#contact-note", Static).update(self._note(row))
        self.pane.show_contact(row)
        self.pane.load_viewers(row.id)

    def action_search(self) -> None:
        self.pane.open_search()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen("monitor contact"))

    def action_back(self) -> None:
        if not self.pane.close_search():
            self.dismiss()
