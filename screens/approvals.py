"""The supervisor's approval queue: requests above agents' limits, each decided with a reason."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from screens.decision_reason import DecisionReasonScreen
from widgets.approval_rows import (
    CHROME,
    describe,
    header_row,
    layout,
    request_detail,
    request_row,
)
from widgets.commands import bindings
from workspace.action_view import ActionRecord, Decision

if TYPE_CHECKING:
    from workspace.approvals import Approvals
    from workspace.reading import Reading
from workspace.errors import CareDeskError, describe_failure
from workspace.text import one_line
from workspace.vocabulary import ActionStatus

PAGE = 200
"""Requests shown at most; the rest are counted, never loaded."""

_LOAD = "approvals.load"
_DECIDE = "approvals.decide"


class ApprovalsScreen(Screen[None]):
    """Requests waiting for a supervisor, oldest first, with the highlighted one in full.

    Loads run in thread workers, every few seconds and after each decision; a load that
    finishes after a newer one started is dropped, so the list never goes back in time.
    """

    TITLE = "Approvals"

    BINDINGS = bindings("approvals")

    DEFAULT_CSS = """
    ApprovalsScreen #approvals-queue, ApprovalsScreen #approvals-detail {
        border: round $primary 50%; border-title-color: $text; padding: 0 1;
    }
    ApprovalsScreen #approvals-queue { height: 1fr; min-height: 6; }
    ApprovalsScreen #approvals-queue:focus-within { border: round $accent; }
    ApprovalsScreen #approvals-columns { height: 1; color: $text-muted; text-style: bold; }
    ApprovalsScreen #approvals-list {
        height: 1fr; max-height: 100%; scrollbar-gutter: stable; scrollbar-size-vertical: 1;
        background: transparent;
        &:focus { background-tint: transparent; }
    }
    ApprovalsScreen #approvals-more { height: 1; color: $text-muted; text-style: italic; }
    ApprovalsScreen #approvals-empty {
        height: 1fr; width: 1fr; content-align: center middle; color: $text-muted;
    }
    ApprovalsScreen #approvals-detail { height: auto; max-height: 50%; }
    """

    class Loaded(Message):
        """A load finished: the oldest requests and how many wait in all."""

        def __init__(self, generation: int, records: list[ActionRecord], total: int) -> None:
            super().__init__()
            self.generation = generation
            self.records = records
            self.total = total

    class Decided(Message):
        """A supervisor's decision ran; `decision.changed` is False when it changed nothing."""

        def __init__(self, decision: Decision, approve: bool) -> None:
            super().__init__()
            self.decision = decision
            self.approve = approve

    def __init__(
        self,
        approvals: Approvals,
        reading: Reading,
        clock: Callable[[], datetime],
    ) -> None:
        super().__init__()
        self.approvals = approvals
        self.reading = reading
        self.clock = clock
        self.records: list[ActionRecord] = []
        self.total = 0
        self._generation = 0
        self._shown: tuple[object, ...] = ()
        self._load_failure: str | None = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Vertical(id="approvals-queue"):
            yield Static(id="approvals-columns", markup=False)
            yield OptionList(id="approvals-list", markup=False, compact=True)
            yield Static(Text("Loading requests…"), id="approvals-empty", markup=False)
            yield Static(id="approvals-more", markup=False)
        yield Static(id="approvals-detail", markup=False)
        yield Footer()

    @property
    def option_list(self) -> OptionList:
        """The list of requests."""
        return self.query_one("#approvals-list", OptionList)

    @property
    def current(self) -> ActionRecord | None:
        """The highlighted request, if any."""
        index = self.option_list.highlighted
        if index is None or not 0 <= index < len(self.records):
            return None
        return self.records[index]

    def on_mount(self) -> None:
        agent = self.approvals.agent
        self.sub_title = one_line(f"{agent.display_name} ({agent.role})")
        self.query_one("#approvals-queue").border_title = "Waiting · oldest first"
        self.option_list.display = False
        self.query_one("#approvals-more").display = False
        self.query_one("#approvals-detail").display = False
        self.reload()

    def on_resize(self) -> None:
        self._show()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Approve and deny need a highlighted request (greyed out otherwise)."""
        if action in ("approve", "deny") and self.current is None:
            return None
        return True

    # -- loading ----------------------------------------------------------------------------

    def reload(self) -> None:
        """Load the oldest requests now; any load still running is outdated."""
        self._generation += 1
        self._load(self._generation)

    def changed(self) -> None:
        """Requests were made, withdrawn or decided elsewhere: load them again."""
        self.reload()

    @work(thread=True, exit_on_error=False, group=_LOAD)
    def _load(self, generation: int) -> None:
        records, total = self.reading.waiting_requests(PAGE)
        self.post_message(self.Loaded(generation, records, total))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        if event.generation != self._generation:
            return  # a newer load has started: this one may be older than what it will show
        self._load_failure = None
        self.records = event.records
        self.total = event.total
        self._show()

    def _show(self) -> None:
        """Push the loaded requests down to the list, keeping the cursor where it was."""
        if not self.is_mounted:
            return
        now = self.clock()
        me = self.approvals.agent.id
        last_id = max((record.id for record in self.records), default=0)
        columns = layout(self.size.width - CHROME, last_id)
        rows = [request_row(record, now, me, columns) for record in self.records]
        self.title = f"Approvals · {self.total} waiting"
        empty = not self.records
        self.option_list.display = not empty
        self.query_one("#approvals-columns", Static).display = not empty
        self.query_one("#approvals-detail", Static).display = not empty
        self.query_one("#approvals-empty", Static).display = empty
        if empty:
            self.query_one("#approvals-empty", Static).update(Text("No requests are waiting."))
        more = self.query_one("#approvals-more", Static)
        hidden = self.total - len(self.records)
        more.display = hidden > 0
        more.update(Text(f"and {hidden} more waiting (the oldest {len(self.records)} are shown)"))
        self.query_one("#approvals-columns", Static).update(header_row(columns))
        shown = (tuple(r.id for r in self.records), tuple(row.plain for row in rows))
        if shown != self._shown:
            self._shown = shown
            self._replace(rows)
        self._show_detail()
        self.refresh_bindings()

    def _replace(self, rows: Sequence[Text]) -> None:
        option_list = self.option_list
        previous = option_list.highlighted_option
        index = option_list.highlighted or 0
        option_list.set_options(
            Option(row, id=str(record.id)) for row, record in zip(rows, self.records, strict=True)
        )
        if not rows:
            return
        ids = [str(record.id) for record in self.records]
        if previous is not None and previous.id in ids:
            index = ids.index(previous.id)
        option_list.highlighted = min(index, len(rows) - 1)
        if self.focused is None:
            option_list.focus()

    @on(OptionList.OptionHighlighted)
    def _highlighted(self) -> None:
        self._show_detail()
        self.refresh_bindings()

    def _show_detail(self) -> None:
        record = self.current
        detail = self.query_one("#approvals-detail", Static)
        if record is not None:
            detail.border_title = f"Request #{record.id}"
            detail.update(request_detail(record, self.clock(), self.approvals.agent.id))

    # -- deciding ---------------------------------------------------------------------------

    def action_approve(self) -> None:
        self._ask("Approve", approve=True)

    def action_deny(self) -> None:
        self._ask("Deny", approve=False)

    def _ask(self, verb: str, *, approve: bool) -> None:
        record = self.current
        if record is None:
            return

        def decided(reason: str | None) -> None:
            if reason is not None:
                self._decide(record.id, approve, reason)

        self.app.push_screen(DecisionReasonScreen(verb, record), decided)

    @work(thread=True, exit_on_error=False, group=_DECIDE)
    def _decide(self, action_id: int, approve: bool, reason: str) -> None:
        decide = self.approvals.approve if approve else self.approvals.deny
        self.post_message(self.Decided(decide(action_id, reason), approve))

    @on(Decided)
    def _decided(self, event: Decided) -> None:
        record = event.decision.record
        if not event.decision.changed:
            self.tell(f"#{record.id} was already {record.status}; nothing changed.", "warning")
        elif event.approve:
            executed = record.status is ActionStatus.EXECUTED
            outcome = record.status.label if executed else f"now {record.status.label}"
            self.tell(f"Approved #{record.id}: {describe(record)}; {outcome}.")
        else:
            self.tell(f"Denied #{record.id}: {describe(record)}.")
        self.reload()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failure says why, once; the queue keeps what it showed and keeps refreshing."""
        error = event.worker.error
        if event.state != WorkerState.ERROR or error is None:
            return
        if not isinstance(error, CareDeskError):
            self.log.error(f"{event.worker.name} failed", error)
        message = describe_failure(error)
        if event.worker.group == _LOAD:
            if message == self._load_failure:
                return
            self._load_failure = message
            self.tell(message, "error", title="Approvals not loaded")
            return
        self.tell(message, "error", title="Not decided")
        self.reload()

    def tell(self, message: str, severity: SeverityLevel = "information", title: str = "") -> None:
        """A notification; its text holds names and reasons, so it is never markup."""
        self.notify(message, severity=severity, title=title, markup=False, timeout=4)

    # -- other keys -------------------------------------------------------------------------

    def action_reload(self) -> None:
        self.reload()

    def action_close(self) -> None:
        self.dismiss(None)
