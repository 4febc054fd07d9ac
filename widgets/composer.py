"""The reply box: a reply to the customer or an internal note."""

from __future__ import annotations

import uuid

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Label, TextArea

from widgets.commands import bindings
from workspace.text import sanitize

#: The mode line and the placeholder, for a reply (False) and for an internal note (True).
_MODES = {
    False: (
        "REPLY · {send} send · {toggle} note · {saved} saved",
        "Write a reply to the customer…",
    ),
    True: (
        "NOTE (internal) · {send} save · {toggle} reply · {saved} saved",
        "Write an internal note for colleagues…",
    ),
}


class Composer(Vertical):
    """Types a reply or a note; posts Submitted, and the screen decides what happens."""

    BINDINGS = bindings("composer")

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
        """The agent sent the draft of `ticket_id` as a reply (or saved it as a note)."""

        def __init__(self, ticket_id: str | None, text: str, note: bool, key: str) -> None:
            super().__init__()
            self.ticket_id = ticket_id
            self.text = text
            self.note = note
            self.key = key
            """The draft's idempotency key: the same draft sent twice is stored once."""

    class SavedReplyWanted(Message):
        """The agent asked for a saved reply for `ticket_id`; the screen offers the choice."""

        def __init__(self, ticket_id: str | None) -> None:
            super().__init__()
            self.ticket_id = ticket_id

    note: reactive[bool] = reactive(False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ticket_id: str | None = None
        self.sending = False
        self.keys = {"send": "^s", "toggle": "^t", "saved": "^r"}
        """How the keys of the hints are shown (the screen sets them from the keymap)."""
        self._drafts: dict[str | None, tuple[str, str]] = {}
        self._key = uuid.uuid4().hex

    def compose(self) -> ComposeResult:
        yield Label("", id="composer-mode")
        yield TextArea(id="composer-text", soft_wrap=True, show_line_numbers=False)

    def on_mount(self) -> None:
        self._describe()

    @property
    def text_area(self) -> TextArea:
        """The text being written."""
        return self.query_one(TextArea)

    def bind(self, ticket_id: str | None) -> None:
        """Write for `ticket_id` from now on, keeping each contact's draft apart.

        Text typed before any contact was bound (say, while a claim completes) goes to the
        first contact bound, unless that contact already has a draft.
        """
        if ticket_id == self.ticket_id:
            return
        text = self.text_area.text
        if self.ticket_id is not None:
            if text:
                self._drafts[self.ticket_id] = (text, self._key)
            else:
                self._drafts.pop(self.ticket_id, None)
            text = ""
        self.ticket_id = ticket_id
        text, self._key = self._drafts.pop(ticket_id, (text, uuid.uuid4().hex))
        self.text_area.load_text(text)
        self.text_area.move_cursor(self.text_area.document.end)

    def set_keys(self, send: str, toggle: str, saved: str = "^r") -> None:
        """Name the keys that send, switch and insert a saved reply, after the user's remapping."""
        self.keys = {"send": send, "toggle": toggle, "saved": saved}
        self._describe()

    def watch_note(self, note: bool) -> None:
        self.set_class(note, "note")
        if self.is_mounted:
            self._describe()

    def _describe(self) -> None:
        line, hint = _MODES[self.note]
        self.query_one("#composer-mode", Label).update(Text(line.format(**self.keys)))
        self.text_area.placeholder = hint

    def action_toggle_note(self) -> None:
        self.note = not self.note

    def insert_text(self, text: str) -> None:
        """Put `text` at the cursor, replacing any selection; it becomes part of the draft.

        The text area writes what it holds to the terminal byte for byte, and inserted text
        can carry customer data (a saved reply holds the customer's name), so it is
        sanitised on the way in.
        """
        area = self.text_area
        area.replace(sanitize(text), *area.selection, maintain_selection_offset=False)

    def action_saved_reply(self) -> None:
        self.post_message(self.SavedReplyWanted(self.ticket_id))

    def action_submit(self) -> None:
        text = self.text_area.text
        if text.strip() and not self.sending:
            self.sending = True
            self.post_message(self.Submitted(self.ticket_id, text, self.note, self._key))

    def sent(self, ticket_id: str) -> None:
        """The draft of `ticket_id` is stored: forget it and start a new one."""
        self.sending = False
        if ticket_id == self.ticket_id:
            self.text_area.clear()
            self._key = uuid.uuid4().hex
        else:
            self._drafts.pop(ticket_id, None)

    def failed(self) -> None:
        """The send did not happen: keep the draft, with its key, for another try."""
        self.sending = False
