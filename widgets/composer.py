"""The reply box: a reply to the customer or an internal note."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Label, TextArea

#: The mode line and the placeholder, for a reply (False) and for an internal note (True).
_MODES = {
    False: ("REPLY · ^s send · ^t note", "Write a reply to the customer…"),
    True: ("NOTE (internal) · ^s save · ^t reply", "Write an internal note for colleagues…"),
}


class Composer(Vertical):
    """Types a reply or a note; posts Submitted, and the screen decides what happens."""

    BINDINGS = [
        Binding("ctrl+s", "submit", "Send", priority=True, id="composer.send"),
        Binding("ctrl+t", "toggle_note", "Reply/Note", priority=True, id="composer.toggle"),
    ]

    DEFAULT_CSS = """
    Composer {
        height: 1fr;
        min-height: 5;
        & > #composer-mode { width: 1fr; padding: 0 1; background: $boost; color: $text-muted; }
        & > TextArea { height: 1fr; padding: 0 1; background: $surface-darken-1; }
        &.note > #composer-mode { color: $accent; text-style: bold; }
        &.note > TextArea { background: $accent 10%; }
    }
    """

    class Submitted(Message):
        """The agent sent the text as a reply (or saved it as a note)."""

        def __init__(self, text: str, note: bool) -> None:
            super().__init__()
            self.text = text
            self.note = note

    note: reactive[bool] = reactive(False)

    def compose(self) -> ComposeResult:
        yield Label("", id="composer-mode")
        yield TextArea(id="composer-text", soft_wrap=True, show_line_numbers=False)

    def on_mount(self) -> None:
        self._describe()

    @property
    def text_area(self) -> TextArea:
        """The text being written."""
        return self.query_one(TextArea)

    def watch_note(self, note: bool) -> None:
        self.set_class(note, "note")
        if self.is_mounted:
            self._describe()

    def _describe(self) -> None:
        line, hint = _MODES[self.note]
        self.query_one("#composer-mode", Label).update(Text(line))
        self.text_area.placeholder = hint

    def action_toggle_note(self) -> None:
        self.note = not self.note

    def action_submit(self) -> None:
        text = self.text_area.text
        if text.strip():
            self.post_message(self.Submitted(text, self.note))

    def clear(self) -> None:
        """Empty the box after the text was stored."""
        self.text_area.clear()
