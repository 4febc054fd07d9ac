"""F1: what the focused pane is for, and every key that works there right now."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from screens.keys import key_of

#: What each pane is for; {names} are the keys that do it, after the user's remapping.
ABOUT = {
    "queue": (
        "The queue: contacts waiting, most urgent first (time to SLA breach, then priority, "
        "then waiting time). The SLA column reads without colour: BREACHED, '!' at risk. "
        "{claim} claims the contact under the cursor; nobody else can then take it. "
        "{next} claims the most urgent contact nobody holds."
    ),
    "context": (
        "Customer context: the digest (tier, open and late orders, REPEAT when they already "
        "contacted us this week on another channel) above the timeline of every message, note "
        "and order event, newest first. {open} opens an entry in full; {search} searches the "
        "history."
    ),
    "resolution": (
        "Resolution: write a reply to the customer or an internal note ({toggle} switches), "
        "{send} sends. {resolve} resolves with a disposition; {release} releases the contact "
        "to the queue."
    ),
}

#: The binding behind each name used in ABOUT, with its default key.
ABOUT_KEYS = {
    "claim": ("queue.claim", "enter"),
    "next": ("workspace.next", "n"),
    "open": ("timeline.open", "enter"),
    "search": ("workspace.search", "slash"),
    "toggle": ("composer.toggle", "ctrl+t"),
    "send": ("composer.send", "ctrl+s"),
    "resolve": ("workspace.resolve", "r"),
    "release": ("workspace.release", "x"),
}


class HelpScreen(ModalScreen[None]):
    """Built from the live bindings, so it never disagrees with the keys."""

    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close", id="help.close")]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 80; max-width: 95%; height: 80%; border: thick $primary; background: $surface;
        padding: 0 1;
    }
    HelpScreen #help-about { height: auto; margin-bottom: 1; }
    """

    def __init__(self, pane: str, bindings: dict[str, ActiveBinding]) -> None:
        super().__init__()
        self.pane = pane
        self.bindings = bindings

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=True, header_style="bold", expand=True)
        table.add_column("Key", no_wrap=True)
        table.add_column("Does")
        seen: set[str] = set()

        # The focused widget's keys first, then the screen's, then the app's.
        def rank(active: ActiveBinding) -> int:
            return 2 if active.node is self.app else 1 if isinstance(active.node, Screen) else 0

        ordered = sorted(self.bindings.items(), key=lambda kv: rank(kv[1]))
        for key, active in ordered:
            b = active.binding
            ident = b.id or b.action
            if not b.description or ident in seen:
                continue
            seen.add(ident)
            does = f"{b.description}: {b.tooltip}" if b.tooltip else b.description
            table.add_row(Text(self.app.get_key_display(b) or key), Text(does))
        with Vertical():
            keys = {name: key_of(self.app, b, d) for name, (b, d) in ABOUT_KEYS.items()}
            yield Static(Text(ABOUT.get(self.pane, "").format(**keys)), id="help-about")
            with VerticalScroll():
                yield Static(table)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
