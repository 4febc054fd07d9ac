"""The customer context pane: the digest, and the timeline with its search."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Protocol

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Input

from screens.entry import EntryScreen
from screens.pane import Pane
from widgets.digest import CustomerDigest
from widgets.timeline import Timeline
from workspace.context import CustomerContext
from workspace.marks import search_marks
from workspace.queue import QueueRow
from workspace.text import count, one_line
from workspace.timeline import TimelineKey, TimelineRecord


class ContextSource(Protocol):
    """What the pane reads a customer through: the workspace's and the monitor's `Reading`."""

    def customer_context(self, customer_id: str, contact: QueueRow | None) -> CustomerContext:
        """The digest and first timeline page."""
        ...

    def timeline_page(
        self, customer_id: str, before: TimelineKey
    ) -> tuple[list[TimelineRecord], bool]:
        """The next older page, and whether more remain."""
        ...

    def search_history(self, customer_id: str, query: str) -> list[TimelineRecord]:
        """The interactions matching a search."""
        ...


Viewers = Callable[[Iterable[str]], dict[str, tuple[str, ...]]]
"""Who has each of these contacts open, by contact (names, oldest first)."""


class ContextPane(Pane):
    """Shows the customer of the contact under the queue's cursor.

    It only reads: through the agent's `bench` in the workspace, or through a source and a
    viewers lookup handed to `read_through` (the supervisor's monitor, which has no bench).

    The timeline is replaced when the customer changes, a search runs, or the search is
    closed; older pages and search results meant for a replaced timeline carry an older
    generation (`_generation`) and are dropped.
    """

    BACKGROUND = frozenset({"context", "timeline", "viewers"})

    def __init__(self, *, clock: Callable[[], datetime]) -> None:
        super().__init__(id="context-pane", clock=clock)
        self.context: CustomerContext | None = None
        self._wanted: str | None = None
        self._generation = 0
        self._ticket: str | None = None
        self.found: str | None = None
        """The customer shown because the agent looked them up, not the queue's."""
        self.shown: tuple[str, float] | None = None
        """The customer last shown in full, and when (perf_counter): for the benchmark."""
        self._source: ContextSource | None = None
        self._viewers: Viewers | None = None
        self._offered: CustomerContext | None = None
        """A customer read ahead, until the first contact is shown."""

    def read_through(self, source: ContextSource, viewers: Viewers) -> None:
        """Read customers through `source` and who views a contact through `viewers`,
        instead of an agent's bench."""
        self._source = source
        self._viewers = viewers

    @property
    def source(self) -> ContextSource:
        """What customers are read through (only once the database is open)."""
        if self._source is not None:
            return self._source
        assert self.bench is not None
        return self.bench.reading

    def viewers_of(self, ticket_ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Who else has these contacts open."""
        if self._viewers is not None:
            return self._viewers(ticket_ids)
        assert self.bench is not None
        return self.bench.presence.viewers(ticket_ids)

    def compose(self) -> ComposeResult:
        yield CustomerDigest(id="digest")
        yield Input(
            placeholder="Search history: words; refu* for a prefix",
            id="search",
        )
        yield Timeline(id="timeline")

    def on_mount(self) -> None:
        self.border_title = "Customer"
        self.placeholder("Opening the database…")

    @property
    def search_box(self) -> Input:
        """The history search field (hidden until `/`)."""
        return self.query_one("#search", Input)

    def placeholder(self, message: str) -> None:
        """Show a message instead of a customer."""
        self.context = None
        self._generation += 1
        self.query_one(CustomerDigest).show_placeholder(message)
        self.query_one(Timeline).show([], False, "")
        self.border_title = "Customer"

    def offer(self, context: CustomerContext) -> None:
        """A customer read ahead (by the boot): shown at once if the first contact is theirs,
        instead of read again."""
        self._offered = context

    def show_contact(self, row: QueueRow | None) -> None:
        """Load the customer of `row`, unless they are already shown."""
        offered, self._offered = self._offered, None
        was_found = self.found is not None
        self.found = None
        self._wanted = row.customer_id if row is not None else None
        self._ticket = row.id if row is not None else None
        self.border_subtitle = ""
        if row is None:
            self.placeholder("No contacts match this filter.")
        elif (
            was_found or self.context is None or self.context.digest.customer.id != row.customer_id
        ):
            if offered is not None and offered.ticket_id == row.id:
                self._loaded(row.customer_id, offered)
                return
            self.query_one(CustomerDigest).show_placeholder("Loading customer…")
            self.load(row.customer_id, row)

    def show_customer(self, customer_id: str, new_contact_key: str) -> None:
        """Load a customer the agent looked up: no contact of the queue is theirs here, and
        the border says which key starts one."""
        self.found = customer_id
        self._wanted = customer_id
        self._ticket = None
        self.border_subtitle = f"found · {new_contact_key} starts a contact for them"
        self.query_one(CustomerDigest).show_placeholder("Loading customer…")
        self.load(customer_id, None)

    def show_customer_only(self, customer_id: str, why: str) -> None:
        """Load a customer without a contact of theirs; the border says `why`."""
        self.found = customer_id
        self._wanted = customer_id
        self._ticket = None
        self.border_subtitle = why
        self.query_one(CustomerDigest).show_placeholder("Loading customer…")
        self.load(customer_id, None)

    def reload(self, row: QueueRow | None) -> None:
        """Load the customer again, if still shown (something was added to their history);
        a looked-up customer (`row` None) is loaded again whatever the queue shows."""
        if row is None:
            if self.found is not None:
                self.load(self.found, None)
        elif self.found is None and row.customer_id == self._wanted:
            self.load(row.customer_id, row)

    @work(thread=True, exclusive=True, group="context", exit_on_error=False)
    def load(self, customer_id: str, row: QueueRow | None) -> None:
        context = self.source.customer_context(customer_id, row)
        self.app.call_from_thread(self._loaded, customer_id, context)

    def _loaded(self, customer_id: str, context: CustomerContext) -> None:
        if customer_id != self._wanted:
            return  # the selection moved on while this loaded
        self.context = context
        self.query_one(CustomerDigest).show(context.digest, self.clock())
        self.search_box.value = ""
        self.search_box.remove_class("visible")
        self._show_history()
        self.shown = (customer_id, time.perf_counter())

    def _show(
        self, entries: list[TimelineRecord], more: bool, empty: str, marks: Sequence[str] = ()
    ) -> None:
        self._generation += 1
        timeline = self.query_one(Timeline)
        timeline.now = self.clock()
        timeline.show(entries, more, empty, marks=marks)

    def _show_history(self) -> None:
        if self.context is not None:
            self._show(list(self.context.timeline), self.context.has_more, "No history yet.")
            self.border_title = (
                f"Customer · {count(self.context.digest.interactions, 'interaction')}"
            )

    @work(thread=True, exclusive=True, group="viewers", exit_on_error=False)
    def load_viewers(self, ticket_id: str) -> None:
        """Say who else has this contact open, so two agents never answer one customer."""
        names = self.viewers_of([ticket_id]).get(ticket_id, ())
        self.app.call_from_thread(self._viewers_loaded, ticket_id, names)

    def _viewers_loaded(self, ticket_id: str, names: tuple[str, ...]) -> None:
        if ticket_id != self._ticket:
            return  # the selection moved on while this loaded
        if not names:
            self.border_subtitle = ""
            return
        who = ", ".join(one_line(n) for n in names)
        verb = "is" if len(names) == 1 else "are"
        self.border_subtitle = f"{who} {verb} viewing {one_line(ticket_id)}"

    @on(Timeline.MoreWanted)
    def _more_wanted(self, event: Timeline.MoreWanted) -> None:
        if self.context is not None:
            self.load_more(self.context.digest.customer.id, event.before, self._generation)

    @work(thread=True, exclusive=True, group="timeline", exit_on_error=False)
    def load_more(self, customer_id: str, before: TimelineKey, generation: int) -> None:
        entries, more = self.source.timeline_page(customer_id, before)
        self.app.call_from_thread(self._more_loaded, generation, entries, more)

    def _more_loaded(self, generation: int, entries: list[TimelineRecord], more: bool) -> None:
        if generation == self._generation:
            self.query_one(Timeline).extend(entries, more)

    @on(Timeline.Opened)
    def _open_entry(self, event: Timeline.Opened) -> None:
        self.app.push_screen(EntryScreen(event.entry, event.marks))

    # -- search ------------------------------------------------------------------------------

    def open_search(self) -> None:
        """Show the search field and put the cursor in it."""
        if self.context is None:
            self.tell("Select a contact first.", severity="warning")
            return
        self.search_box.add_class("visible")
        self.search_box.focus()

    def close_search(self) -> bool:
        """Hide the search and show the whole history again; False if it was not open."""
        if not self.search_box.has_class("visible"):
            return False
        self.search_box.remove_class("visible")
        self._show_history()
        self.query_one(Timeline).focus()
        return True

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        query = event.value.strip()
        if self.context is None:
            return
        if not query:
            self._show_history()
            return
        self.search(self.context.digest.customer.id, query, self._generation)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def search(self, customer_id: str, query: str, generation: int) -> None:
        found = self.source.search_history(customer_id, query)
        self.app.call_from_thread(self._searched, generation, query, found)

    def _searched(self, generation: int, query: str, found: list[TimelineRecord]) -> None:
        if generation != self._generation:
            return
        empty = f"Nothing in this history matches {one_line(query)!r}."
        self._show(found, False, empty, marks=search_marks(query))
        self.border_title = f"Customer · {count(len(found), 'match', 'matches')} for the search"
        self.query_one(Timeline).focus()
