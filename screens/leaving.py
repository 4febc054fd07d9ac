"""Asks an agent who quits holding contacts whether to keep them or hand them back."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from widgets.commands import bindings
from workspace.text import one_line

KEEP = "keep"
RELEASE = "release"


class LeavingScreen(ModalScreen[str | None]):
    """Keep, release, or stay (escape); dismissed with KEEP, RELEASE or None."""

    BINDINGS = bindings("quit")

    DEFAULT_CSS = """
    LeavingScreen { align: center middle; }
    LeavingScreen > Vertical {
        width: 72; max-width: 95%; height: auto; border: thick $warning; background: $surface;
    }
    LeavingScreen Label { padding: 0 1; width: 1fr; }
    LeavingScreen OptionList { height: auto; border: none; }
    """

    def __init__(self, held: list[str]) -> None:
        super().__init__()
        self.held = held

    def compose(self) -> ComposeResult:
        shown = ", ".join(one_line(t) for t in self.held[:5])
        more = f" and {len(self.held) - 5} more" if len(self.held) > 5 else ""
        count = f"{len(self.held)} contact{'s' if len(self.held) != 1 else ''}"
        with Vertical():
            yield Label(Text(f"You hold {count}: {shown}{more}.", style="bold"))
            yield OptionList(
                Option(Text("Release them: back to the queue for a colleague"), id=RELEASE),
                Option(Text("Keep them: they stay yours until you come back"), id=KEEP),
                Option(Text("Stay in the workspace"), id="stay"),
            )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(None if event.option.id == "stay" else event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
