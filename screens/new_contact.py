"""Asks how a customer reached the agent outside the queue, and what about, to open a contact."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from widgets.commands import bindings
from workspace.text import one_line, preview
from workspace.vocabulary import Channel

#: What a contact started by hand most often is: the customer is on the phone.
FIRST = Channel.CALL

_LABELS = {
    Channel.CALL: "Call",
    Channel.EMAIL: "E-mail",
    Channel.CHAT: "Chat",
    Channel.SMS: "SMS",
    Channel.SOCIAL: "Social",
}


@dataclass(frozen=True)
class NewContact:
    """What the agent asked for: the channel and the subject of the contact to open."""

    channel: Channel
    subject: str


class NewContactScreen(ModalScreen[NewContact | None]):
    """The channel (arrows, enter), the subject, and enter or ctrl+s opens it; escape
    cancels. The channel comes first because it is what the agent knows before anything."""

    BINDINGS = bindings("new_contact")

    DEFAULT_CSS = """
    NewContactScreen { align: center middle; }
    NewContactScreen > Vertical {
        width: 72; max-width: 95%; height: auto; border: thick $primary; background: $surface;
        padding: 0 1;
    }
    NewContactScreen #new-title { text-style: bold; width: 1fr; }
    NewContactScreen OptionList { height: auto; border: none; padding: 0; }
    NewContactScreen #new-problem { color: $error; width: 1fr; }
    NewContactScreen #new-hint { color: $text-muted; width: 1fr; }
    """

    def __init__(self, customer_id: str, customer_name: str) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.customer_name = customer_name

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(
                Text(
                    f"New contact for {preview(self.customer_name, 40)}"
                    f" ({one_line(self.customer_id)}), held by you"
                ),
                id="new-title",
            )
            yield OptionList(
                *(Option(Text(label), id=channel.value) for channel, label in _LABELS.items()),
                id="new-channel",
            )
            yield Input(placeholder="What is it about?", id="new-subject", max_length=200)
            yield Label(Text(""), id="new-problem")
            yield Label(
                Text("↑↓ channel · enter, then the subject · enter or ctrl+s opens · esc cancels"),
                id="new-hint",
            )

    def on_mount(self) -> None:
        channels = self.query_one("#new-channel", OptionList)
        channels.highlighted = 0
        channels.focus()

    @on(OptionList.OptionSelected, "#new-channel")
    def _channel_chosen(self) -> None:
        self.query_one("#new-subject", Input).focus()

    @property
    def channel(self) -> Channel:
        """The channel chosen."""
        channels = self.query_one("#new-channel", OptionList)
        at = channels.highlighted
        return list(_LABELS)[at] if at is not None else FIRST

    @on(Input.Submitted, "#new-subject")
    def _entered(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        subject = self.query_one("#new-subject", Input).value.strip()
        if not subject:
            self.query_one("#new-problem", Label).update(
                Text("A subject is needed: say in a few words what the customer asks.")
            )
            self.query_one("#new-subject", Input).focus()
            return
        self.dismiss(NewContact(self.channel, subject))

    def action_cancel(self) -> None:
        self.dismiss(None)
