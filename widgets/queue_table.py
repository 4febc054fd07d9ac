"""The queue: a line-API table over a window of rows fetched a page at a time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip

from widgets.cells import cell, tagged
from widgets.commands import bindings
from widgets.cursor_view import CursorView
from workspace.queue import QueueCells, QueueKey, QueueRow, cells
from workspace.sla import SlaLevel

#: Rows kept in memory at most; the rest are fetched again when scrolled back to.
WINDOW_MAX = 1500

_COLUMNS = (
    ("SLA", 17),
    ("CHAN", 7),
    ("CUSTOMER", 18),
    ("SUBJECT", 0),
    ("TIER", 9),
    ("WAIT", 7),
    ("HELD BY", 12),
    ("VIEWING", 12),
)
#: The time column's title when the rows are closed contacts: how long each was handled.
_HANDLED = "HANDLE"
#: Below this width the tier and the viewing column go, and the holder's column also says who
#: is viewing a contact nobody holds (taking a little of the customer's name).
NARROW = 100
_NARROW_HOLDER = ("HELD/VIEWING", 15)


class QueueTable(CursorView):
    """Contacts in the view's order. Holds only the rows near the viewport; asks for the
    rest."""

    BINDINGS = bindings("queue")

    COMPONENT_CLASSES = {
        "queue-table--header",
        "queue-table--cursor",
        "queue-table--breached",
        "queue-table--at-risk",
        "queue-table--ok",
        "queue-table--paused",
        "queue-table--mine",
        "queue-table--held",
        "queue-table--viewing",
        "queue-table--placeholder",
    }

    DEFAULT_CSS = """
    QueueTable {
        height: 1fr;
        scrollbar-size-vertical: 1;
        overflow-x: hidden;
        & > .queue-table--header { text-style: bold; color: $text-muted; }
        & > .queue-table--cursor { background: $block-cursor-blurred-background; }
        &:focus > .queue-table--cursor {
            background: $block-cursor-background; color: $block-cursor-foreground;
        }
        & > .queue-table--breached { color: $error; text-style: bold; }
        & > .queue-table--at-risk { color: $warning; text-style: bold; }
        & > .queue-table--ok { color: $success; }
        & > .queue-table--paused { color: $text-muted; text-style: italic; }
        & > .queue-table--mine { color: $accent; text-style: bold; }
        & > .queue-table--held { color: $text-muted; }
        & > .queue-table--viewing { color: $warning; }
        & > .queue-table--placeholder { color: $text-disabled; }
    }
    """

    class Highlighted(Message):
        """The cursor rests on a contact (or on none, when the queue is empty)."""

        def __init__(self, row: QueueRow | None, index: int) -> None:
            super().__init__()
            self.row = row
            self.index = index

    class ClaimRequested(Message):
        """The agent asked to claim the contact under the cursor."""

        def __init__(self, row: QueueRow) -> None:
            super().__init__()
            self.row = row

    class RowsWanted(Message):
        """Rows [start, end) are on screen but not loaded."""

        def __init__(self, start: int, end: int) -> None:
            super().__init__()
            self.start = start
            self.end = end

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, QueueTable.RowsWanted)

    HEADER_LINES = 1

    def __init__(self, *, me: int = 0, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.me = me
        self.shows_closed = False
        """The rows are closed contacts: the time column says how long each was handled."""
        self.total = 0
        self.now = datetime.now(UTC)
        self._rows: dict[int, QueueRow] = {}
        self._strips: LRUCache[tuple[object, ...], Strip] = LRUCache(512)
        self._announced: tuple[str | None, int] = (None, -1)

    # -- data pushed down by the screen ------------------------------------------------------

    def reset(self, total: int) -> None:
        """Forget every row: the filter changed or the queue is reloaded from scratch."""
        self._rows.clear()
        self._strips.clear()
        self.total = total
        self.virtual_size = Size(self.size.width, total + 1)
        self.select_index(self.cursor)
        self.refresh()

    def store(self, start: int, rows: list[QueueRow], total: int) -> None:
        """Keep `rows` as rows start.. of a queue that now has `total` contacts."""
        if total != self.total:
            self.total = total
            self.virtual_size = Size(self.size.width, total + 1)
        for offset, row in enumerate(rows):
            self._rows[start + offset] = row
        self._trim()
        self.refresh()
        self._announce()

    def held_ids(self) -> list[str]:
        """The contacts of the rows this table holds (at most `WINDOW_MAX`)."""
        return [row.id for row in self._rows.values()]

    def set_viewers(self, ids: list[str], viewers: dict[str, tuple[str, ...]]) -> None:
        """Who else has each of `ids` open now (the rest: nobody), where still held."""
        asked = set(ids)
        for index, row in self._rows.items():
            if row.id in asked:
                seen = viewers.get(row.id, ())
                if seen != row.viewers:
                    self._rows[index] = replace(row, viewers=seen)  # a new strip key
        self.refresh()

    def set_now(self, now: datetime) -> None:
        """Move the clock the SLA countdowns are shown against."""
        self.now = now
        self.refresh()

    def row_at(self, index: int) -> QueueRow | None:
        """The loaded row at `index`, if loaded."""
        return self._rows.get(index)

    def key_at(self, index: int) -> QueueKey | None:
        """The queue key of the loaded row at `index`, if loaded."""
        row = self._rows.get(index)
        return row.key if row else None

    @property
    def current(self) -> QueueRow | None:
        """The contact under the cursor, if loaded."""
        return self._rows.get(self.cursor)

    def visible_range(self) -> tuple[int, int]:
        """Indexes of the rows on screen, [start, end)."""
        top = round(self.scroll_y)
        return top, min(self.total, top + self.page_height)

    def _trim(self) -> None:
        if len(self._rows) <= WINDOW_MAX:
            return
        centre = self.cursor
        for index in sorted(self._rows, key=lambda i: abs(i - centre), reverse=True):
            if len(self._rows) <= WINDOW_MAX:
                break
            del self._rows[index]

    # -- navigation -----------------------------------------------------------------------

    def action_claim(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.ClaimRequested(row))

    @property
    def row_count(self) -> int:
        return self.total

    def cursor_moved(self, index: int) -> None:
        self._announce()

    def _announce(self) -> None:
        row = self.current
        if self.total == 0:
            if self._announced != (None, 0):
                self._announced = (None, 0)
                self.post_message(self.Highlighted(None, 0))
            return
        if row is None:
            return
        marker = (row.id, row.version)
        if marker != self._announced:
            self._announced = marker
            self.post_message(self.Highlighted(row, self.cursor))

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, self.total + 1)
        self._strips.clear()

    # -- drawing --------------------------------------------------------------------------

    def _widths(self, width: int) -> list[int]:
        widths = [w for _, w in _COLUMNS]
        if width < NARROW:
            widths[4] = 0  # tier goes first on a narrow terminal; the digest shows it
            widths[7] = 0  # and viewers share the holder's column
            widths[6] = _NARROW_HOLDER[1]
            widths[2] -= _NARROW_HOLDER[1] - _COLUMNS[6][1]
        widths[3] = max(width - sum(widths) - 1, 8)
        return widths

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            return self._header(width)
        index = round(self.scroll_y) + y - 1
        if index >= self.total:
            return Strip.blank(width, self.rich_style)
        row = self._rows.get(index)
        if row is None:
            self._want_visible()
            style = self.rich_style + self._overlay("queue-table--placeholder")
            return Strip([cell("  …", width, style)], width)
        info = cells(row, self.now, self.me)
        is_cursor = index == self.cursor
        key = (
            row.id,
            row.version,
            row.viewers,
            info.sla.text,
            info.elapsed,
            is_cursor,
            self.has_focus,
            width,
        )
        cached = self._strips.get(key)
        if cached is not None:
            return cached
        strip = self._row_strip(row, info, is_cursor, width)
        self._strips[key] = strip
        return strip

    def _style(self, name: str) -> Style:
        """A component's full style (its own background over the widget's)."""
        return self.get_component_rich_style(name)

    def _overlay(self, name: str) -> Style:
        """Only what a component's rule sets (colour, weight), to lay over a row's style."""
        return self.get_component_rich_style(name, partial=True)

    def _want_visible(self) -> None:
        start, end = self.visible_range()
        self.post_message(self.RowsWanted(start, end))

    def _header(self, width: int) -> Strip:
        style = self.rich_style + self._overlay("queue-table--header")
        titles = [title for title, _ in _COLUMNS]
        if self.shows_closed:
            titles[5] = _HANDLED
        if width < NARROW:
            titles[6] = _NARROW_HOLDER[0]
        segments = [
            cell(f" {title}" if i == 0 else title, w, style)
            for i, (title, w) in enumerate(zip(titles, self._widths(width), strict=True))
            if w
        ]
        return Strip(segments).adjust_cell_length(width, style)

    def _row_strip(self, row: QueueRow, info: QueueCells, is_cursor: bool, width: int) -> Strip:
        base = self._style("queue-table--cursor") if is_cursor else self.rich_style
        level_class = {
            SlaLevel.BREACHED: "queue-table--breached",
            SlaLevel.AT_RISK: "queue-table--at-risk",
            SlaLevel.OK: "queue-table--ok",
            SlaLevel.PAUSED: "queue-table--paused",
        }.get(info.sla.level)
        sla_style = base
        if level_class:
            # On the cursor row the level's colour would fight the highlight: the text says it.
            sla_style = base + (Style(bold=True) if is_cursor else self._overlay(level_class))
        holder_style = base + self._overlay(
            "queue-table--mine" if info.mine else "queue-table--held"
        )
        viewing_style = base + self._overlay("queue-table--viewing")
        w = self._widths(width)
        more = f" +{info.more_viewers}" if info.more_viewers else ""
        viewing = tagged(info.viewer, more, w[7] - 1) if info.viewer else ""
        holder = (info.holder, holder_style)
        if not w[7] and info.viewer and not info.holder:
            holder = (tagged(info.viewer, f"{more} viewing", w[6] - 1), viewing_style)
        values = [
            (f" {info.sla.text}", sla_style),
            (info.channel.upper(), base),
            (info.customer, base),
            (info.subject, base),
            (info.tier, base),
            (info.elapsed, base),
            holder,
            (viewing, viewing_style),
        ]
        segments: list[Segment] = [
            cell(text, cw, style) for (text, style), cw in zip(values, w, strict=True) if cw
        ]
        return Strip(segments).adjust_cell_length(width, base)
