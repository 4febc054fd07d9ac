"""One panel of the wallboard: a few columns of lines the monitor decided, with a cursor.

A line-API list: every panel is bounded (the most urgent fifty, the team's agents), and a
refresh or a tick of the clock replaces the lines and redraws what is on screen, never
rebuilding widgets per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from textual.binding import BindingType
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip

from widgets.cells import cell
from widgets.commands import bindings
from widgets.cursor_view import CursorView
from workspace.monitor import Line


@dataclass(frozen=True)
class Column:
    """One column of a board."""

    title: str
    """Its header."""
    width: int
    """Cells wide, its gap included; 0: whatever the others leave."""


class Board(CursorView):
    """The lines of one panel; enter asks to open the line's contact read-only."""

    BINDINGS: ClassVar[list[BindingType]] = bindings("board")

    COMPONENT_CLASSES = {
        "board--header",
        "board--cursor",
        "board--breached",
        "board--risk",
        "board--quiet",
        "board--over",
        "board--empty",
    }

    DEFAULT_CSS = """
    Board {
        height: 1fr;
        scrollbar-size-vertical: 1;
        overflow-x: hidden;
        & > .board--header { text-style: bold; color: $text-muted; }
        & > .board--cursor { background: $block-cursor-blurred-background; }
        &:focus > .board--cursor {
            background: $block-cursor-background; color: $block-cursor-foreground;
        }
        & > .board--breached { color: $error; text-style: bold; }
        & > .board--risk { color: $warning; text-style: bold; }
        & > .board--quiet { color: $text-muted; }
        & > .board--over { color: $error; text-style: bold; }
        & > .board--empty { color: $text-disabled; }
    }
    """

    HEADER_LINES = 1

    class Opened(Message):
        """The supervisor asked to see the line's contact (or customer), read-only."""

        def __init__(self, line: Line) -> None:
            super().__init__()
            self.line = line

    def __init__(self, columns: tuple[Column, ...], *, empty: str, id: str | None = None):
        super().__init__(id=id)
        self.columns = columns
        self.empty = empty
        """What the panel says when it has no lines."""
        self.lines: list[Line] = []

    @property
    def row_count(self) -> int:
        return len(self.lines)

    def show(self, lines: list[Line]) -> None:
        """Replace the lines, keeping the cursor on the same key where it still is."""
        keep = self.lines[self.cursor].key if 0 <= self.cursor < len(self.lines) else None
        self.lines = lines
        self.virtual_size = Size(self.size.width, len(lines) + self.HEADER_LINES)
        index = next((i for i, line in enumerate(lines) if line.key == keep), self.cursor)
        self.set_reactive(Board.cursor, max(0, min(index, len(lines) - 1)))
        self.refresh()

    @property
    def current(self) -> Line | None:
        """The line under the cursor."""
        return self.lines[self.cursor] if 0 <= self.cursor < len(self.lines) else None

    def action_open(self) -> None:
        if self.current is not None:
            self.post_message(self.Opened(self.current))

    def _widths(self, width: int) -> list[int]:
        fixed = sum(c.width for c in self.columns)
        growing = [c for c in self.columns if c.width == 0]
        share = max(width - fixed, 0) // max(len(growing), 1)
        return [c.width or share for c in self.columns]

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        style = self.rich_style
        if y == 0:
            header = style + self.get_component_rich_style("board--header")
            segments = [
                cell(c.title, w, header)
                for c, w in zip(self.columns, self._widths(width), strict=True)
            ]
            return Strip(segments).crop_extend(0, width, style)
        index = round(self.scroll_y) + y - self.HEADER_LINES
        if not self.lines:
            if index == 0:
                empty = style + self.get_component_rich_style("board--empty")
                return Strip([Segment(self.empty, empty)]).crop_extend(0, width, style)
            return Strip.blank(width, style)
        if index >= len(self.lines):
            return Strip.blank(width, style)
        line = self.lines[index]
        tone = style
        if line.tone:
            tone += self.get_component_rich_style(f"board--{line.tone}")
        if index == self.cursor:
            tone += self.get_component_rich_style("board--cursor")
        segments = [
            cell(text, w, tone) for text, w in zip(line.cells, self._widths(width), strict=False)
        ]
        return Strip(segments).crop_extend(0, width, tone)

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.lines) + self.HEADER_LINES)
