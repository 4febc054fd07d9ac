"""Asks how a contact ends before it is closed."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from widgets.commands import bindings
from workspace.text import one_line
from workspace.vocabulary import Disposition


class DispositionScreen(ModalScreen[str | None]):
    """A short list; enter picks, escape cancels."""

    BINDINGS = bindings("disposition")

    DEFAULT_CSS = """
    DispositionScreen { align: center middle; }
    DispositionScreen > Vertical {
        width: 64; max-width: 95%; height: auto; border: thick $primary; background: $surface;
    }
    DispositionScreen Label { padding: 0 1; text-style: bold; }
    DispositionScreen OptionList { height: auto; border: none; }
    """

    def __init__(self, ticket_id: str) -> None:
        super().__init__()
        self.ticket_id = ticket_id

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(f"Close {one_line(self.ticket_id)} as…"))
            yield OptionList(*(Option(Text(d.label), id=d.value) for d in Disposition))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
