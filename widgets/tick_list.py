"""A list of options to tick, whose boxes read `[x]` and `[ ]`: not by colour alone."""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import SelectionList
from textual.widgets.option_list import OptionDoesNotExist
from textual.widgets.selection_list import SelectionType


class TickList(SelectionList[SelectionType]):
    """A SelectionList whose ticked and unticked boxes differ in shape, not only in colour.

    Textual draws `▐X▌` for both and tells them apart by colour, which an agent who does not
    see colour, or a monochrome terminal, cannot. The boxes keep the three cells of
    Textual's, so the list's gutter and mouse targets are unchanged.
    """

    TICKED: ClassVar[str] = "[x]"
    """The box of a ticked option."""
    UNTICKED: ClassVar[str] = "[ ]"
    """The box of an option not ticked."""

    DEFAULT_CSS = """
    TickList {
        & > .selection-list--button,
        & > .selection-list--button-highlighted {
            color: $text-muted;
            background: $panel;
        }

        & > .selection-list--button-selected,
        & > .selection-list--button-selected-highlighted {
            color: $text-success;
            background: $panel;
            text-style: bold;
        }
    }
    """

    def render_line(self, y: int) -> Strip:
        line = super().render_line(y)
        try:
            selection = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return line
        box = self.TICKED if selection.value in self.selected else self.UNTICKED
        # SelectionList draws its box as the first three segments, the middle one in the
        # box's own style (with the option's index, for the mouse): redraw them in that.
        segments = list(line)
        style = segments[1].style
        return Strip([*(Segment(ch, style) for ch in box), *segments[3:]])
