"""What the app sends to the terminal, for tests that assert on the screen itself."""

from __future__ import annotations

import io
import re
import unicodedata
from typing import Any

from rich.console import Console
from rich.text import Text
from textual.app import App
from textual.content import Content
from textual.widgets import Static

#: The only escape sequences Textual itself writes for a frame: SGR styles and cursor moves.
_OWN_SEQUENCES = re.compile(r"\x1b\[[0-9;]*[mHK]")


def terminal_output(app: App[object]) -> str:
    """The bytes a full repaint of the current screen writes to the terminal."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        legacy_windows=False,
        safe_box=False,
    )
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    console.print(update)
    out = console.file
    assert isinstance(out, io.StringIO)
    return out.getvalue()


def foreign_sequences(output: str) -> str:
    """What is left of the output after Textual's own sequences: must hold no ESC at all."""
    return _OWN_SEQUENCES.sub("", output)


def screen_text(app: App[object]) -> str:
    """The screen as plain text, one line per terminal row."""
    text = foreign_sequences(terminal_output(app))
    return text.replace("\r", "")


def shown(widget: Static) -> str:
    """The text a Static (a Label, the strip, the digest) displays, before it is wrapped."""
    visual = widget.visual
    if isinstance(visual, Content):
        return visual.plain
    content = widget.content
    assert isinstance(content, Text), type(content)
    return content.plain


def toasts(app: App[Any]) -> list[str]:
    """The text of every toast on screen (a toast renders its notification itself)."""
    found = []
    for toast in app.screen.query("Toast"):
        content = toast.render()
        assert isinstance(content, Content), type(content)
        found.append(content.plain)
    return found


#: What must never reach the terminal from customer text: ESC and the other C0 controls but
#: newline and tab, DEL, C1, and the bidi and zero-width controls.
CONTROLS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)


def leaks(output: str) -> list[str]:
    """Every character of `output`, beyond Textual's own sequences, that could drive the
    terminal or hide text (controls, invisible format characters, lone surrogates), each
    named with its screen row and the text around it."""
    rows = foreign_sequences(output).replace("\r\n", "\n").split("\n")
    return [
        f"U+{ord(ch):04X} on row {y}: {row[max(x - 30, 0) : x + 30]!r}"
        for y, row in enumerate(rows)
        for x, ch in enumerate(row)
        if CONTROLS.match(ch) or unicodedata.category(ch) in ("Cf", "Cs")
    ]


def assert_inert(output: str, what: str = "") -> None:
    """Nothing in `output` but Textual's own sequences reaches the terminal, nothing hidden."""
    found = leaks(output)
    where = f"{what}: " if what else ""
    assert not found, f"{where}control characters reached the terminal:\n" + "\n".join(found[:8])
