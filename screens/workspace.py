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
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, TextArea
from textual.worker import Worker, WorkerState

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
from workspace.errors import CareDeskError, describe_failure
from workspace.queue import (
    PAGE,
    PageRequest,
    describe,
    next_channel,
    next_status,
    plan_page,
    toggle_mine,
)
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
    {"next_contact", "resolve", "release", "search", "cycle_channel", "cycle_status", "toggle_mine"}
)


class WorkspaceScreen(Screen[None]):
    """Owns the workspace's state and workers; the widgets only draw and forward intent.

    Every database call runs in a thread worker. Results carry the generation of the view
    they were asked for (`_queue_gen`, `_timeline_gen`), so a result that arrives after the
    view moved on is dropped rather than drawn in the wrong place.
    """

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
        self._queue_gen = 0
        self._timeline_gen = 0

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
        self._pane("queue").border_title = "Queue"
        self._pane("queue").border_subtitle = "loading…"
        self._pane("context").border_title = "Customer"
        self._pane("resolution").border_title = "Resolution"
        self.query_one(CustomerDigest).show_placeholder("Opening the database…")
        self.query_one(QueueTable).focus()
        self.set_interval(1.0, self._tick)
        self.set_interval(5.0, self._live_refresh)
        self.boot()

    def on_resize(self) -> None:
        self.set_class(self.size.width >= WIDE, "wide")
        self.set_class(self.size.height < SHORT, "short")

    def _pane(self, name: str) -> Vertical:
        return self.query_one(f"#{name}-pane", Vertical)

    def _tell(self, message: str, severity: SeverityLevel = "information", title: str = "") -> None:
        """A notification; its text may hold ids and names, so it is never markup."""
        self.notify(message, severity=severity, title=title, markup=False, timeout=4)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Any worker that fails says why; nothing the agent typed is lost."""
        if event.state != WorkerState.ERROR or event.worker.error is None:
            return
        error = event.worker.error
        message = describe_failure(error)
        if event.worker.group == "boot":
            self.app.exit(return_code=2, message=f"caredesk: {message}")
            return
        if event.worker.name == "send":
            self.query_one(Composer).failed()
        if not isinstance(error, CareDeskError):
            self.log.error(f"{event.worker.name} failed", error)
        self._tell(message, severity="error")

    # -- start-up -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="boot", exit_on_error=False)
    def boot(self) -> None:
        result = self._boot()
        self.app.call_from_thread(self._booted, result)

    def _booted(self, result: BootResult) -> None:
        self.desk = result.desk
        agent = result.desk.agent
        self.app.sub_title = one_line(f"{agent.display_name} ({agent.role})")
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
                markup=False,
            )
        if result.upgraded_from not in (None, "empty"):
            self._tell(f"Database upgraded from schema {result.upgraded_from}.")
        self.query_one(CustomerDigest).show_placeholder("Select a contact to see the customer.")
        self._reload_queue()

    # -- the queue ------------------------------------------------------------------------

    def watch_queue_filter(self, _old: QueueFilter, _new: QueueFilter) -> None:
        self.query_one(QueueTable).select_index(0)
        self._reload_queue()

    def _reload_queue(self, keep: QueueRow | None = None) -> None:
        """Count the queue and load the page around the cursor (or around `keep`)."""
        table = self.query_one(QueueTable)
        self.load_queue(self.queue_filter, keep, table.cursor, table.size.height)

    @work(thread=True, exclusive=True, group="queue", exit_on_error=False)
    def load_queue(self, flt: QueueFilter, keep: QueueRow | None, cursor: int, height: int) -> None:
        if self.desk is None:
            return
        total = self.desk.queue_count(flt)
        index = self.desk.queue_position(flt, keep.key) if keep is not None else cursor
        index = max(0, min(index, total - 1))
        start = max(0, index - PAGE // 2)
        rows = self.desk.queue_page(flt, offset=start, limit=PAGE + height)
        self.app.call_from_thread(self._queue_loaded, flt, total, start, rows, index)

    def _queue_loaded(
        self, flt: QueueFilter, total: int, start: int, rows: list[QueueRow], index: int
    ) -> None:
        if flt != self.queue_filter:
            return
        self._queue_gen += 1
        table = self.query_one(QueueTable)
        table.reset(total)
        table.store(start, rows, total)
        table.select_index(index)
        pane = self._pane("queue")
        pane.border_title = f"Queue · {describe(flt)}"
        pane.border_subtitle = f"{total} contact{'s' if total != 1 else ''}"
        if total == 0:
            self.query_one(CustomerDigest).show_placeholder("No contacts match this filter.")
            self.query_one(Timeline).show([], False, "")
            self._timeline_gen += 1
            self.context = None
            self._show_contact(None)

    @on(QueueTable.RowsWanted)
    def _rows_wanted(self, event: QueueTable.RowsWanted) -> None:
        table = self.query_one(QueueTable)
        # Fetch a little beyond what is on screen so scrolling on finds rows ready.
        request = plan_page(
            event.start - PAGE // 4, event.end + PAGE // 2, table.total, table.key_at
        )
        self.fetch_rows(self.queue_filter, request, self._queue_gen)

    @work(thread=True, exclusive=True, group="queue-page", exit_on_error=False)
    def fetch_rows(self, flt: QueueFilter, request: PageRequest, gen: int) -> None:
        if self.desk is None:
            return
        rows = self.desk.queue_page(
            flt,
            after=request.after,
            before=request.before,
            offset=request.start if request.after is None else None,
            limit=request.limit,
        )
        first = request.start
        if request.before is not None:
            first = request.start + request.limit - len(rows)
        self.app.call_from_thread(self._rows_fetched, gen, first, rows)

    def _rows_fetched(self, gen: int, start: int, rows: list[QueueRow]) -> None:
        if gen == self._queue_gen:
            table = self.query_one(QueueTable)
            table.store(start, rows, table.total)

    def _tick(self) -> None:
        self.query_one(QueueTable).set_now(self.clock())

    def _live_refresh(self) -> None:
        if self.desk is not None and self.app.screen is self:
            self._reload_queue(keep=self.query_one(QueueTable).current)

    @on(QueueTable.Highlighted)
    def _highlighted(self, event: QueueTable.Highlighted) -> None:
        row = event.row
        self._show_contact(row)
        if row is None:
            return
        current = self.context.digest.customer.id if self.context else None
        if row.customer_id != current:
            self.query_one(CustomerDigest).show_placeholder("Loading customer…")
            self.load_context(row)

    def _show_contact(self, row: QueueRow | None) -> None:
        """The contact bar describes `row`; the reply box writes for it if the agent holds it."""
        me = self.desk.agent.id if self.desk else None
        self.query_one(ContactBar).show(row, me, self.clock())
        held = row is not None and row.holder_id == me and row.status != "resolved"
        self.query_one(Composer).bind(row.id if held and row is not None else None)

    # -- the customer context ----------------------------------------------------------------

    @work(thread=True, exclusive=True, group="context", exit_on_error=False)
    def load_context(self, row: QueueRow) -> None:
        if self.desk is None:
            return
        context = self.desk.customer_context(row.customer_id, row)
        self.app.call_from_thread(self._context_loaded, row, context)

    def _context_loaded(self, row: QueueRow, context: CustomerContext) -> None:
        current = self.query_one(QueueTable).current
        if current is None or current.customer_id != row.customer_id:
            return  # the selection moved on while this loaded
        self.context = context
        self.query_one(CustomerDigest).show(context.digest, self.clock())
        search = self.query_one("#search", Input)
        search.value = ""
        search.remove_class("visible")
        self._show_timeline(list(context.timeline), context.has_more, "No history yet.")
        count = context.digest.interactions
        self._pane("context").border_title = f"Customer · {count} interactions"

    def _show_timeline(self, entries: list[TimelineRecord], more: bool, empty: str) -> None:
        """Replace the timeline; results still on their way for the old one are dropped."""
        self._timeline_gen += 1
        timeline = self.query_one(Timeline)
        timeline.now = self.clock()
        timeline.show(entries, more, empty)

    @on(Timeline.MoreWanted)
    def _more_wanted(self, event: Timeline.MoreWanted) -> None:
        if self.context is not None:
            self.load_more(self.context.digest.customer.id, event.before, self._timeline_gen)

    @work(thread=True, exclusive=True, group="timeline", exit_on_error=False)
    def load_more(self, customer_id: str, before: TimelineKey, gen: int) -> None:
        if self.desk is None:
            return
        entries, more = self.desk.timeline_page(customer_id, before)
        self.app.call_from_thread(self._more_loaded, gen, entries, more)

    def _more_loaded(self, gen: int, entries: list[TimelineRecord], more: bool) -> None:
        if gen == self._timeline_gen:
            self.query_one(Timeline).extend(entries, more)

    @on(Timeline.Opened)
    def _open_entry(self, event: Timeline.Opened) -> None:
        self.app.push_screen(EntryScreen(event.entry))

    def action_search(self) -> None:
        if self.context is None:
            self._tell("Select a contact first.", severity="warning")
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
            self._restore_timeline()
            return
        self.search_history(self.context.digest.customer.id, query, self._timeline_gen)

    def _restore_timeline(self) -> None:
        if self.context is not None:
            context = self.context
            self._show_timeline(list(context.timeline), context.has_more, "No history yet.")
            count = context.digest.interactions
            self._pane("context").border_title = f"Customer · {count} interactions"

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def search_history(self, customer_id: str, query: str, gen: int) -> None:
        if self.desk is None:
            return
        found = self.desk.search_history(customer_id, query)
        self.app.call_from_thread(self._search_done, gen, query, found)

    def _search_done(self, gen: int, query: str, found: list[TimelineRecord]) -> None:
        if gen != self._timeline_gen:
            return
        self._show_timeline(found, False, f"Nothing in this history matches {one_line(query)!r}.")
        matches = f"{len(found)} match{'es' if len(found) != 1 else ''}"
        self._pane("context").border_title = f"Customer · {matches} for the search"
        self.query_one(Timeline).focus()

    # -- claims and the conversation ----------------------------------------------------------

    @on(QueueTable.ClaimRequested)
    def _claim_requested(self, event: QueueTable.ClaimRequested) -> None:
        self.claim(event.row)

    @work(thread=True, group="claim", exit_on_error=False)
    def claim(self, row: QueueRow) -> None:
        if self.desk is None:
            return
        outcome = self.desk.claim(row.id)
        self.app.call_from_thread(self._claimed, row, outcome.claimed, outcome.reason)

    def _claimed(self, row: QueueRow, claimed: bool, reason: str) -> None:
        if claimed:
            self._tell(f"{one_line(row.id)} is yours ({reason}).")
            self.query_one(Composer).text_area.focus()
        else:
            sentence = one_line(reason[:1].upper() + reason[1:] + ".")
            self._tell(sentence, severity="warning", title="Cannot claim")
        self._reload_queue(keep=row)

    def action_next_contact(self) -> None:
        self.claim_next()

    @work(thread=True, exclusive=True, group="next", exit_on_error=False)
    def claim_next(self) -> None:
        if self.desk is None:
            return
        row = self.desk.claim_next(replace(self.queue_filter, agent_id=None))
        if row is None:
            self.app.call_from_thread(self._tell, "No unclaimed contact waits in this view.")
        else:
            self.app.call_from_thread(self._claimed, row, True, "next in the queue")

    def _held_contact(self) -> QueueRow | None:
        row = self.query_one(QueueTable).current
        me = self.desk.agent.id if self.desk else None
        if row is None or row.holder_id != me or row.status == "resolved":
            self._tell("Claim the contact first (enter on the queue).", severity="warning")
            return None
        return row

    @on(Composer.Submitted)
    def _composer_submitted(self, event: Composer.Submitted) -> None:
        if event.ticket_id is None:
            self.query_one(Composer).failed()
            self._tell("Claim the contact first (enter on the queue).", severity="warning")
            return
        self.send(event.ticket_id, event.text, event.note, event.key)

    @work(thread=True, group="write", name="send", exit_on_error=False)
    def send(self, ticket_id: str, text: str, note: bool, key: str) -> None:
        if self.desk is None:
            return
        self.desk.write(ticket_id, text, note=note, key=key)
        self.app.call_from_thread(self._sent, ticket_id, note)

    def _sent(self, ticket_id: str, note: bool) -> None:
        self.query_one(Composer).sent(ticket_id)
        self._tell("Note saved." if note else f"Reply sent on {one_line(ticket_id)}.")
        current = self.query_one(QueueTable).current
        if current is not None and current.id == ticket_id:
            self.load_context(current)

    def action_resolve(self) -> None:
        row = self._held_contact()
        if row is not None:
            self.app.push_screen(DispositionScreen(row.id), lambda d: self._disposed(row, d))

    def _disposed(self, row: QueueRow, disposition: str | None) -> None:
        if disposition:
            self.resolve(row, disposition)

    @work(thread=True, group="write", exit_on_error=False)
    def resolve(self, row: QueueRow, disposition: str) -> None:
        if self.desk is None:
            return
        self.desk.resolve(row.id, disposition)
        message = f"{one_line(row.id)} closed as {disposition}."
        self.app.call_from_thread(self._after_close, row, message)

    def action_release(self) -> None:
        row = self._held_contact()
        if row is not None:
            self.release(row)

    @work(thread=True, group="write", exit_on_error=False)
    def release(self, row: QueueRow) -> None:
        if self.desk is None:
            return
        self.desk.release(row.id)
        self.app.call_from_thread(
            self._after_close, row, f"{one_line(row.id)} is back in the queue."
        )

    def _after_close(self, row: QueueRow, message: str) -> None:
        self._tell(message)
        self.query_one(QueueTable).focus()
        self._reload_queue(keep=row)

    # -- filters, focus and help --------------------------------------------------------------

    def action_cycle_channel(self) -> None:
        self.queue_filter = replace(
            self.queue_filter, channel=next_channel(self.queue_filter.channel)
        )

    def action_cycle_status(self) -> None:
        self.queue_filter = replace(self.queue_filter, status=next_status(self.queue_filter.status))

    def action_toggle_mine(self) -> None:
        if self.desk is not None:
            self.queue_filter = toggle_mine(self.queue_filter, self.desk.agent.id)

    def action_reload(self) -> None:
        self._reload_queue(keep=self.query_one(QueueTable).current)

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
            self._restore_timeline()
            self.query_one(Timeline).focus()
        else:
            self.query_one(QueueTable).focus()

    def action_help(self) -> None:
        pane = "queue"
        focused = self.focused
        if focused is not None:
            for node in focused.ancestors_with_self:
                if node.id in ("context-pane", "resolution-pane", "queue-pane"):
                    pane = node.id.removesuffix("-pane")
                    break
        self.app.push_screen(HelpScreen(pane, self.active_bindings))
