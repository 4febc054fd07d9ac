"""Fixed-width cells for line-API widgets: text fitted by terminal cells, never markup."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style


def fit(text: str, width: int) -> str:
    """`text` cut or padded to exactly `width` cells, with `…` where it was cut."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


def tagged(text: str, tag: str, width: int) -> str:
    """`text` then `tag` in `width` cells, cutting the text (with `…`) rather than the tag."""
    room = width - cell_len(tag)
    if room < 2 or cell_len(text) <= room:
        return text + tag
    return set_cell_size(text, room - 1).rstrip() + "…" + tag


def cell(text: str, width: int, style: Style | None = None) -> Segment:
    """A segment of exactly `width` cells, the last one a gap before the next column."""
    if width <= 1:
        return Segment(" " * max(width, 0), style)
    return Segment(fit(text, width - 1) + " ", style)
