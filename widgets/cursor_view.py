"""A line-API list with a cursor row, the base of the queue and the timeline."""

from __future__ import annotations

import time
from typing import ClassVar

from textual.reactive import reactive
from textual.scroll_view import ScrollView


class CursorView(ScrollView, can_focus=True):
    """Moves a cursor over `row_count` rows and keeps it on screen; subclasses draw the rows.

    Each subclass declares its own key bindings (their ids are what users remap) on the
    actions here: `cursor(n)`, `page(n)` and `jump(0 or -1)`.
    """

    HEADER_LINES: ClassVar[int] = 0
    """Lines at the top that do not scroll (a column header)."""

    cursor: reactive[int] = reactive(0, init=False)

    moved_at: float = 0.0
    """When a key last moved the cursor (perf_counter): the benchmark measures from here."""

    @property
    def row_count(self) -> int:
        """How many rows the list has."""
        raise NotImplementedError

    @property
    def page_height(self) -> int:
        """How many rows fit on screen."""
        return max(self.size.height - self.HEADER_LINES, 1)

    def select_index(self, index: int) -> None:
        """Put the cursor on row `index` (clamped to the rows there are)."""
        self.cursor = max(0, min(self.row_count - 1, index))

    def action_cursor(self, delta: int) -> None:
        self.moved_at = time.perf_counter()
        self.select_index(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(self.page_height - 1, 1))

    def action_jump(self, where: int) -> None:
        self.select_index(self.row_count - 1 if where < 0 else 0)

    def watch_cursor(self, _old: int, new: int) -> None:
        top = round(self.scroll_y)
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + self.page_height:
            self.scroll_to(y=new - self.page_height + 1, animate=False)
        self.refresh()
        self.cursor_moved(new)

    def cursor_moved(self, index: int) -> None:
        """The cursor is now on row `index` (a subclass that cares overrides this)."""
