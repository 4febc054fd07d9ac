"""The actions strip of the resolution pane: the key to act, and this customer's actions."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from workspace.action_view import ActionRecord
from workspace.text import one_line
from workspace.timefmt import when
from workspace.vocabulary import ActionStatus, Tone

#: How a status's mark and words are coloured, by what it means.
TONE_STYLE: dict[Tone, str] = {
    "done": "green",
    "waiting": "bold yellow",
    "refused": "red",
    "void": "dim",
}


SHORT = {
    "queued": "to send",
    "retrying": "resending",
    "delivered": "sent",
    "failed": "NOT SENT",
}
"""Where an executed action's message is, after its status: short, since the strip is a
third of the screen and its line ends with who acted and when."""


class ActionStrip(Static):
    """One line of keys, then the customer's latest actions with where each stands."""

    DEFAULT_CSS = """
    ActionStrip {
        height: auto;
        max-height: 5;
        padding: 0 1;
        border-top: hkey $primary 40%;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.keys = {"act": "a", "withdraw": "w", "redeliver": "D"}
        self.records: tuple[ActionRecord, ...] = ()

    def show(self, records: list[ActionRecord], me: int | None, now: datetime) -> None:
        """Show the customer's actions; the agent's own waiting request comes first, so a
        short terminal still shows what `w` would withdraw."""
        self.records = tuple(records)
        mine = [r for r in records if r.status is ActionStatus.REQUESTED and r.agent_id == me]
        t = Text()
        if mine:
            t.append(f"{self.keys['withdraw']} ", style="bold")
            t.append(f"withdraw #{mine[0].id} (waiting)  ·  ", style="dim")
        t.append(f"{self.keys['act']} ", style="bold")
        t.append("act: discount, refund, replacement, credit, reship, cancel", style="dim")
        shown = ([mine[0]] if mine else []) + [r for r in records if not mine or r is not mine[0]]
        for r in shown[:3]:
            style = TONE_STYLE[r.status.tone]
            t.append(f"\n{r.status.mark} ", style=style)
            t.append(f"#{r.id} {r.label} {r.amount} {r.currency}")
            if r.delivery == "failed":  # in place of "executed", so it fits a narrow pane
                t.append(f"  {SHORT['failed']} ({self.keys['redeliver']})", style="bold red")
            else:
                t.append(f"  {r.status.label}", style=style)
                if r.delivery in SHORT:
                    t.append(f", {SHORT[r.delivery]}", style=style)
            t.append(f"  {one_line(r.agent_name)} {when(r.requested_at, now)}", style="dim")
        self.update(t)

    def clear(self) -> None:
        """Nothing to act on (no contact held)."""
        self.records = ()
        self.update("")
