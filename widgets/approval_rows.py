"""The approval queue's rows and detail: each request as plain text, never markup."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.cells import cell_len
from rich.text import Text

from widgets.cells import fit
from workspace.action_view import ActionRecord
from workspace.sla import format_duration
from workspace.text import one_line, preview
from workspace.timefmt import when

#: Cells around the rows: the queue's border and padding on each side, and the scrollbar.
CHROME = 2 + 2 + 1

#: At least this many cells of rows get the wide layout (order and reason columns).
_WIDE = 120


def describe(record: ActionRecord) -> str:
    """`discount of 60.00 USD for Dana Whitfield`: what a request is, safe to show."""
    label = record.label.lower()
    return f"{label} of {record.amount} {record.currency} for {preview(record.customer_name, 60)}"


def waited(record: ActionRecord, now: datetime) -> str:
    return format_duration(max(0, int((now - record.requested_at).total_seconds())))


@dataclass(frozen=True)
class Column:
    title: str
    width: int
    right: bool = False


def layout(width: int, last_id: int) -> dict[str, Column]:
    """The columns for rows `width` cells wide; the customer (and reason, when wide) flex."""
    wide = width >= _WIDE
    columns = {
        "id": Column("#", max(4, len(f"#{last_id}") + 1)),
        "waited": Column("WAITING", 8),
        "agent": Column("ASKED BY", 14 if wide else 10),
        "kind": Column("ACTION", 23 if wide else 13),
        "amount": Column("AMOUNT", 15 if wide else 14, right=True),
        "customer": Column("CUSTOMER", 0),
        "tier": Column("TIER", 9),
    }
    if width >= 90:
        columns["order"] = Column("ORDER", 11)
    rest = max(12, width - sum(c.width for c in columns.values()))
    if wide:
        columns["customer"] = Column("CUSTOMER", min(rest, 30))
        columns["reason"] = Column("REASON", max(0, rest - 30))
    else:
        columns["customer"] = Column("CUSTOMER", rest)
    return columns


def _cells(record: ActionRecord, now: datetime, me: int) -> dict[str, str]:
    return {
        "id": f"#{record.id}",
        "waited": waited(record, now),
        "agent": "you" if record.agent_id == me else preview(record.agent_name, 40),
        "kind": record.label,
        "amount": f"{record.amount} {record.currency}",
        "customer": preview(record.customer_name, 80),
        "tier": one_line(record.customer_tier),
        "order": one_line(record.order_id or "-"),
        "reason": preview(record.reason, 200),
    }


def _cell(text: str, column: Column) -> str:
    """`text` fitted to the column, with one cell of gap after it."""
    room = column.width - 1
    if room <= 0:
        return " " * max(column.width, 0)
    shown = fit(text, room)
    if column.right and cell_len(text) < room:
        shown = " " * (room - cell_len(text)) + text
    return shown + " "


def request_row(record: ActionRecord, now: datetime, me: int, columns: dict[str, Column]) -> Text:
    """One request as a line of the queue: plain text, never markup."""
    values = _cells(record, now, me)
    line = Text(no_wrap=True, overflow="crop", end="")
    for key, column in columns.items():
        style = "bold" if key == "amount" else ""
        line.append(_cell(values[key], column), style=style)
    if record.agent_id == me:
        line.stylize("dim")
    return line


def header_row(columns: dict[str, Column]) -> Text:
    return Text("".join(_cell(c.title, c) for c in columns.values()), no_wrap=True, end="")


def request_detail(record: ActionRecord, now: datetime, me: int) -> Text:
    """Everything a supervisor weighs: what, for whom, the policy's sentence, the agent's why."""
    order = f", order {one_line(record.order_id)}" if record.order_id else ""
    text = Text.assemble(
        (record.label, "bold"),
        (f" of {record.amount} {record.currency}", "bold"),
        " for ",
        (preview(record.customer_name, 120), "bold"),
        f" ({one_line(record.customer_tier)}){order}\n",
        end="",
    )
    ago = f"{waited(record, now)} ago, at {when(record.requested_at, now)}"
    if record.agent_id == me:
        text.append(f"Asked by you {ago}.\n")
        text.append("Your own request: another supervisor decides it.", style="italic")
    else:
        text.append(f"Asked by {preview(record.agent_name, 60)} {ago}.")
    text.append("\nPolicy  ", style="bold")
    text.append(f"{one_line(record.verdict_reason)} ")
    text.append(f"({one_line(record.rule)})", style="dim")
    text.append("\nReason  ", style="bold")
    text.append(preview(record.reason, 400) or "-")
    if record.items:
        text.append("\nItems   ", style="bold")
        text.append(", ".join(preview(sku, 40) for sku in record.items))
    return text
