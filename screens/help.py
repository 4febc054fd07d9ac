"""F1: what the focused pane is for, and every command that works there, with its keys."""

from __future__ import annotations

import re
from collections.abc import Collection

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from screens.keys import key_of, keys_shown
from widgets.commands import RESERVED, bindings, of_pane

#: What each pane is for; `<id>` is the key of the command with that id, as remapped.
ABOUT = {
    "queue": (
        "The queue: contacts waiting, most urgent first (time to SLA breach, then priority, "
        "then waiting time). The SLA column reads without colour: BREACHED, '!' at risk. "
        "<queue.claim> claims the contact under the cursor; nobody else can then take it. "
        "<workspace.next> claims the most urgent contact nobody holds."
    ),
    "context": (
        "Customer context: the digest (tier, open and late orders, REPEAT when they already "
        "contacted us this week on another channel) above the timeline of every message, note "
        "and order event, newest first. <timeline.open> opens an entry in full; "
        "<workspace.search> searches the history."
    ),
    "resolution": (
        "Resolution: write a reply to the customer or an internal note "
        "(<composer.toggle> switches), <composer.send> sends. <workspace.resolve> resolves "
        "with a disposition; <workspace.release> releases the contact to the queue."
    ),
    "monitor": (
        "The wallboard: the floor as it is, read-only, updated as agents work (nobody needs "
        "to press anything, and nobody is told they are watched). Queue depth by channel "
        "(escalated in brackets: the escalation queue), the contacts breached and at risk "
        "(most urgent first), every agent (here, silent or away; what they hold and for how "
        "long, what they are viewing, today's handled count and handle time), the approvals "
        "waiting, the money given today and this month against the team's budgets, the "
        "policy's friction this month (denials and approval requests by rule, and what each "
        "agent gave against their own budget), and today's figures with their trends. "
        "<monitor.next> moves between panels; <board.open> opens the line's customer "
        "read-only."
    ),
    "monitor contact": (
        "A customer opened from the wallboard, as an agent sees them, read-only: nothing "
        "here claims, replies or marks the contact as viewed. <monitor_view.search> searches "
        "the history; <monitor_view.back> returns to the wallboard."
    ),
}

_PLACE = re.compile(r"<([a-z_]+\.[a-z_0-9]+)>")


class HelpScreen(ModalScreen[None]):
    """Built from the command registry, so it never disagrees with the keys."""

    BINDINGS = bindings("help")

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 80; max-width: 95%; height: 80%; border: thick $primary; background: $surface;
        padding: 0 1;
    }
    HelpScreen #help-about { height: auto; margin-bottom: 1; }
    """

    def __init__(self, pane: str, unavailable: Collection[str] = ()) -> None:
        super().__init__()
        self.pane = pane
        self.unavailable = frozenset(unavailable)
        """Ids of commands this agent cannot use here (the approval queue, for an agent)."""

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=True, header_style="bold", expand=True)
        table.add_column("Key", no_wrap=True)
        table.add_column("Does")
        for command in of_pane(self.pane):
            if command.id in self.unavailable:
                continue
            does = f"{command.title}: {command.tooltip}" if command.tooltip else command.title
            table.add_row(Text(keys_shown(self.app, command.id)), Text(does))
        for key, does in RESERVED.items():
            table.add_row(Text(self.app.get_key_display(Binding(key, ""))), Text(does.capitalize()))
        about = _PLACE.sub(lambda m: key_of(self.app, m.group(1)), ABOUT.get(self.pane, ""))
        with Vertical():
            yield Static(Text(about), id="help-about")
            with VerticalScroll():
                yield Static(table)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
