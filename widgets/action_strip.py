"""The actions strip of the resolution pane: the key to act, and this customer's actions."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from storage.records import ActionRecord
from workspace.action_view import LABELS
from workspace.text import one_line
from workspace.timefmt import when

_MARK = {
    "executed": ("✓", "green"),
    "requested": ("…", "bold yellow"),
    "approved": ("✓", "green"),
    "denied": ("✗", "red"),
    "withdrawn": ("-", "dim"),
}


class ActionStrip(Static):
    """One line of keys, then the customer's latest actions with where each stands."""

    DEFAULT_CSS = """
    ActionStrip {
        height: auto;
        max-height: 5;
        padding: 0 1;
        border-top: hkey $primary 40%;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.keys = {"act": "a", "withdraw": "w"}
        self.records: tuple[ActionRecord, ...] = ()

    def show(self, records: list[ActionRecord], me: int | None, now: datetime) -> None:
        """Show the customer's actions (newest first); `me` marks the agent's own requests."""
        self.records = tuple(records)
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(f"{self.keys['act']} ", style="bold")
        t.append("act: discount, refund, replacement, credit, reship, cancel", style="dim")
        mine = [r for r in records if r.status == "requested" and r.agent_id == me]
        if mine:
            t.append(f"  ·  {self.keys['withdraw']} ", style="bold")
            t.append(f"withdraw #{mine[0].id}", style="dim")
        for r in records[:3]:
            mark, style = _MARK.get(r.status, ("?", ""))
            t.append(f"\n{mark} ", style=style)
            t.append(f"#{r.id} {LABELS.get(r.kind, r.kind)} {r.amount} {r.currency}")
            t.append(f"  {r.status.replace('requested', 'waiting for approval')}", style=style)
            t.append(f"  {one_line(r.agent_name)} {when(r.requested_at, now)}", style="dim")
        self.update(t)

    def clear(self) -> None:
        """Nothing to act on (no contact held)."""
        self.records = ()
        self.update("")
