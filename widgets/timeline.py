"""The customer's timeline: a line-API list of entries, loaded a page at a time."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip

from widgets.cells import cell
from widgets.commands import bindings
from widgets.cursor_view import CursorView
from workspace.marks import mark_spans
from workspace.text import preview
from workspace.timefmt import when
from workspace.timeline import TimelineKey, TimelineRecord
from workspace.vocabulary import Direction, member

#: Runs of plain white space, folded to one space in a one-line summary.
_SPACES = re.compile(r"[ \t\r\n]+")


class Timeline(CursorView):
    """Every interaction, order event and action, newest first; more load as the cursor nears
    the end. A search's words can be marked in the entries shown."""

    BINDINGS = bindings("timeline")

    COMPONENT_CLASSES = {
        "timeline--cursor",
        "timeline--inbound",
        "timeline--outbound",
        "timeline--internal",
        "timeline--event",
        "timeline--done",
        "timeline--waiting",
        "timeline--refused",
        "timeline--void",
        "timeline--when",
        "timeline--empty",
        "timeline--mark",
    }

    DEFAULT_CSS = """
    Timeline {
        height: 1fr;
        scrollbar-size-vertical: 1;
        overflow-x: hidden;
        & > .timeline--cursor { background: $block-cursor-blurred-background; }
        &:focus > .timeline--cursor {
            background: $block-cursor-background; color: $block-cursor-foreground;
        }
        & > .timeline--inbound { color: $warning; text-style: bold; }
        & > .timeline--outbound { color: $success; }
        & > .timeline--internal { color: $accent; }
        & > .timeline--event { color: $primary; }
        & > .timeline--done { color: $success; }
        & > .timeline--waiting { color: $warning; text-style: bold; }
        & > .timeline--refused { color: $error; text-style: bold; }
        & > .timeline--void { color: $text-muted; }
        & > .timeline--when { color: $text-muted; }
        & > .timeline--empty { color: $text-muted; text-style: italic; }
        & > .timeline--mark { text-style: bold reverse; }
    }
    """

    class Opened(Message):
        """The agent asked for an entry's full text; `marks` are the words marked in it."""

        def __init__(self, entry: TimelineRecord, index: int, marks: tuple[str, ...]) -> None:
            super().__init__()
            self.entry = entry
            self.index = index
            self.marks = marks

    class MoreWanted(Message):
        """The cursor is near the oldest loaded entry and older ones exist."""

        def __init__(self, before: TimelineKey) -> None:
            super().__init__()
            self.before = before

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, Timeline.MoreWanted)

    def __init__(self, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.entries: list[TimelineRecord] = []
        self.has_more = False
        self.empty_text = "No history yet."
        self.marks: tuple[str, ...] = ()
        self.now = datetime.now(UTC)
        self._strips: LRUCache[tuple[object, ...], Strip] = LRUCache(256)
        self._asked: TimelineKey | None = None

    def show(
        self,
        entries: list[TimelineRecord],
        has_more: bool,
        empty_text: str,
        marks: Sequence[str] = (),
    ) -> None:
        """Replace what is shown (a new customer, or search results); `marks` are the words
        to mark in the entries (`workspace.marks.search_marks` of the search), else none."""
        self.entries = list(entries)
        self.has_more = has_more
        self.empty_text = empty_text
        self.marks = tuple(marks)
        self._asked = None
        self._strips.clear()
        self.cursor = 0
        self.scroll_to(y=0, animate=False)
        self.virtual_size = Size(self.size.width, len(self.entries))
        self.refresh()

    def extend(self, entries: list[TimelineRecord], has_more: bool) -> None:
        """Add an older page below what is shown."""
        self.entries.extend(entries)
        self.has_more = has_more
        self._asked = None
        self.virtual_size = Size(self.size.width, len(self.entries))
        self.refresh()

    @property
    def current(self) -> TimelineRecord | None:
        """The entry under the cursor."""
        return self.entries[self.cursor] if 0 <= self.cursor < len(self.entries) else None

    @property
    def row_count(self) -> int:
        return len(self.entries)

    def action_open(self) -> None:
        entry = self.current
        if entry is not None:
            self.post_message(self.Opened(entry, self.cursor, self.marks))

    def cursor_moved(self, index: int) -> None:
        self._maybe_want_more(index)

    def _maybe_want_more(self, index: int) -> None:
        if not self.has_more or not self.entries:
            return
        if index >= len(self.entries) - max(self.size.height, 10):
            last = self.entries[-1].key
            if self._asked != last:
                self._asked = last
                self.post_message(self.MoreWanted(last))

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.entries))
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        index = round(self.scroll_y) + y
        if not self.entries:
            if y == 0:
                style = self.rich_style + self.get_component_rich_style(
                    "timeline--empty", partial=True
                )
                return Strip([cell(f" {self.empty_text}", width, style)], width)
            return Strip.blank(width, self.rich_style)
        if index >= len(self.entries):
            return Strip.blank(width, self.rich_style)
        if index >= len(self.entries) - self.size.height:
            self._maybe_want_more(index)
        entry = self.entries[index]
        is_cursor = index == self.cursor
        key = (entry.key, is_cursor, self.has_focus, width)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._entry_strip(entry, is_cursor, width)
            self._strips[key] = strip
        return strip

    def _entry_strip(self, entry: TimelineRecord, is_cursor: bool, width: int) -> Strip:
        base = self.get_component_rich_style("timeline--cursor") if is_cursor else self.rich_style
        # An action's entry is coloured by where the action stands now, others by direction.
        colour = f"timeline--{entry.tone or entry.direction}"
        dir_style = base + self.get_component_rich_style(colour, partial=True)
        when_style = base + self.get_component_rich_style("timeline--when", partial=True)
        direction = member(Direction, entry.direction)
        if direction is Direction.EVENT:
            # An event's first line says it; the lines after are for the entry in full.
            summary = entry.text.partition("\n")[0]
        elif entry.subject:
            summary = f"{entry.subject}: {entry.text}"
        else:
            summary = entry.text
        if entry.author and direction not in (Direction.INBOUND, Direction.EVENT):
            summary = f"{entry.author}: {summary}"
        label = entry.channel.upper()
        segments = [
            cell(" " + when(entry.at, self.now), 14, when_style),
            cell(label, 7, base),
            cell(direction.label if direction else preview(entry.direction, 6), 6, dir_style),
        ]
        shown = preview(_SPACES.sub(" ", summary[:2000]), 400)
        segments += self._marked(shown, max(width - 27, 4), base)
        return Strip(segments).adjust_cell_length(width, base)

    def _marked(self, text: str, width: int, style: Style) -> list[Segment]:
        """`text` in a cell of `width`, with the words of `marks` in the mark style: the
        spans are found in the text as shown, literal, and cut where the cell cuts it."""
        whole = cell(text, width, style)
        spans = mark_spans(text, self.marks)
        if not spans:
            return [whole]
        mark = style + self.get_component_rich_style("timeline--mark", partial=True)
        fitted = whole.text
        # The cell keeps the text's head and ends in a gap (and `…` when it cut the text):
        # marks stop before either.
        stop = len(fitted) - (2 if fitted.rstrip(" ").endswith("…") else 1)
        segments: list[Segment] = []
        at = 0
        for start, end in spans:
            start, end = min(start, stop), min(end, stop)
            if start >= end:
                break
            if start > at:
                segments.append(Segment(fitted[at:start], style))
            segments.append(Segment(fitted[start:end], mark))
            at = end
        segments.append(Segment(fitted[at:], style))
        return segments
