"""The agent's workspace: queue, customer context and resolution, all on one screen."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, TextArea
from textual.worker import get_current_worker

from screens.commands import BindingCommands
from screens.disposition import DispositionScreen
from screens.entry import EntryScreen
from screens.help import HelpScreen
from storage.records import QueueFilter, QueueRow, TimelineKey, TimelineRecord
from widgets.composer import Composer
from widgets.contact_bar import ContactBar
from widgets.digest import CustomerDigest
from widgets.queue_table import QueueTable
from widgets.timeline import Timeline
from workspace.context import CustomerContext
from workspace.errors import CareDeskError
from workspace.queue import PAGE, describe, next_channel, next_status, plan_page, toggle_mine

if TYPE_CHECKING:  # the database layers load in the boot worker, after the first frame
    from workspace.boot import BootResult
    from workspace.desk import Desk

#: Terminals at least this wide put the three panes side by side.
WIDE = 200
#: Actions bound to printable keys: while typing, those keys are text, not commands.
TYPED_KEYS = frozenset(
    {"next_contact", "resolve", "release", "search", "cycle_channel", "cycle_status", "toggle_mine"}
)
#: Terminals less tall than this get a compact digest and queue.
SHORT = 30


class WorkspaceScreen(Screen[None]):
    """Owns the workspace's state and workers; the widgets only draw and forward intent."""

    CSS_PATH = "workspace.tcss"
    COMMANDS = {BindingCommands}

    BINDINGS = [
        Binding("1,f2", "focus_pane('queue')", "Queue", id="workspace.queue"),
        Binding("2,f3", "focus_pane('context')", "Context", id="workspace.context"),
        Binding("3,f4", "focus_pane('reply')", "Reply", id="workspace.reply"),
        Binding("n", "next_contact", "Next", id="workspace.next"),
        Binding("r", "resolve", "Resolve", id="workspace.resolve"),
        Binding("x", "release", "Release", id="workspace.release"),
        Binding("slash", "search", "Search history", id="workspace.search"),
        Binding("c", "cycle_channel", "Channel", id="workspace.channel"),
        Binding("s", "cycle_status", "Status", id="workspace.status"),
        Binding("m", "toggle_mine", "Mine", id="workspace.mine"),
        Binding("f5", "reload", "Reload", show=False, id="workspace.reload"),
        Binding("f1,question_mark", "help", "Help", id="workspace.help"),
        Binding("escape", "escape", "Back", show=False, id="workspace.escape"),
    ]

    class BootFailed(Message):
        """The workspace could not open (unknown agent, unusable database)."""

        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    queue_filter: reactive[QueueFilter] = reactive(QueueFilter, init=False)

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
        self.context: CustomerContext | None = None
        self._context_for: str | None = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=self._show_clock)
        with Vertical(id="queue-pane"):
            yield QueueTable(id="queue")
        with Horizontal(id="bottom"):
            with Vertical(id="context-pane"):
                yield CustomerDigest(id="digest")
                yield Input(placeholder="Search this customer's history…", id="search")
                yield Timeline(id="timeline")
            with Vertical(id="resolution-pane"):
                yield ContactBar(id="contact-bar")
                yield Composer(id="composer")
                # Policy-bounded actions (discount, refund, replacement…) mount here.
                yield Vertical(id="actions")
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Single-letter commands are hidden while the agent types (the letters are text)."""
        return not (action in TYPED_KEYS and isinstance(self.focused, (Input, TextArea)))

    def on_mount(self) -> None:
        self.query_one("#queue-pane").border_title = "Queue"
        self.query_one("#queue-pane").border_subtitle = "loading…"
        self.query_one("#context-pane").border_title = "Customer"
        self.query_one("#resolution-pane").border_title = "Resolution"
        self.query_one(CustomerDigest).show_placeholder("Opening the database…")
        self.query_one(QueueTable).focus()
        self.set_interval(1.0, self._tick)
        self.set_interval(5.0, self._live_refresh)
        self.boot()

    def on_resize(self) -> None:
        self.set_class(self.size.width >= WIDE, "wide")
        self.set_class(self.size.height < SHORT, "short")

    # -- start-up -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="boot")
    def boot(self) -> None:
        try:
            result = self._boot()
        except CareDeskError as error:
            self.post_message(self.BootFailed(f"caredesk: {error}"))
            return
        self.app.call_from_thread(self._booted, result)

    @on(BootFailed)
    def _boot_failed(self, event: BootFailed) -> None:
        self.app.exit(return_code=2, message=event.reason)

    def _booted(self, result: BootResult) -> None:
        self.desk = result.desk
        agent = result.desk.agent
        self.app.sub_title = f"{agent.display_name} ({agent.role})"
        table = self.query_one(QueueTable)
        table.me = agent.id
        table.set_now(self.clock())
        if result.demo is not None:
            d = result.demo
            self.notify(
                f"First run: filled a new database with demo data ({d.customers} customers, "
                f"{d.orders} orders, {d.interactions} past interactions).",
                title="Demo data",
                timeout=8,
            )
        if result.upgraded_from not in (None, "empty"):
            self.notify(f"Database upgraded from schema {result.upgraded_from}.")
        self.query_one(CustomerDigest).show_placeholder("Select a contact to see the customer.")
        self.load_queue(keep=None)

    # -- the queue ------------------------------------------------------------------------

    def watch_queue_filter(self, _old: QueueFilter, _new: QueueFilter) -> None:
        self.query_one(QueueTable).select_index(0)
        self.load_queue(keep=None)

    @work(thread=True, exclusive=True, group="queue")
    def load_queue(self, keep: QueueRow | None) -> None:
        """Count the queue and load the page around the cursor (or around `keep`)."""
        desk = self.desk
        if desk is None:
            return
        flt = self.queue_filter
        table = self.query_one(QueueTable)
        total = desk.queue_count(flt)
        index = table.cursor
        if keep is not None:
            index = desk.queue_position(flt, keep.key)
        index = max(0, min(index, total - 1))
        start = max(0, index - PAGE // 2)
        rows = desk.queue_page(flt, offset=start, limit=PAGE + table.size.height)
        if get_current_worker().is_cancelled:
            return
        self.app.call_from_thread(self._queue_loaded, flt, total, start, rows, index)

    def _queue_loaded(
        self, flt: QueueFilter, total: int, start: int, rows: list[QueueRow], index: int
    ) -> None:
        if flt != self.queue_filter:
            return
        table = self.query_one(QueueTable)
        table.reset(total)
        table.store(start, rows, total)
        table.select_index(index)
        pane = self.query_one("#queue-pane")
        pane.border_title = f"Queue · {describe(flt)}"
        pane.border_subtitle = f"{total} contact{'s' if total != 1 else ''}"
        if total == 0:
            self.query_one(CustomerDigest).show_placeholder("No contacts match this filter.")
            self.query_one(Timeline).show([], False, "")
            self._show_contact(None)

    @on(QueueTable.RowsWanted)
    def _rows_wanted(self, event: QueueTable.RowsWanted) -> None:
        self.fetch_rows(event.start, event.end)

    @work(thread=True, exclusive=True, group="queue-page")
    def fetch_rows(self, start: int, end: int) -> None:
        desk = self.desk
        if desk is None:
            return
        table = self.query_one(QueueTable)
        flt = self.queue_filter
        # Fetch a little beyond what is on screen so scrolling on finds rows ready.
        request = plan_page(start - PAGE // 4, end + PAGE // 2, table.total, table.key_at)
        rows = desk.queue_page(
            flt,
            after=request.after,
            before=request.before,
            offset=request.start if request.after is None else None,
            limit=request.limit,
        )
        if request.before is not None:
            first = request.start + request.limit - len(rows)
        else:
            first = request.start
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._rows_fetched, flt, first, rows)

    def _rows_fetched(self, flt: QueueFilter, start: int, rows: list[QueueRow]) -> None:
        if flt == self.queue_filter:
            table = self.query_one(QueueTable)
            table.store(start, rows, table.total)

    def _tick(self) -> None:
        self.query_one(QueueTable).set_now(self.clock())

    def _live_refresh(self) -> None:
        if self.desk is not None and self.app.screen is self:
            self.load_queue(keep=self.query_one(QueueTable).current)

    @on(QueueTable.Highlighted)
    def _highlighted(self, event: QueueTable.Highlighted) -> None:
        self._show_contact(event.row)
        if event.row is not None and event.row.customer_id != self._context_for:
            self._context_for = event.row.customer_id
            self.query_one(CustomerDigest).show_placeholder("Loading customer…")
            self.load_context(event.row)
        elif event.row is not None and self.context is not None:
            self.load_context(event.row)

    def _show_contact(self, row: QueueRow | None) -> None:
        me = self.desk.agent.id if self.desk else None
        self.query_one(ContactBar).show(row, me, self.clock())

    # -- the customer context ----------------------------------------------------------------

    @work(thread=True, exclusive=True, group="context")
    def load_context(self, row: QueueRow) -> None:
        desk = self.desk
        if desk is None:
            return
        try:
            context = desk.customer_context(row.customer_id, row)
        except CareDeskError as error:
            self.app.call_from_thread(self.notify, str(error), severity="error")
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._context_loaded, row, context)

    def _context_loaded(self, row: QueueRow, context: CustomerContext) -> None:
        current = self.query_one(QueueTable).current
        if current is None or current.customer_id != row.customer_id:
            return  # the selection moved on while this loaded
        self.context = context
        self.query_one(CustomerDigest).show(context.digest, self.clock())
        timeline = self.query_one(Timeline)
        timeline.now = self.clock()
        timeline.show(list(context.timeline), context.has_more, "No history yet.")
        search = self.query_one("#search", Input)
        search.value = ""
        search.remove_class("visible")
        self.query_one(
            "#context-pane"
        ).border_title = f"Customer · {context.digest.interactions} interactions"

    @on(Timeline.MoreWanted)
    def _more_wanted(self, event: Timeline.MoreWanted) -> None:
        if self.context is not None:
            self.load_more(self.context.digest.customer.id, event.before)

    @work(thread=True, exclusive=True, group="timeline")
    def load_more(self, customer_id: str, before: TimelineKey) -> None:
        if self.desk is None:
            return
        entries, more = self.desk.timeline_page(customer_id, before)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._more_loaded, customer_id, entries, more)

    def _more_loaded(self, customer_id: str, entries: list[TimelineRecord], more: bool) -> None:
        if self.context is not None and self.context.digest.customer.id == customer_id:
            self.query_one(Timeline).extend(entries, more)

    @on(Timeline.Opened)
    def _open_entry(self, event: Timeline.Opened) -> None:
        self.app.push_screen(EntryScreen(event.entry))

    def action_search(self) -> None:
        if self.context is None:
            self.notify("Select a contact first.", severity="warning")
            return
        search = self.query_one("#search", Input)
        search.add_class("visible")
        search.focus()

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        if self.context is None:
            return
        query = event.value.strip()
        if not query:
            self._context_loaded_again()
            return
        self.search_history(self.context.digest.customer.id, query)

    def _context_loaded_again(self) -> None:
        if self.context is not None:
            self.query_one(Timeline).show(
                list(self.context.timeline), self.context.has_more, "No history yet."
            )

    @work(thread=True, exclusive=True, group="search")
    def search_history(self, customer_id: str, query: str) -> None:
        if self.desk is None:
            return
        found = self.desk.search_history(customer_id, query)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._search_done, customer_id, query, found)

    def _search_done(self, customer_id: str, query: str, found: list[TimelineRecord]) -> None:
        if self.context is None or self.context.digest.customer.id != customer_id:
            return
        timeline = self.query_one(Timeline)
        timeline.show(found, False, f"Nothing in this history matches {query!r}.")
        self.query_one(
            "#context-pane"
        ).border_title = (
            f"Customer · {len(found)} match{'es' if len(found) != 1 else ''} for the search"
        )
        timeline.focus()

    # -- claims and the conversation ----------------------------------------------------------

    @on(QueueTable.ClaimRequested)
    def _claim_requested(self, event: QueueTable.ClaimRequested) -> None:
        self.claim(event.row)

    @work(thread=True, group="write")
    def claim(self, row: QueueRow) -> None:
        if self.desk is None:
            return
        outcome = self.desk.claim(row.id)
        self.app.call_from_thread(self._claimed, row, outcome.claimed, outcome.reason)

    def _claimed(self, row: QueueRow, claimed: bool, reason: str) -> None:
        if claimed:
            self.notify(f"{row.id} is yours ({reason}).", timeout=3)
            self.query_one(Composer).text_area.focus()
        else:
            sentence = reason[:1].upper() + reason[1:] + "."
            self.notify(sentence, title="Cannot claim", severity="warning")
        self.load_queue(keep=row)

    def action_next_contact(self) -> None:
        self.claim_next()

    @work(thread=True, exclusive=True, group="write")
    def claim_next(self) -> None:
        desk = self.desk
        if desk is None:
            return
        flt = replace(self.queue_filter, agent_id=None)
        row = desk.claim_next(flt)
        if row is None:
            self.app.call_from_thread(self.notify, "No unclaimed contact waits in this view.")
            return
        self.app.call_from_thread(self._claimed, row, True, "next in the queue")

    def _held_contact(self) -> QueueRow | None:
        row = self.query_one(QueueTable).current
        if row is None or self.desk is None or row.holder_id != self.desk.agent.id:
            self.notify("Claim the contact first (enter on the queue).", severity="warning")
            return None
        return row

    @on(Composer.Submitted)
    def _composer_submitted(self, event: Composer.Submitted) -> None:
        row = self._held_contact()
        if row is not None:
            self.write(row, event.text, event.note)

    @work(thread=True, group="write")
    def write(self, row: QueueRow, text: str, note: bool) -> None:
        if self.desk is None:
            return
        try:
            self.desk.write(row.id, text, note=note)
        except CareDeskError as error:
            self.app.call_from_thread(self.notify, str(error), severity="error")
            return
        self.app.call_from_thread(self._written, row, note)

    def _written(self, row: QueueRow, note: bool) -> None:
        self.query_one(Composer).clear()
        self.notify("Note saved." if note else f"Reply sent on {row.id}.", timeout=3)
        self.load_context(row)

    def action_resolve(self) -> None:
        row = self._held_contact()
        if row is not None:
            self.app.push_screen(DispositionScreen(row.id), lambda d: self._disposed(row, d))

    def _disposed(self, row: QueueRow, disposition: str | None) -> None:
        if disposition:
            self.resolve(row, disposition)

    @work(thread=True, group="write")
    def resolve(self, row: QueueRow, disposition: str) -> None:
        if self.desk is None:
            return
        try:
            self.desk.resolve(row.id, disposition)
        except CareDeskError as error:
            self.app.call_from_thread(self.notify, str(error), severity="error")
            return
        self.app.call_from_thread(self._after_close, row, f"{row.id} closed as {disposition}.")

    def action_release(self) -> None:
        row = self._held_contact()
        if row is not None:
            self.release(row)

    @work(thread=True, group="write")
    def release(self, row: QueueRow) -> None:
        if self.desk is None:
            return
        try:
            self.desk.release(row.id)
        except CareDeskError as error:
            self.app.call_from_thread(self.notify, str(error), severity="error")
            return
        self.app.call_from_thread(self._after_close, row, f"{row.id} is back in the queue.")

    def _after_close(self, row: QueueRow, message: str) -> None:
        self.notify(message, timeout=3)
        self.query_one(Composer).clear()
        self.query_one(QueueTable).focus()
        self.load_queue(keep=row)

    # -- filters, focus and help --------------------------------------------------------------

    def action_cycle_channel(self) -> None:
        flt = self.queue_filter
        self.queue_filter = replace(flt, channel=next_channel(flt.channel))

    def action_cycle_status(self) -> None:
        flt = self.queue_filter
        self.queue_filter = replace(flt, status=next_status(flt.status))

    def action_toggle_mine(self) -> None:
        if self.desk is not None:
            self.queue_filter = toggle_mine(self.queue_filter, self.desk.agent.id)

    def action_reload(self) -> None:
        self.load_queue(keep=self.query_one(QueueTable).current)

    def action_focus_pane(self, pane: str) -> None:
        if pane == "queue":
            self.query_one(QueueTable).focus()
        elif pane == "context":
            self.query_one(Timeline).focus()
        else:
            self.query_one(Composer).text_area.focus()

    def action_escape(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_class("visible"):
            search.remove_class("visible")
            self._context_loaded_again()
            self.query_one(Timeline).focus()
        else:
            self.query_one(QueueTable).focus()

    def action_help(self) -> None:
        focused = self.focused
        pane = "queue"
        if focused is not None:
            for node in focused.ancestors_with_self:
                if node.id in ("context-pane", "resolution-pane", "queue-pane"):
                    pane = node.id.removesuffix("-pane")
                    break
        self.app.push_screen(HelpScreen(pane, self.active_bindings))
