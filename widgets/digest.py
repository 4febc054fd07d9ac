"""The customer digest: who they are and what is open, above the timeline."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text
from textual.widgets import Static

from workspace.context import Compensation, Digest
from workspace.customers import OrderRecord
from workspace.text import count, one_line, preview
from workspace.timefmt import day, when


class CustomerDigest(Static):
    """Renders a Digest decided in workspace; customer text is appended literally."""

    DEFAULT_CSS = """
    CustomerDigest {
        height: auto;
        max-height: 8;
        padding: 0 1;
        border-bottom: hkey $primary 40%;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.digest: Digest | None = None

    def show_placeholder(self, message: str) -> None:
        """Show a one-line message instead of a digest (loading, nothing selected)."""
        self.digest = None
        self.update(Text(message, style="italic"))

    def show(self, digest: Digest, now: datetime | None = None) -> None:
        """Show `digest`."""
        self.digest = digest
        self.update(render_digest(digest, now or datetime.now(UTC)))


def render_digest(d: Digest, now: datetime) -> Text:
    """The digest as styled text; every piece of customer text is sanitised and literal.

    What needs acting on comes first (repeat contact, open and late orders): a short
    terminal shows only the top lines.
    """
    c = d.customer
    t = Text(no_wrap=False, overflow="fold")
    t.append(one_line(c.name), style="bold")
    t.append("  ")
    t.append(
        f" {one_line(c.tier).upper()} ", style="bold reverse" if c.tier != "standard" else "dim"
    )
    t.append(f"  since {day(c.since)}  ·  {one_line(c.id)}", style="dim")
    if d.repeat:
        r = d.repeat
        t.append("\nREPEAT ", style="bold reverse")
        t.append(
            f" contacted us {r.count}x in the last 7 days by {', '.join(r.channels)}"
            f" (last {when(r.last_at, now)})",
            style="bold",
        )
    if d.open_orders:
        t.append("\nOpen orders: ", style="bold")
        t.append(
            "  ·  ".join(
                f"{one_line(o.id)} {o.status} {o.total}"
                + (f" promised {o.promised_by}" if o.promised_by else "")
                for o in d.open_orders[:3]
            )
        )
        if len(d.open_orders) > 3:
            t.append(f"  (+{len(d.open_orders) - 3} more)", style="dim")
    if d.late_orders:
        t.append("\nLate: ", style="bold")
        t.append("  ·  ".join(_late(o) for o in d.late_orders))
    _compensation(t, d.compensation, now)
    contacts = [one_line(x) for x in (c.email, c.phone) if x]
    t.append("\n" + "  ·  ".join([*contacts, count(d.interactions, "interaction")]), style="dim")
    if d.recent_tickets:
        t.append("\nEarlier contacts: ", style="bold")
        t.append(
            "  ·  ".join(
                f"{when(k.opened_at, now)} {k.channel} \u201c{preview(k.subject, 40)}\u201d"
                f" {one_line(k.disposition or k.status)}"
                for k in d.recent_tickets
            )
        )
    return t


def _late(order: OrderRecord) -> str:
    delivered = order.delivered_at
    outcome = f"delivered {day(delivered.date())}" if delivered else "not delivered yet"
    return f"{one_line(order.id)} promised {order.promised_by}, {outcome}"


def _compensation(t: Text, given: Compensation, now: datetime) -> None:
    """Compensation of the last 90 days, so nobody gives twice for the same trouble."""
    if not given.recent and not given.given_count:
        return
    t.append("\nGiven in 90 days: ", style="bold")
    t.append(f"{given.given} {one_line(given.currency)} in {count(given.given_count, 'action')}")
    if given.waiting:
        t.append(f"  {given.waiting} waiting for approval", style="bold yellow")
    t.append("  ·  ")
    t.append(
        "  ·  ".join(
            f"{a.words} {a.amount}{f' {a.status.brief}' if a.status.brief else ''}"
            f" {when(a.requested_at, now)}"
            for a in given.recent[:3]
        ),
        style="dim",
    )
