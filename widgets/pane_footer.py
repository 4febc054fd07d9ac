"""The workspace's footer: the keys of the focused pane, most needed first, as many as fit."""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.dom import DOMNode
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from widgets.commands import FOOTER, FOOTER_ALWAYS

#: Cells around a key and its description (Textual's FooterKey pads the key by one on each
#: side and the description by one after it).
_PADDING = 3

#: Cells the palette's key takes at the right edge, with its border and padding.
_PALETTE = 14


def focused_pane(focused: DOMNode | None) -> str:
    """The workspace pane that holds `focused` (`queue`, `context` or `resolution`), by the
    pane's id, so this widget needs nothing from the screens above it."""
    node = focused
    while node is not None:
        if node.id is not None and node.id.endswith("-pane"):
            pane = node.id.removesuffix("-pane")
            if pane in FOOTER:
                return pane
        node = node.parent
    return "queue"


class PaneFooter(Footer):
    """Textual's Footer, choosing its keys by the focused pane (`FOOTER`) instead of showing
    every binding in declaration order, which cut the keys an agent needs at 80 and at 120
    columns. Help always shows, last; keys are dropped from the end of the pane's list
    until the rest fit."""

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        active = self.screen.active_bindings
        first: dict[str, tuple[Binding, bool, str]] = {}
        for _node, binding, enabled, tooltip in active.values():
            if binding.id is not None and binding.id not in first:
                first[binding.id] = (binding, enabled, tooltip)
        wanted = [i for i in FOOTER[focused_pane(self.screen.focused)] if i in first]
        always = [FOOTER_ALWAYS] if FOOTER_ALWAYS in first else []
        room = self.size.width - _PALETTE - sum(self._width(first[i][0]) for i in always)
        shown: list[str] = []
        for binding_id in wanted:
            width = self._width(first[binding_id][0])
            if width <= room:
                shown.append(binding_id)
                room -= width
        for binding_id in shown + always:
            binding, enabled, tooltip = first[binding_id]
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip,
            ).data_bind(compact=Footer.compact)
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE and palette:
            _node, binding, enabled, _tooltip = palette
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                classes="-command-palette",
                disabled=not enabled,
                tooltip=binding.tooltip or binding.description,
            )

    def _width(self, binding: Binding) -> int:
        key = self.app.get_key_display(binding)
        return cell_len(key) + cell_len(binding.description) + _PADDING

    def on_resize(self, _event: events.Resize) -> None:
        if self._bindings_ready:  # what fits changed
            self.call_after_refresh(self.recompose)
