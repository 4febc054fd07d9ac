"""The queue pane: contacts in SLA order (closed ones newest first), paged from the database
as the agent moves."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.reactive import reactive

from screens.pane import Pane
from widgets.queue_table import QueueTable
from workspace.queue import (
    CLOSED_SHOWN,
    PAGE,
    PageRequest,
    QueueFilter,
    QueueRow,
    describe,
    next_channel,
    next_status,
    plan_page,
    seen_by,
    toggle_mine,
)
from workspace.text import count, one_line

if TYPE_CHECKING:  # the database layers load in the boot worker
    from workspace.boot import FirstLook


class QueuePane(Pane):
    """Owns the queue's filter, paging and claims.

    Pages arriving after the queue was reloaded belong to an older generation
    (`_generation`) and are dropped instead of being drawn at shifted rows. Each page comes
    with who else has its contacts open (one query a page); a colleague opening or leaving
    a contact, or a silent workspace lapsing, reaches the feed and reloads the page.
    """

    class ContactChanged(Message):
        """The contact under the cursor changed (or changed state), or there is none."""

        def __init__(self, row: QueueRow | None) -> None:
            super().__init__()
            self.row = row

    class Claimed(Message):
        """The agent now holds `row`."""

        def __init__(self, row: QueueRow) -> None:
            super().__init__()
            self.row = row

    queue_filter: reactive[QueueFilter] = reactive(QueueFilter, init=False)

    BACKGROUND = frozenset({"queue", "queue-page"})

    def __init__(self, *, clock: Callable[[], datetime]) -> None:
        super().__init__(id="queue-pane", clock=clock)
        self._generation = 0

    def compose(self) -> ComposeResult:
        yield QueueTable(id="queue")

    @property
    def table(self) -> QueueTable:
        """The queue's table."""
        return self.query_one(QueueTable)

    def on_mount(self) -> None:
        self.border_title = "Queue"
        self.border_subtitle = "loading…"

    def start(self, first: FirstLook | None = None) -> None:
        """The bench is ready: show the queue (the rows the boot read, if they are of this
        view; else load them) and keep it current."""
        assert self.bench is not None
        self.table.me = self.bench.agent.id
        self.table.set_now(self.clock())
        self.set_interval(1.0, lambda: self.table.set_now(self.clock()))
        if first is not None and first.flt == self.queue_filter:
            self._loaded(first.flt, first.total, 0, first.rows, 0, self.table.cursor)
        else:
            self.reload()

    # -- filters -----------------------------------------------------------------------------

    def watch_queue_filter(self, _old: QueueFilter, _new: QueueFilter) -> None:
        self.table.select_index(0)
        self.reload()

    def cycle_channel(self) -> None:
        """Show the next channel (all, chat, email, call, social, sms)."""
        self.queue_filter = replace(
            self.queue_filter, channel=next_channel(self.queue_filter.channel)
        )

    def cycle_status(self) -> None:
        """Show the next status (active, pending, escalated for those who work it, resolved)."""
        escalation = self.bench is not None and self.bench.desk.sees_escalation
        status = next_status(self.queue_filter.status, escalation=escalation)
        self.queue_filter = replace(self.queue_filter, status=status)

    def toggle_mine(self) -> None:
        """Show only my contacts, or everyone's again."""
        if self.bench is not None:
            self.queue_filter = toggle_mine(self.queue_filter, self.bench.agent.id)

    # -- loading -----------------------------------------------------------------------------

    def reload(self, keep: QueueRow | None = None) -> None:
        """Count the queue and load the page around the cursor (or around `keep`)."""
        if self.bench is not None:
            self.load(self.queue_filter, keep, self.table.cursor, self.table.size.height)

    @work(thread=True, exclusive=True, group="queue", exit_on_error=False)
    def load(self, flt: QueueFilter, keep: QueueRow | None, cursor: int, height: int) -> None:
        assert self.bench is not None
        reading = self.bench.reading
        total = reading.queue_count(flt)
        index = reading.queue_position(flt, keep.key) if keep is not None else cursor
        index = max(0, min(index, total - 1))
        start = max(0, index - PAGE // 2)
        rows = self._with_viewers(reading.queue_page(flt, offset=start, limit=PAGE + height))
        self.app.call_from_thread(self._loaded, flt, total, start, rows, index, cursor)

    def _loaded(
        self,
        flt: QueueFilter,
        total: int,
        start: int,
        rows: list[QueueRow],
        index: int,
        asked_at: int,
    ) -> None:
        if flt != self.queue_filter:
            return
        self._generation += 1
        table = self.table
        if table.cursor != asked_at:
            # The agent moved while the queue was being read: stay on the row they chose
            # (where it is now, if this page holds it), not the one the reload started from.
            chosen = table.current
            at = next((n for n, r in enumerate(rows) if chosen and r.id == chosen.id), None)
            index = start + at if at is not None else table.cursor
        table.shows_closed = flt.closed
        table.reset(total)
        table.store(start, rows, total)
        table.select_index(index)
        self.border_title = f"Queue · {describe(flt)}"
        if flt.closed and total >= CLOSED_SHOWN:
            self.border_subtitle = f"the newest {count(total, 'contact')}"
        else:
            self.border_subtitle = count(total, "contact")

    @on(QueueTable.RowsWanted)
    def _rows_wanted(self, event: QueueTable.RowsWanted) -> None:
        table = self.table
        # Fetch a little beyond what is on screen so scrolling on finds rows ready.
        start, end = event.start - PAGE // 4, event.end + PAGE // 2
        request = plan_page(start, end, table.total, table.key_at)
        self.fetch(self.queue_filter, request, self._generation)

    @work(thread=True, exclusive=True, group="queue-page", exit_on_error=False)
    def fetch(self, flt: QueueFilter, request: PageRequest, generation: int) -> None:
        assert self.bench is not None
        rows = self.bench.reading.queue_page(
            flt,
            after=request.after,
            before=request.before,
            offset=request.start if request.after is None else None,
            limit=request.limit,
        )
        rows = self._with_viewers(rows)
        first = request.start
        if request.before is not None:
            first = request.start + request.limit - len(rows)
        self.app.call_from_thread(self._fetched, generation, first, rows)

    def refresh_viewers(self) -> None:
        """Ask again who has each of the rows the queue holds open (someone opened or left
        a contact): one query for the loaded rows, not a reload of the queue."""
        if self.bench is not None:
            self.fetch_viewers(self.table.held_ids(), self._generation)

    @work(thread=True, exclusive=True, group="queue-viewers", exit_on_error=False)
    def fetch_viewers(self, ids: list[str], generation: int) -> None:
        assert self.bench is not None
        viewers = self.bench.presence.viewers(ids)
        self.app.call_from_thread(self._viewers_fetched, generation, ids, viewers)

    def _viewers_fetched(
        self, generation: int, ids: list[str], viewers: dict[str, tuple[str, ...]]
    ) -> None:
        if generation == self._generation:
            self.table.set_viewers(ids, viewers)

    def _with_viewers(self, rows: list[QueueRow]) -> list[QueueRow]:
        """`rows` with who else has each open: one query a page, in the page's worker."""
        assert self.bench is not None
        return seen_by(rows, self.bench.presence.viewers(row.id for row in rows))

    def _fetched(self, generation: int, start: int, rows: list[QueueRow]) -> None:
        if generation == self._generation:
            self.table.store(start, rows, self.table.total)

    @on(QueueTable.Highlighted)
    def _highlighted(self, event: QueueTable.Highlighted) -> None:
        event.stop()
        self.post_message(self.ContactChanged(event.row))

    # -- claims ------------------------------------------------------------------------------

    @on(QueueTable.ClaimRequested)
    def _claim_requested(self, event: QueueTable.ClaimRequested) -> None:
        event.stop()
        self.claim(event.row)

    @work(thread=True, group="claim", exit_on_error=False)
    def claim(self, row: QueueRow) -> None:
        assert self.bench is not None
        outcome = self.bench.desk.claim(row.id)
        self.app.call_from_thread(self._claimed, row, outcome.claimed, outcome.reason)

    def _claimed(self, row: QueueRow, claimed: bool, reason: str) -> None:
        if claimed:
            self.tell(f"{one_line(row.id)} is yours ({reason}).")
            self.post_message(self.Claimed(row))
        else:
            sentence = one_line(reason[:1].upper() + reason[1:] + ".")
            self.tell(sentence, severity="warning", title="Cannot claim")
        self.reload(keep=row)

    @work(thread=True, exclusive=True, group="next", exit_on_error=False)
    def claim_next(self) -> None:
        """Claim the most urgent contact nobody holds, in this view's channel and status."""
        if self.bench is None:
            return
        row = self.bench.desk.claim_next(replace(self.queue_filter, agent_id=None))
        if row is None:
            self.app.call_from_thread(self.tell, "No unclaimed contact waits in this view.")
        else:
            self.app.call_from_thread(self._claimed, row, True, "next in the queue")
