"""Picks a saved reply, filled in for this contact, to insert into the reply box."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from widgets.commands import bindings
from workspace.replies import ReplyFacts, SavedReply, fill
from workspace.text import sanitize

#: How many replies have a number key of their own.
_NUMBERED = 9


class SavedRepliesScreen(ModalScreen[str | None]):
    """The replies by title, with the highlighted one filled in below; enter or 1-9 picks."""

    BINDINGS = bindings("saved_replies")

    DEFAULT_CSS = """
    SavedRepliesScreen { align: center middle; }
    SavedRepliesScreen > Vertical {
        width: 72; max-width: 95%; height: auto; max-height: 95%;
        border: thick $primary; background: $surface;
    }
    SavedRepliesScreen #saved-title { padding: 0 1; text-style: bold; }
    SavedRepliesScreen OptionList { height: auto; max-height: 9; border: none; }
    SavedRepliesScreen #saved-preview {
        height: auto; max-height: 8; margin: 1 1 0 1; padding: 0 1; background: $boost;
    }
    SavedRepliesScreen #saved-hint { margin-top: 1; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, replies: Sequence[SavedReply], facts: ReplyFacts) -> None:
        super().__init__()
        self.replies = tuple(replies)
        self.facts = facts
        self._filled = [fill(reply, facts) for reply in self.replies]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text("Insert a saved reply"), id="saved-title")
            yield OptionList(
                *(
                    Option(self._prompt(index, reply), id=reply.key)
                    for index, reply in enumerate(self.replies)
                )
            )
            yield Static(Text("No saved replies."), id="saved-preview", markup=False)
            yield Label(Text("enter inserts · 1-9 picks · esc cancels"), id="saved-hint")

    def on_mount(self) -> None:
        if self.replies:
            self.query_one(OptionList).highlighted = 0

    @staticmethod
    def _prompt(index: int, reply: SavedReply) -> Text:
        number = str(index + 1) if index < _NUMBERED else " "
        return Text.assemble((f"{number} ", "bold"), reply.title)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        # Customer text: sanitised, and never read as markup.
        preview = Text(sanitize(self._filled[event.option_index]))
        self.query_one("#saved-preview", Static).update(preview)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self._filled[event.option_index])

    def action_pick(self, index: int) -> None:
        if index < len(self._filled):
            self.dismiss(self._filled[index])

    def action_cancel(self) -> None:
        self.dismiss(None)
