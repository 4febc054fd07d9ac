"""The customer digest: what needs acting on, then who the customer is, above the timeline."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from workspace.context import Compensation, Digest, RepeatContact
from workspace.customers import CustomerRecord, OrderRecord, TicketRecord
from workspace.follow_up_view import FollowUpRecord
from workspace.text import count, one_line, preview
from workspace.timefmt import day, when


class CustomerDigest(VerticalScroll):
    """Renders a Digest decided in workspace; customer text is appended literally.

    A short pane shows the top lines and says on its bottom border how many are out of
    sight. The wheel scrolls it, and so do the arrow keys once it has the focus: by tab or
    a click, and only while it hides lines; the pane's own key goes to the timeline, whose
    j/k/g/G it leaves alone.
    """

    DEFAULT_CSS = """
    CustomerDigest {
        height: auto;
        max-height: 8;
        padding: 0 1;
        scrollbar-size-vertical: 0;
        border-bottom: hkey $primary 40%;
        border-subtitle-align: right;
        border-subtitle-color: $text;
        border-subtitle-style: bold;

        &:focus {
            border-bottom: hkey $accent;
        }

        & > Static {
            height: auto;
        }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.digest: Digest | None = None

    def compose(self) -> ComposeResult:
        yield Static("")

    @property
    def body(self) -> Static:
        """The digest's text, all of it, however much the pane shows."""
        return self.query_one(Static)

    def show_placeholder(self, message: str) -> None:
        """Show a one-line message instead of a digest (loading, nothing selected)."""
        self.digest = None
        self.body.update(Text(message, style="italic"))
        self.scroll_home(animate=False, immediate=True)

    def show(self, digest: Digest, now: datetime | None = None) -> None:
        """Show `digest` from its first line; the same customer's again (a live update)
        where the agent had scrolled to."""
        shown = self.digest
        self.digest = digest
        self.body.update(render_digest(digest, now or datetime.now(UTC)))
        if shown is None or shown.customer.id != digest.customer.id:
            self.scroll_home(animate=False, immediate=True)

    @property
    def hidden(self) -> tuple[int, int]:
        """How many lines are out of sight: above the top, and below the bottom."""
        above = round(self.scroll_y)
        return above, max(self.max_scroll_y - above, 0)

    def on_resize(self, event: events.Resize) -> None:
        self._mark()

    def watch_virtual_size(self) -> None:
        # The text grew or shrank in a pane of the same size: no Resize is sent for that.
        self._mark()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._mark()

    def _mark(self) -> None:
        above, below = self.hidden
        self.border_subtitle = hidden_mark(above, below)
        # A tab stop only while something is out of sight: tab goes on to the timeline.
        self.can_focus = bool(above or below)


def hidden_mark(above: int, below: int) -> str:
    """What the bottom border says of lines out of sight; nothing when all are shown."""
    if below and above:
        return f"▲ {above} above · ▼ {below} more"
    if below:
        return f"▼ {below} more {'line' if below == 1 else 'lines'}"
    if above:
        return f"▲ {count(above, 'line')} above"
    return ""


def render_digest(d: Digest, now: datetime) -> Text:
    """The digest as styled text; every piece of customer text is sanitised and literal.

    What needs acting on comes first, at every size: orders late (promises broken), requests
    waiting for approval and what was given (so nobody gives twice), orders still on time
    (promises to keep), a repeat contact; then who the customer is, how to reach them and
    their earlier contacts.
    """
    late = {o.id for o in d.late_orders}
    lines = [
        _late_orders(d.late_orders),
        _follow_ups(d.follow_ups, now),
        _waiting(d.compensation),
        _compensation(d.compensation, now),
        _open_orders(tuple(o for o in d.open_orders if o.id not in late)),
        _repeat(d.repeat, now),
        _who(d.customer),
        _reach(d.customer, d.interactions),
        _earlier(d.recent_tickets, now),
    ]
    return Text("\n", no_wrap=False, overflow="fold").join(line for line in lines if line)


def _follow_ups(promised: tuple[FollowUpRecord, ...], now: datetime) -> Text | None:
    """Promises not kept yet: what, when, whose; an overdue one first in its colour."""
    if not promised:
        return None
    overdue = any(f.overdue(now) for f in promised)
    t = Text.assemble(("Promised: ", "bold red" if overdue else "bold"))
    t.append("  ·  ".join(f.line(now) for f in promised[:2]))
    if len(promised) > 2:
        t.append(f"  (+{len(promised) - 2} more)", style="dim")
    return t


def _late_orders(orders: tuple[OrderRecord, ...]) -> Text | None:
    if not orders:
        return None
    return Text.assemble(("Late: ", "bold"), "  ·  ".join(_late(o) for o in orders))


def _late(order: OrderRecord) -> str:
    """A late order with its total and where it stands: an open one is not repeated on the
    open orders line."""
    delivered = order.delivered_at
    outcome = (
        f"delivered {day(delivered.date())}" if delivered else f"{order.status}, not delivered yet"
    )
    return f"{one_line(order.id)} {order.worth} promised {order.promised_by}, {outcome}"


def _open_orders(on_time: tuple[OrderRecord, ...]) -> Text | None:
    """The open orders not on the late line, so a short pane spends no line on one twice."""
    if not on_time:
        return None
    t = Text.assemble(
        ("Open orders: ", "bold"),
        "  ·  ".join(
            f"{one_line(o.id)} {o.status} {o.worth}"
            + (f" promised {o.promised_by}" if o.promised_by else "")
            for o in on_time[:3]
        ),
    )
    if len(on_time) > 3:
        t.append(f"  (+{len(on_time) - 3} more)", style="dim")
    return t


def _compensation(given: Compensation, now: datetime) -> Text | None:
    """Compensation of the last 90 days, so nobody gives twice for the same trouble."""
    if not given.recent and not given.given_count:
        return None
    t = Text("Given in 90 days: ", style="bold")
    t.append(f"{given.given} {one_line(given.currency)} in {count(given.given_count, 'action')}")
    t.append("  ·  ")
    t.append(
        "  ·  ".join(
            f"{a.words} {a.amount}{f' {a.status.brief}' if a.status.brief else ''}"
            f" {when(a.requested_at, now)}"
            for a in given.recent[:3]
        ),
        style="dim",
    )
    return t


def _waiting(given: Compensation) -> Text | None:
    """Requests a supervisor has still to decide: a line of its own, so that no width splits
    the count from its words."""
    if not given.waiting:
        return None
    return Text.assemble(
        ("Waiting for approval: ", "bold"),
        (count(given.waiting, "request"), "bold yellow"),
    )


def _repeat(repeat: RepeatContact | None, now: datetime) -> Text | None:
    if repeat is None:
        return None
    return Text.assemble(
        ("REPEAT ", "bold reverse"),
        (
            f" contacted us {repeat.count}x in the last 7 days by {', '.join(repeat.channels)}"
            f" (last {when(repeat.last_at, now)})",
            "bold",
        ),
    )


def _who(c: CustomerRecord) -> Text:
    return Text.assemble(
        (one_line(c.name), "bold"),
        "  ",
        (f" {one_line(c.tier).upper()} ", "bold reverse" if c.tier != "standard" else "dim"),
        (f"  since {day(c.since)}  ·  {one_line(c.id)}", "dim"),
    )


def _reach(c: CustomerRecord, interactions: int) -> Text:
    contacts = [one_line(x) for x in (c.email, c.phone) if x]
    return Text("  ·  ".join([*contacts, count(interactions, "interaction")]), style="dim")


def _earlier(tickets: tuple[TicketRecord, ...], now: datetime) -> Text | None:
    if not tickets:
        return None
    return Text.assemble(
        ("Earlier contacts: ", "bold"),
        "  ·  ".join(
            f"{when(k.opened_at, now)} {k.channel} \u201c{preview(k.subject, 40)}\u201d"
            f" {one_line(k.disposition or k.status)}"
            for k in tickets
        ),
    )
