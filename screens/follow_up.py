"""Asks what was promised to the customer and when, to make it a follow-up that comes back
to the agent's queue when due."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, OptionList
from textual.widgets.option_list import Option

from widgets.commands import bindings
from workspace.due import FollowUpInputError, parse_due
from workspace.text import one_line
from workspace.timefmt import full
from workspace.vocabulary import FollowUpKind

#: What an agent promises by hand (a check-back comes with a pending disposition).
KINDS = (FollowUpKind.CALL_BACK, FollowUpKind.CHECK_TRACKING, FollowUpKind.CONFIRM_ARRIVAL)


@dataclass(frozen=True)
class FollowUpAsk:
    """What the agent promised: the kind, when (as typed), a note, and whether the team
    owns it rather than the agent."""

    kind: FollowUpKind
    due: str
    note: str
    team: bool


class FollowUpScreen(ModalScreen[FollowUpAsk | None]):
    """The promise (arrows, enter), when it is due, a note, and enter or ctrl+s makes it;
    escape cancels. The due time is read as it is typed, and said back in full."""

    BINDINGS = bindings("follow_up")

    DEFAULT_CSS = """
    FollowUpScreen { align: center middle; }
    FollowUpScreen > Vertical {
        width: 72; max-width: 95%; height: auto; border: thick $primary; background: $surface;
        padding: 0 1;
    }
    FollowUpScreen #follow-title { text-style: bold; width: 1fr; }
    FollowUpScreen OptionList { height: auto; border: none; padding: 0; }
    FollowUpScreen #follow-when { color: $text-muted; width: 1fr; }
    FollowUpScreen #follow-problem { color: $error; width: 1fr; }
    FollowUpScreen #follow-hint { color: $text-muted; width: 1fr; }
    FollowUpScreen Checkbox { border: none; padding: 0; }
    """

    def __init__(self, ticket_id: str, customer_name: str, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.customer_name = customer_name
        self.clock = clock

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(
                Text(
                    f"Follow up with {one_line(self.customer_name)[:40]} on "
                    f"{one_line(self.ticket_id)}: it comes back to your queue when due"
                ),
                id="follow-title",
            )
            yield OptionList(
                *(Option(Text(kind.label), id=kind.value) for kind in KINDS), id="follow-kind"
            )
            yield Input(placeholder="When? in 2h · 14:30 · tomorrow 9:00", id="follow-due")
            yield Label(Text(""), id="follow-when")
            yield Input(placeholder="Note (optional)", id="follow-note", max_length=500)
            yield Checkbox("For the team: anyone may take it", id="follow-team")
            yield Label(Text(""), id="follow-problem")
            yield Label(
                Text("↑↓ what · enter, then when · enter or ctrl+s promises · esc cancels"),
                id="follow-hint",
            )

    def on_mount(self) -> None:
        kinds = self.query_one("#follow-kind", OptionList)
        kinds.highlighted = 0
        kinds.focus()

    @on(OptionList.OptionSelected, "#follow-kind")
    def _kind_chosen(self) -> None:
        self.query_one("#follow-due", Input).focus()

    @property
    def kind(self) -> FollowUpKind:
        """The promise chosen."""
        at = self.query_one("#follow-kind", OptionList).highlighted
        return KINDS[at] if at is not None else KINDS[0]

    def _due(self) -> str | None:
        """The due time typed, said back in full; None (and why) when it is not one."""
        typed = self.query_one("#follow-due", Input).value
        try:
            due = parse_due(typed, self.clock())
        except FollowUpInputError as error:
            self.query_one("#follow-problem", Label).update(Text(str(error)))
            self.query_one("#follow-when", Label).update(Text(""))
            return None
        self.query_one("#follow-problem", Label).update(Text(""))
        self.query_one("#follow-when", Label).update(Text(f"Due {full(due)}"))
        return typed

    @on(Input.Changed, "#follow-due")
    def _typed(self, event: Input.Changed) -> None:
        """Say back the time as it is typed; what is not a time yet is said on enter."""
        try:
            due = parse_due(event.value, self.clock())
        except FollowUpInputError:
            self.query_one("#follow-when", Label).update(Text(""))
            return
        self.query_one("#follow-problem", Label).update(Text(""))
        self.query_one("#follow-when", Label).update(Text(f"Due {full(due)}"))

    @on(Input.Submitted, "#follow-due")
    def _due_entered(self) -> None:
        if self._due() is not None:
            self.query_one("#follow-note", Input).focus()

    @on(Input.Submitted, "#follow-note")
    def _note_entered(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        due = self._due()
        if due is None:
            self.query_one("#follow-due", Input).focus()
            return
        note = self.query_one("#follow-note", Input).value.strip()
        team = self.query_one("#follow-team", Checkbox).value
        self.dismiss(FollowUpAsk(self.kind, due, note, team))

    def action_cancel(self) -> None:
        self.dismiss(None)
