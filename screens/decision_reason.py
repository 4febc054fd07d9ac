"""Asks the supervisor why, before a request is approved or denied."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from widgets.approval_rows import describe
from widgets.commands import bindings
from workspace.action_view import ActionRecord
from workspace.text import preview


class DecisionReasonScreen(ModalScreen[str | None]):
    """Asks why, before a request is approved or denied: enter confirms, escape cancels."""

    BINDINGS = bindings("decision_reason")

    DEFAULT_CSS = """
    DecisionReasonScreen { align: center middle; }
    DecisionReasonScreen > Vertical {
        width: 76; max-width: 95%; height: auto; border: thick $primary; background: $surface;
        padding: 0 1;
    }
    DecisionReasonScreen #reason-title { text-style: bold; width: 1fr; }
    DecisionReasonScreen #reason-asked { color: $text-muted; width: 1fr; max-height: 3; }
    DecisionReasonScreen Input { margin-top: 1; }
    DecisionReasonScreen #reason-hint { color: $text-muted; width: 1fr; }
    DecisionReasonScreen #reason-hint.-error { color: $error; }
    """

    def __init__(self, verb: str, record: ActionRecord) -> None:
        super().__init__()
        self.verb = verb
        self.record = record

    def compose(self) -> ComposeResult:
        record = self.record
        with Vertical():
            yield Label(Text(f"{self.verb} #{record.id}: {describe(record)}"), id="reason-title")
            asked = f"{preview(record.agent_name, 40)} asked: {preview(record.reason, 160)}"
            yield Label(Text(asked), id="reason-asked")
            yield Input(placeholder="Why? The agent sees this reason.", max_length=500)
            yield Label(Text("enter confirms · esc cancels"), id="reason-hint")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        reason = event.value.strip()
        if reason:
            self.dismiss(reason)
            return
        hint = self.query_one("#reason-hint", Label)
        hint.update(Text("Give a reason for the decision (esc cancels)."))
        hint.add_class("-error")

    def action_cancel(self) -> None:
        self.dismiss(None)
