"""Find any customer: ranked results from what the agent types, as they type it."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from widgets.commands import bindings
from workspace.errors import describe_failure
from workspace.lookup import MIN_PREFIX, Found, FoundKind, Lookup
from workspace.text import count, one_line, preview

#: How long typing must pause before the lookup runs: one query per pause, not per key.
PAUSE = 0.12

#: How many results are listed.
SHOWN = 20

_KIND = {
    FoundKind.CUSTOMER: "customer",
    FoundKind.ORDER: "order   ",
    FoundKind.CONTACT: "contact ",
}


class LookupScreen(ModalScreen[Found | None]):
    """A field and the results under it; enter opens the highlighted one's customer.

    The field keeps the focus: the arrows move through the results, so the agent types,
    looks and picks without leaving the keyboard's home row. Each lookup runs in a worker;
    results of text the agent has since changed are dropped.
    """

    BINDINGS = bindings("lookup")

    DEFAULT_CSS = """
    LookupScreen { align: center top; }
    LookupScreen > Vertical {
        width: 100; max-width: 100%; height: auto; max-height: 100%; margin-top: 2;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    LookupScreen #lookup-title { text-style: bold; width: 1fr; }
    LookupScreen OptionList { height: auto; max-height: 22; border: none; padding: 0; }
    LookupScreen #lookup-status, LookupScreen #lookup-hint { color: $text-muted; width: 1fr; }
    """

    def __init__(self, lookup: Lookup, text: str = "") -> None:
        super().__init__()
        self.lookup = lookup
        self.text = text
        self.results: list[Found] = []
        """What the last finished lookup found, in the order shown."""
        self._pause: Timer | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text("Find a customer, an order or a contact"), id="lookup-title")
            yield Input(
                self.text,
                placeholder="name, e-mail, phone, order id or contact id",
                id="lookup-text",
            )
            yield Label(Text(""), id="lookup-status")
            yield OptionList(id="lookup-results")
            yield Label(
                Text("↑↓ choose · enter opens the customer · esc cancels"), id="lookup-hint"
            )

    @property
    def field(self) -> Input:
        """Where the agent types."""
        return self.query_one("#lookup-text", Input)

    @property
    def listing(self) -> OptionList:
        """The results."""
        return self.query_one("#lookup-results", OptionList)

    def on_mount(self) -> None:
        self.listing.can_focus = False  # the field keeps the focus; the arrows move here
        self.field.focus()
        self._status(self.text)
        if self.text.strip():
            self.find(self.text)

    @on(Input.Changed, "#lookup-text")
    def _typed(self, event: Input.Changed) -> None:
        if self._pause is not None:
            self._pause.stop()
        text = event.value
        self._status(text)
        if not text.strip():
            self._show(text, [])
            return
        self._pause = self.set_timer(PAUSE, lambda: self.find(text))

    def _status(self, text: str) -> None:
        typed = text.strip()
        if not typed:
            message = f"Type {MIN_PREFIX} letters or more of a name, or an id, e-mail or phone."
        else:
            message = "Looking…"
        self.query_one("#lookup-status", Label).update(Text(message))

    @work(thread=True, exclusive=True, group="lookup", exit_on_error=False)
    def find(self, text: str) -> None:
        """Look `text` up, off the screen's thread."""
        found = self.lookup.find(text, SHOWN)
        self.app.call_from_thread(self._show, text, found)

    def _show(self, text: str, found: list[Found]) -> None:
        if text != self.field.value:
            return  # the agent typed on while this ran
        self.results = found
        listing = self.listing
        listing.clear_options()
        listing.add_options(Option(_prompt(f)) for f in found)
        if found:
            listing.highlighted = 0
        typed = text.strip()
        if not typed:
            status = ""
        elif found:
            status = count(len(found), "result") + (" (the best shown)" * (len(found) >= SHOWN))
        else:
            status = f"Nothing matches {preview(typed, 40)!r}."
        self.query_one("#lookup-status", Label).update(Text(status) if status else Text(""))
        if not typed:
            self._status(text)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A lookup that fails says why in the status line; what was typed stays."""
        error = event.worker.error
        if event.state == WorkerState.ERROR and error is not None:
            self.query_one("#lookup-status", Label).update(Text(describe_failure(error)))

    # -- keys --------------------------------------------------------------------------------

    def action_move(self, step: int) -> None:
        listing = self.listing
        if not self.results:
            return
        at = listing.highlighted
        listing.highlighted = max(0, min(len(self.results) - 1, (at or 0) + step))

    @on(Input.Submitted, "#lookup-text")
    def _submitted(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        at = self.listing.highlighted
        if at is not None and at < len(self.results):
            self.dismiss(self.results[at])

    @on(OptionList.OptionSelected)
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        if event.option_index < len(self.results):
            self.dismiss(self.results[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)


def _prompt(found: Found) -> Text:
    """One result: what it is, whose, and what matched (customer text, literally)."""
    t = Text(no_wrap=True, overflow="ellipsis")
    t.append(_KIND[found.kind], style="dim")
    t.append("  ")
    t.append(preview(found.customer_name, 30), style="bold")
    t.append(f"  {one_line(found.customer_id)}", style="dim")
    if found.label != found.customer_name:
        t.append("  ·  ")
        t.append(preview(found.label, 60))
    return t
