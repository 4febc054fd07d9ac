"""The agent's workspace: queue, customer context and resolution, all on one screen."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Header, Input, TextArea
from textual.worker import Worker, WorkerState

from screens.approvals import ApprovalsScreen
from screens.assign import AssignScreen
from screens.commands import BindingCommands
from screens.connection import ConnectionWatch, DatabaseBack, DatabaseLost
from screens.context_pane import ContextPane
from screens.delivery import DeliveryWatcher
from screens.follow_up import FollowUpAsk, FollowUpScreen
from screens.help import HelpScreen
from screens.keys import key_of, keymap_of
from screens.leaving import RELEASE, LeavingScreen
from screens.live import LiveWatcher
from screens.new_contact import NewContact, NewContactScreen
from screens.news import NewsWatcher, identity
from screens.queue_pane import QueuePane
from screens.resolution_pane import ResolutionPane
from widgets.commands import bindings, of_pane, typed_actions
from widgets.pane_footer import PaneFooter
from widgets.timeline import Timeline
from workspace.action_view import action_message
from workspace.errors import database_lost, describe_failure, failure_reason
from workspace.queue import QueueFilter, QueueRow
from workspace.text import count, one_line
from workspace.timefmt import full

if TYPE_CHECKING:  # the database layers load in the boot worker, after the first frame
    from workspace.boot import BootResult
    from workspace.lookup import Found
    from workspace.workbench import Workbench

#: Actions only supervisors have.
_SUPERVISORS = frozenset({"approvals", "free", "assign"})

#: Terminals at least this wide put the queue beside the customer and the reply.
WIDE = 200
#: Terminals less tall than this get a compact digest and queue.
SHORT = 30


class WorkspaceScreen(Screen[None]):
    """Wires the three panes: each owns its state and workers.

    The queue says which contact is current; the screen passes that down to the context
    and resolution panes, and tells the queue when the resolution pane closed a contact.
    The boot (`screens.boot`) opens the database before this screen is shown.
    """

    CSS_PATH = "workspace.tcss"
    COMMANDS = {BindingCommands}

    BINDINGS = bindings("workspace")

    def __init__(self, clock: Callable[[], datetime], *, show_clock: bool = True) -> None:
        super().__init__()
        self._show_clock = show_clock
        self.clock = clock
        self.bench: Workbench | None = None
        """The agent's use cases, once the boot has opened the database."""
        self._waiting = 0
        """Requests waiting for approval at the last look (supervisors)."""
        self._opened_row: QueueRow | None = None
        """A contact the agent just opened, until the queue's cursor reaches it: reloads
        the feed asks for meanwhile go to it, not back to the row the agent left."""

    def compose(self) -> ComposeResult:
        yield Header(show_clock=self._show_clock)
        yield ConnectionWatch(id="connection")
        yield QueuePane(clock=self.clock)
        with Horizontal(id="bottom"):
            yield ContextPane(clock=self.clock)
            yield ResolutionPane(clock=self.clock)
        yield NewsWatcher()
        yield LiveWatcher()
        yield DeliveryWatcher()
        yield PaneFooter()

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

    @property
    def connection(self) -> ConnectionWatch:
        """The database's state, shown while it is gone."""
        return self.query_one(ConnectionWatch)

    @property
    def live(self) -> LiveWatcher:
        """The live feed and heartbeat."""
        return self.query_one(LiveWatcher)

    def _allowed(self, action: str) -> bool:
        """Whether this agent may use `action` at all: the approval queue, freeing and
        assigning others' contacts are for supervisors."""
        if action not in _SUPERVISORS:
            return True
        return self.bench is not None and self.bench.agent.can_approve

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Single-letter commands are hidden while the agent types (the letters are text);
        the approval queue is there for supervisors only."""
        if not self._allowed(action):
            return False
        if not isinstance(self.focused, (Input, TextArea)):
            return True
        return action not in typed_actions("workspace", keymap_of(self.app))

    def on_mount(self) -> None:
        self.queue.table.focus()

    def on_resize(self) -> None:
        self.set_class(self.size.width >= WIDE, "wide")
        self.set_class(self.size.height < SHORT, "short")

    def booted(self, result: BootResult) -> None:
        """The boot opened the database: hand the agent's use cases to the panes, and start."""
        bench = result.bench
        self.bench = bench
        self.app.sub_title = identity(bench.agent, None, "")
        for pane in (self.queue, self.context_pane, self.resolution):
            pane.bench = bench
        self.connection.ping = bench.reading.ping
        if result.demo is not None:
            d = result.demo
            self.notify(
                f"First run: filled a new database with demo data ({d.customers} customers, "
                f"{d.orders} orders, {d.interactions} past interactions).",
                title="Demo data",
                timeout=8,
                markup=False,
            )
        if result.notice:
            self.notify(result.notice, title="Who you are", timeout=8, markup=False)
        if result.upgraded_from not in (None, "empty"):
            self.notify(f"Database upgraded from schema {result.upgraded_from}.", markup=False)
        self.context_pane.placeholder("Select a contact to see the customer.")
        first = result.first
        if first is not None and first.context is not None:
            self.context_pane.offer(first.context)
        self.queue.start(first)
        self.refresh_bindings()
        self.query_one(NewsWatcher).start(bench)
        self.live.start(bench)
        self.query_one(DeliveryWatcher).start(bench)

    # -- what others did, as it commits --------------------------------------------------------

    @on(LiveWatcher.Changed)
    def _changed(self, event: LiveWatcher.Changed) -> None:
        changes = event.changes
        row = self.queue.table.current
        if changes.everything or changes.queue:
            self.queue.reload(keep=self._opened_row or row)
        elif changes.viewed:
            self.queue.refresh_viewers()
        if row is not None and (changes.everything or row.id in changes.tickets):
            self.context_pane.reload(row)
            self.context_pane.load_viewers(row.id)
        elif row is not None and row.id in changes.viewed:
            self.context_pane.load_viewers(row.id)
        if changes.deliveries and not changes.requests:
            self.resolution.load_actions()  # the strip says where each action's message is
        if changes.requests:
            self.query_one(NewsWatcher).look()
            self.resolution.load_actions()
            top = self.app.screen
            if isinstance(top, ApprovalsScreen):
                top.changed()

    # -- news: decisions on the agent's requests, and requests waiting for a supervisor -------

    @on(NewsWatcher.Decided)
    def _decided(self, event: NewsWatcher.Decided) -> None:
        for record in event.records:
            self.notify(
                action_message(record),
                title="Your request",
                severity=record.status.severity,
                markup=False,
            )
        self.resolution.load_actions()
        row = self.queue.table.current
        if row is not None and any(r.customer_id == row.customer_id for r in event.records):
            self.context_pane.reload(row)

    @on(NewsWatcher.Waiting)
    def _waiting_changed(self, event: NewsWatcher.Waiting) -> None:
        if self.bench is None:
            return
        key = key_of(self.app, "workspace.approvals")
        if event.count > self._waiting and not isinstance(self.app.screen, ApprovalsScreen):
            # On the approval queue itself the list says it.
            self.notify(
                f"{count(event.count, 'request')} {'waits' if event.count == 1 else 'wait'}"
                f" for your approval ({key}).",
                title="Approvals",
                markup=False,
            )
        self._waiting = event.count
        self.app.sub_title = identity(self.bench.agent, event.count, key)

    # -- the database going away and coming back -------------------------------------------------

    @on(DatabaseLost)
    def _database_lost(self, event: DatabaseLost) -> None:
        self.connection.database_lost(event.reason)

    @on(DatabaseBack)
    def _database_back(self) -> None:
        self.notify("The database answers again.", title="Database", markup=False)
        self.queue.reload(keep=self.queue.table.current)
        row = self.queue.table.current
        if row is not None:
            self.context_pane.reload(row)
        self.resolution.load_actions()
        self.query_one(NewsWatcher).look()

    # -- the panes talking to each other ----------------------------------------------------

    @on(QueuePane.ContactChanged)
    def _contact_changed(self, event: QueuePane.ContactChanged) -> None:
        opened = self._opened_row
        if event.row is not None and opened is not None and event.row.id == opened.id:
            self._opened_row = None
        self.context_pane.show_contact(event.row)
        self.resolution.show_contact(event.row)
        ticket_id = event.row.id if event.row is not None else None
        if self.bench is not None and ticket_id != self.bench.presence.viewing:
            self.live.view(ticket_id)
        if ticket_id is not None:
            self.context_pane.load_viewers(ticket_id)

    @on(QueuePane.Claimed)
    def _claimed(self, _event: QueuePane.Claimed) -> None:
        # The customer's history, where an agent reads before answering and where every
        # single-letter key is a command: a key pressed right after a claim never lands in
        # the reply. The reply box is one key away (3 or f4).
        self.query_one(Timeline).focus()

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

    def action_redeliver(self) -> None:
        self.resolution.redeliver()

    def action_approvals(self) -> None:
        if self.bench is None or not self.bench.agent.can_approve:
            self.notify("Only supervisors decide requests.", severity="warning", markup=False)
            return
        screen = ApprovalsScreen(self.bench.approvals, self.bench.reading, self.clock)
        self.app.push_screen(screen, self._approvals_closed)

    def action_free(self) -> None:
        row = self.queue.table.current
        if row is None or self.bench is None:
            return
        if row.holder_id is None:
            self.notify(f"Nobody holds {row.id}.", markup=False)
            return
        self._move(row.id, None)

    def action_assign(self) -> None:
        row = self.queue.table.current
        if row is None or self.bench is None:
            return

        def chosen(to: str | None) -> None:
            if to is not None:
                self._move(row.id, to or None)

        self.app.push_screen(AssignScreen(row), chosen)

    @work(thread=True, group="supervise", exit_on_error=False)
    def _move(self, ticket_id: str, to: str | None) -> None:
        """Free the contact (`to` None) or give it to the agent called `to`."""
        assert self.bench is not None
        supervision = self.bench.supervision
        moved = supervision.release(ticket_id) if to is None else supervision.assign(ticket_id, to)
        self.app.call_from_thread(self.notify, moved.sentence + ".", markup=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A move refused says why; a lost database is the banner's to show."""
        worker = event.worker
        if worker.group not in ("supervise", "open", "follow_up"):
            return
        if event.state != WorkerState.ERROR:
            return
        error = worker.error
        if error is None:
            return
        if database_lost(error):
            self.connection.database_lost(failure_reason(error))
        self.notify(describe_failure(error), severity="error", markup=False)

    # -- leaving -------------------------------------------------------------------------------

    def leave(self) -> None:
        """Quit; an agent holding contacts is asked first whether to keep or release them."""
        if self.bench is None or self.connection.lost:
            self.app.exit()
            return
        self._look_before_leaving()

    @work(thread=True, group="leave", exit_on_error=False)
    def _look_before_leaving(self) -> None:
        assert self.bench is not None
        try:
            held = self.bench.presence.held()
        except Exception as error:
            if not database_lost(error):
                raise
            self.app.call_from_thread(self.app.exit)  # nothing to ask: the holds will lapse
            return
        self.app.call_from_thread(self._ask_before_leaving, held)

    def _ask_before_leaving(self, held: list[str]) -> None:
        if not held:
            self._end_session(release=False)
            return

        def chosen(choice: str | None) -> None:
            if choice is not None:
                self._end_session(release=choice == RELEASE)

        self.app.push_screen(LeavingScreen(held), chosen)

    @work(thread=True, group="leave", exit_on_error=False)
    def _end_session(self, *, release: bool) -> None:
        assert self.bench is not None
        try:
            self.bench.presence.end(release=release)
        finally:
            self.app.call_from_thread(self.app.exit)

    def _approvals_closed(self, _result: object) -> None:
        self.query_one(NewsWatcher).look()

    # -- finding any customer, and opening a contact for them ----------------------------

    def action_find(self) -> None:
        if self.bench is None:
            return
        from screens.lookup import LookupScreen  # it needs the database layers, loaded by now

        self.app.push_screen(LookupScreen(self.bench.lookup), self._found)

    def _found(self, found: Found | None) -> None:
        if found is None:
            return
        self.context_pane.show_customer(
            found.customer_id, key_of(self.app, "workspace.new_contact")
        )
        self.resolution.show_customer(found.customer_name)
        self.live.view(None)  # nobody should read this agent as on the queue's contact
        self.query_one(Timeline).focus()

    def _back_to_queue(self) -> None:
        """The customer shown is the queue's again, after a looked-up one."""
        if self.context_pane.found is not None:
            row = self.queue.table.current
            self.context_pane.show_contact(row)
            self.resolution.show_contact(row)
            if row is not None:
                self.live.view(row.id)

    def action_new_contact(self) -> None:
        context = self.context_pane.context
        if self.bench is None or context is None:
            self.notify(
                f"Find the customer first ({key_of(self.app, 'workspace.find')}).",
                severity="warning",
                markup=False,
            )
            return
        customer = context.digest.customer

        def chosen(asked: NewContact | None) -> None:
            if asked is not None:
                self._open_contact(customer.id, asked)

        self.app.push_screen(NewContactScreen(customer.id, customer.name), chosen)

    @work(thread=True, group="open", exit_on_error=False)
    def _open_contact(self, customer_id: str, asked: NewContact) -> None:
        assert self.bench is not None
        row = self.bench.desk.open_contact(customer_id, asked.channel, asked.subject)
        self.app.call_from_thread(self._opened, row)

    def _opened(self, row: QueueRow) -> None:
        """Show the contact just opened, held: the queue moves to it (out of a filter that
        would hide it) and the panes follow it as after a claim."""
        queue = self.queue
        shown = queue.queue_filter
        if shown.status is not None or shown.channel not in (None, row.channel):
            # Without the watcher: it would reload at the top, racing the reload to the row.
            queue.set_reactive(QueuePane.queue_filter, QueueFilter(agent_id=shown.agent_id))
        self._opened_row = row
        queue.reload(keep=row)
        self.notify(f"{one_line(row.id)} is open and yours.", markup=False)
        self.query_one(Timeline).focus()

    def action_follow_up(self) -> None:
        row = self.resolution.row
        context = self.context_pane.context
        if self.bench is None or row is None or row.holder_id != self.bench.agent.id:
            self.notify("Open a contact you hold first.", severity="warning", markup=False)
            return
        name = context.digest.customer.name if context is not None else row.customer_id

        def chosen(asked: FollowUpAsk | None) -> None:
            if asked is not None:
                self._promise(row.id, asked)

        self.app.push_screen(FollowUpScreen(row.id, name, self.clock), chosen)

    @work(thread=True, group="follow_up", exit_on_error=False)
    def _promise(self, ticket_id: str, asked: FollowUpAsk) -> None:
        assert self.bench is not None
        made = self.bench.follow_ups.promise(
            ticket_id, asked.kind, asked.due, asked.note, team=asked.team
        )
        whose = "the team's queue" if made.owner_id is None else "your queue"
        said = f"{made.label}: back in {whose} {full(made.due_at)}."
        self.app.call_from_thread(self._promised, said)

    def _promised(self, said: str) -> None:
        self.notify(said, markup=False)
        self.context_pane.reload(self.resolution.row)  # the digest lists it

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
            self._back_to_queue()
            self.queue.table.focus()
        elif pane == "context":
            self.query_one(Timeline).focus()
        else:
            self.resolution.composer.text_area.focus()

    def action_escape(self) -> None:
        if not self.context_pane.close_search():
            self._back_to_queue()
            self.queue.table.focus()

    def action_help(self) -> None:
        pane = "queue"
        focused = self.focused
        if focused is not None:
            for node in focused.ancestors_with_self:
                if isinstance(node, (QueuePane, ContextPane, ResolutionPane)):
                    pane = (node.id or "queue-pane").removesuffix("-pane")
                    break
        unavailable = {c.id for c in of_pane(pane) if not self._allowed(c.action)}
        self.app.push_screen(HelpScreen(pane, unavailable))
