"""Asks a supervisor who should have a contact."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from widgets.commands import bindings
from workspace.queue import QueueRow
from workspace.text import one_line, preview


class AssignScreen(ModalScreen[str | None]):
    """A login name: enter gives the contact to them (empty: back to the queue); escape
    cancels. The name is checked when the move is made, and a wrong one is told there."""

    BINDINGS = bindings("assign")

    DEFAULT_CSS = """
    AssignScreen { align: center middle; }
    AssignScreen > Vertical {
        width: 76; max-width: 95%; height: auto; border: thick $primary; background: $surface;
        padding: 0 1;
    }
    AssignScreen #assign-title { text-style: bold; width: 1fr; }
    AssignScreen #assign-held { color: $text-muted; width: 1fr; }
    AssignScreen Input { margin-top: 1; }
    AssignScreen #assign-hint { color: $text-muted; width: 1fr; }
    """

    def __init__(self, row: QueueRow) -> None:
        super().__init__()
        self.row = row

    def compose(self) -> ComposeResult:
        row = self.row
        with Vertical():
            yield Label(
                Text(f"Give {one_line(row.id)} ({preview(row.subject, 40)}) to…"),
                id="assign-title",
            )
            held = f"Held by {one_line(row.holder_name)}" if row.holder_name else "Unclaimed"
            yield Label(Text(held), id="assign-held")
            yield Input(placeholder="the agent's login name (empty: back to the queue)")
            yield Label(Text("enter gives it · esc cancels"), id="assign-hint")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
