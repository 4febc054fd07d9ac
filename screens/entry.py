"""One timeline entry in full: the whole text, literal and inert, a search's words marked."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from widgets.commands import bindings
from workspace.marks import mark_spans
from workspace.text import one_line, sanitize
from workspace.timefmt import full
from workspace.timeline import TimelineRecord

#: Characters shown of one entry; the rest is summarised (a message this long is an attack).
MAX_SHOWN = 50_000

#: How a search's words are marked (as the timeline marks them).
MARK_STYLE = "bold reverse"


def _marked(text: str, marks: Sequence[str]) -> Text:
    """`text`, already made safe to show, as literal Text with the words of `marks` marked."""
    shown = Text(text)
    for start, end in mark_spans(text, marks):
        shown.stylize(MARK_STYLE, start, end)
    return shown


class EntryScreen(ModalScreen[None]):
    """Shows a message, note, order event or action with every character visible and none
    active; `marks` (`workspace.marks.search_marks`) are a search's words to mark."""

    BINDINGS = bindings("entry")

    DEFAULT_CSS = """
    EntryScreen { align: center middle; }
    EntryScreen > Vertical {
        width: 90%; height: 85%; border: thick $primary; background: $surface; padding: 0 1;
    }
    EntryScreen #entry-head { height: auto; color: $text-muted; margin-bottom: 1; }
    EntryScreen #entry-keys { height: 1; color: $text-muted; text-align: right; }
    EntryScreen VerticalScroll { height: 1fr; }
    """

    def __init__(self, entry: TimelineRecord, marks: Sequence[str] = ()) -> None:
        super().__init__()
        self.entry = entry
        self.marks = tuple(marks)

    def compose(self) -> ComposeResult:
        e = self.entry
        head = Text()
        head.append(f"{full(e.at)} · {e.channel.upper()} · {e.direction}", style="bold")
        if e.author:
            head.append(f" · {one_line(e.author)}")
        head.append(f" · {one_line(e.ref)}")
        if e.ticket_id:
            head.append(f" · contact {one_line(e.ticket_id)}")
        if e.subject:
            head.append("\nSubject: ", style="bold")
            head.append_text(_marked(one_line(e.subject), self.marks))
        body = e.text
        tail = ""
        if len(body) > MAX_SHOWN:
            tail = f"\n\n[{len(body) - MAX_SHOWN} more characters not shown]"
            body = body[:MAX_SHOWN]
        with Vertical():
            yield Static(head, id="entry-head")
            with VerticalScroll():
                yield Static(_marked(sanitize(body) + tail, self.marks), id="entry-body")
            yield Static(Text("↑↓ pgup pgdn scroll · esc close"), id="entry-keys")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
