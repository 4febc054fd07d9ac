"""The agent's workspace: queue, customer context and resolution, all on one screen."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, TextArea
from textual.worker import Worker, WorkerState

from screens.approvals import ApprovalsScreen
from screens.commands import BindingCommands
from screens.context_pane import ContextPane
from screens.help import HelpScreen
from screens.keys import key_of
from screens.queue_pane import QueuePane
from screens.resolution_pane import ResolutionPane
from storage.records import ActionRecord
from widgets.timeline import Timeline
from workspace.action_view import action_message
from workspace.errors import describe_failure
from workspace.text import one_line

if TYPE_CHECKING:  # the database layers load in the boot worker, after the first frame
    from workspace.boot import BootResult
    from workspace.desk import Desk

#: Terminals at least this wide put the three panes side by side.
WIDE = 200
#: Terminals less tall than this get a compact digest and queue.
SHORT = 30
#: Actions bound to printable keys: while typing, those keys are text, not commands.
TYPED_KEYS = frozenset(
    {
        "next_contact",
        "resolve",
        "release",
        "search",
        "cycle_channel",
        "cycle_status",
        "toggle_mine",
        "act",
        "withdraw",
        "approvals",
    }
)
#: Seconds between looks for decisions on the agent's requests (and new ones, for supervisors).
POLL = 3.0


class WorkspaceScreen(Screen[None]):
    """Opens the database, then wires the three panes: each owns its state and workers.

    The queue says which contact is current; the screen passes that down to the context
    and resolution panes, and tells the queue when the resolution pane closed a contact.
    """

    CSS_PATH = "workspace.tcss"
    COMMANDS = {BindingCommands}

    BINDINGS = [
        Binding(
            "1,f2", "focus_pane('queue')", "Queue", tooltip="Go to the queue", id="workspace.queue"
        ),
        Binding(
            "2,f3",
            "focus_pane('context')",
            "Context",
            tooltip="Go to the customer's history",
            id="workspace.context",
        ),
        Binding(
            "3,f4",
            "focus_pane('reply')",
            "Reply",
            tooltip="Go to the reply box",
            id="workspace.reply",
        ),
        Binding(
            "n",
            "next_contact",
            "Next",
            tooltip="Claim the most urgent contact nobody holds",
            id="workspace.next",
        ),
        Binding(
            "r",
            "resolve",
            "Resolve",
            tooltip="Close the contact you hold, with a disposition",
            id="workspace.resolve",
        ),
        Binding(
            "x",
            "release",
            "Release",
            tooltip="Hand the contact you hold back to the queue",
            id="workspace.release",
        ),
        Binding(
            "a",
            "act",
            "Act",
            tooltip="Discount, refund, replacement, credit, reship or cancel, within the policy",
            id="workspace.act",
        ),
        Binding(
            "w",
            "withdraw",
            "Withdraw",
            show=False,
            tooltip="Withdraw your request waiting for approval for this customer",
            id="workspace.withdraw",
        ),
        Binding(
            "p",
            "approvals",
            "Approvals",
            tooltip="Requests waiting for a supervisor's decision (supervisors)",
            id="workspace.approvals",
        ),
        Binding(
            "slash",
            "search",
            "Search history",
            tooltip="Find words in this customer's history",
            id="workspace.search",
        ),
        Binding(
            "c",
            "cycle_channel",
            "Channel",
            tooltip="Filter the queue by channel",
            id="workspace.channel",
        ),
        Binding(
            "s",
            "cycle_status",
            "Status",
            tooltip="Filter the queue by status",
            id="workspace.status",
        ),
        Binding(
            "m",
            "toggle_mine",
            "Mine",
            tooltip="Filter the queue to the contacts you hold",
            id="workspace.mine",
        ),
        Binding(
            "f5",
            "reload",
            "Reload",
            show=False,
            tooltip="Reload the queue now",
            id="workspace.reload",
        ),
        Binding("f1,question_mark", "help", "Help", id="workspace.help"),
        Binding("escape", "escape", "Back", show=False, id="workspace.escape"),
    ]

    def __init__(
        self,
        boot: Callable[[], BootResult],
        clock: Callable[[], datetime],
        *,
        show_clock: bool = True,
    ) -> None:
        super().__init__()
        self._boot = boot
        self._show_clock = show_clock
        self.clock = clock
        self.desk: Desk | None = None
        self._seen: datetime | None = None
        """Decisions on the agent's requests up to here were told (None: ask the database)."""
        self._waiting = 0
        """Requests waiting for approval at the last look (supervisors)."""
        self._told: set[int] = set()
        """Requests whose decision was told (decisions at the watermark come again)."""

    def compose(self) -> ComposeResult:
        yield Header(show_clock=self._show_clock)
        yield QueuePane(clock=self.clock)
        with Horizontal(id="bottom"):
            yield ContextPane(clock=self.clock)
            yield ResolutionPane(clock=self.clock)
        yield Footer()

    @property
    def queue(self) -> QueuePane:
        """The queue pane."""
        return self.query_one(QueuePane)

    @property
    def context_pane(self) -> ContextPane:
        """The customer context pane."""
        return self.query_one(ContextPane)

    @property
    def resolution(self) -> ResolutionPane:
        """The resolution pane."""
        return self.query_one(ResolutionPane)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Single-letter commands are hidden while the agent types (the letters are text);
        the approval queue is there for supervisors only."""
        if action == "approvals" and (self.desk is None or not self.desk.actions.can_approve):
            return False
        return not (action in TYPED_KEYS and isinstance(self.focused, (Input, TextArea)))

    def on_mount(self) -> None:
        self.queue.table.focus()
        self.boot()

    def on_resize(self) -> None:
        self.set_class(self.size.width >= WIDE, "wide")
        self.set_class(self.size.height < SHORT, "short")

    # -- start-up -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="boot", exit_on_error=False)
    def boot(self) -> None:
        result = self._boot()
        self.app.call_from_thread(self._booted, result)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The workspace cannot work without its database: say why, and stop."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            message = describe_failure(event.worker.error)
            self.app.exit(return_code=2, message=f"caredesk: {message}")

    def _booted(self, result: BootResult) -> None:
        self.desk = result.desk
        agent = result.desk.agent
        self.app.sub_title = one_line(f"{agent.display_name} ({agent.role})")
        for pane in (self.queue, self.context_pane, self.resolution):
            pane.desk = result.desk
        if result.demo is not None:
            d = result.demo
            self.notify(
                f"First run: filled a new database with demo data ({d.customers} customers, "
                f"{d.orders} orders, {d.interactions} past interactions).",
                title="Demo data",
                timeout=8,
                markup=False,
            )
        if result.upgraded_from not in (None, "empty"):
            self.notify(f"Database upgraded from schema {result.upgraded_from}.", markup=False)
        self.context_pane.placeholder("Select a contact to see the customer.")
        self.queue.start()
        self.refresh_bindings()
        self.set_interval(POLL, self.poll)
        self.poll()

    # -- news: decisions on the agent's requests, and requests waiting for a supervisor -------

    @work(thread=True, exclusive=True, group="poll", exit_on_error=False)
    def poll(self) -> None:
        """Look for decisions on the agent's requests since the last look (the first look
        after start-up reaches back to what an earlier session told)."""
        desk = self.desk
        if desk is None:
            return
        first_look = self._seen is None
        decided, mark = desk.actions.news(self._seen)
        waiting = desk.actions.count_pending() if desk.actions.can_approve else None
        self.app.call_from_thread(self._news, decided, mark, waiting)
        if decided or first_look:
            # What was told is behind the next session's mark (`>=` would tell it again).
            desk.actions.saw_news(mark + timedelta(microseconds=1) if decided else mark)

    def _news(self, decided: list[ActionRecord], mark: datetime, waiting: int | None) -> None:
        if self.desk is None:
            return
        self._seen = mark
        decided = [r for r in decided if r.id not in self._told]
        for record in decided:
            self._told.add(record.id)
            severity: SeverityLevel = "information" if record.status == "executed" else "warning"
            self.notify(
                action_message(record), title="Your request", severity=severity, markup=False
            )
        if decided:
            self.resolution.load_actions()
            row = self.queue.table.current
            if row is not None and any(r.customer_id == row.customer_id for r in decided):
                self.context_pane.reload(row)
        agent = self.desk.agent
        title = f"{agent.display_name} ({agent.role})"
        if waiting is not None:
            key = key_of(self.app, "workspace.approvals", "p")
            title += (
                f" · {waiting} approval(s) waiting ({key})"
                if waiting
                else " · no approvals waiting"
            )
            if waiting > self._waiting:
                self.notify(
                    f"{waiting} request(s) wait for your approval ({key}).",
                    title="Approvals",
                    markup=False,
                )
            self._waiting = waiting
        self.app.sub_title = one_line(title)

    # -- the panes talking to each other ----------------------------------------------------

    @on(QueuePane.ContactChanged)
    def _contact_changed(self, event: QueuePane.ContactChanged) -> None:
        self.context_pane.show_contact(event.row)
        self.resolution.show_contact(event.row)

    @on(QueuePane.Claimed)
    def _claimed(self, _event: QueuePane.Claimed) -> None:
        self.resolution.composer.text_area.focus()

    @on(ResolutionPane.Written)
    def _written(self, event: ResolutionPane.Written) -> None:
        row = self.queue.table.current
        if row is not None and row.id == event.ticket_id:
            self.context_pane.reload(row)

    @on(ResolutionPane.Acted)
    def _acted(self, _event: ResolutionPane.Acted) -> None:
        row = self.queue.table.current
        if row is not None:
            self.context_pane.reload(row)

    @on(ResolutionPane.Closed)
    def _contact_closed(self, event: ResolutionPane.Closed) -> None:
        self.queue.table.focus()
        self.queue.reload(keep=event.row)

    # -- keys --------------------------------------------------------------------------------

    def action_next_contact(self) -> None:
        self.queue.claim_next()

    def action_resolve(self) -> None:
        self.resolution.resolve()

    def action_release(self) -> None:
        self.resolution.release()

    def action_act(self) -> None:
        self.resolution.act()

    def action_withdraw(self) -> None:
        self.resolution.withdraw()

    def action_approvals(self) -> None:
        if self.desk is None or not self.desk.actions.can_approve:
            self.notify("Only supervisors decide requests.", severity="warning", markup=False)
            return
        self.app.push_screen(ApprovalsScreen(self.desk.actions, self.clock), self._approvals_closed)

    def _approvals_closed(self, _result: object) -> None:
        self.poll()

    def action_search(self) -> None:
        self.context_pane.open_search()

    def action_cycle_channel(self) -> None:
        self.queue.cycle_channel()

    def action_cycle_status(self) -> None:
        self.queue.cycle_status()

    def action_toggle_mine(self) -> None:
        self.queue.toggle_mine()

    def action_reload(self) -> None:
        self.queue.reload(keep=self.queue.table.current)

    def action_focus_pane(self, pane: str) -> None:
        if pane == "queue":
            self.queue.table.focus()
        elif pane == "context":
            self.query_one(Timeline).focus()
        else:
            self.resolution.composer.text_area.focus()

    def action_escape(self) -> None:
        if not self.context_pane.close_search():
            self.queue.table.focus()

    def action_help(self) -> None:
        pane = "queue"
        focused = self.focused
        if focused is not None:
            for node in focused.ancestors_with_self:
                if isinstance(node, (QueuePane, ContextPane, ResolutionPane)):
                    pane = (node.id or "queue-pane").removesuffix("-pane")
                    break
        self.app.push_screen(HelpScreen(pane, self.active_bindings))
