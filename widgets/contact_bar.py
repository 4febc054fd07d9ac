"""One line over the reply box: which contact the agent is working, and whether they hold it."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from workspace.queue import QueueRow, holds
from workspace.sla import format_duration
from workspace.text import one_line, preview
from workspace.timefmt import when


class ContactBar(Static):
    """Says which contact the reply box acts on, and who holds it."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.keys = {"claim": "enter", "next": "n", "resolve": "r", "release": "x"}
        """How the keys of the hints are shown (the screen sets them from the keymap)."""

    def show(self, row: QueueRow | None, me: int | None, now: datetime) -> None:
        """Describe `row` as seen by agent `me`."""
        held = holds(row, me)
        self.set_class(held, "held")
        if row is None:
            self.update(Text("No contact selected."))
            return
        t = Text()
        t.append(f"{one_line(row.id)} ", style="bold")
        t.append(f"{row.channel.upper()} · ")
        t.append(preview(row.subject, 60))
        if row.closed:
            done = "\nResolved"
            if row.resolved_at is not None:
                done += f" {when(row.resolved_at, now)}"
            if row.holder_name:
                done += f" by {one_line(row.holder_name)}"
            t.append(done, style="italic")
        elif held and row.claimed_at is not None:
            held_for = format_duration(int((now - row.claimed_at).total_seconds()))
            k = self.keys
            t.append(
                f"\nYours for {held_for} · {k['resolve']} resolve · {k['release']} release",
                style="bold",
            )
        elif row.holder_id is not None:
            t.append(f"\nHeld by {one_line(row.holder_name or '?')}", style="italic")
        else:
            t.append(
                f"\nUnclaimed · {self.keys['claim']} (or {self.keys['next']}) claims it",
                style="italic",
            )
        self.update(t)
