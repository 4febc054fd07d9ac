"""Today's figures, one line each: the name, today's value, and two trend lines (the last 14
days, and today's hours) drawn with Textual's Sparkline."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Sparkline

from workspace.trends import DAYS, Trend


def _points(values: Sequence[float | None]) -> list[float]:
    """The values a trend line draws: those with data (an hour without surveys is no 0)."""
    return [v for v in values if v is not None]


class TrendLine(Horizontal):
    """One figure's line."""

    DEFAULT_CSS = """
    TrendLine { height: 1; }
    TrendLine .trend-label { width: 14; }
    TrendLine .trend-today { width: 11; text-style: bold; }
    TrendLine Sparkline { width: 1fr; margin-right: 2; }
    """

    def __init__(self, key: str) -> None:
        super().__init__(id=f"trend-{key}")
        self.key = key

    def compose(self) -> ComposeResult:
        yield Label("", classes="trend-label")
        yield Label("-", classes="trend-today")
        yield Sparkline([], classes="trend-days")
        yield Sparkline([], classes="trend-hours")

    def show(self, trend: Trend) -> None:
        """Draw `trend`."""
        self.query_one(".trend-label", Label).update(Text(trend.label))
        self.query_one(".trend-today", Label).update(Text(trend.today))
        for name, values in (("days", trend.days), ("hours", trend.hours)):
            line = self.query_one(f".trend-{name}", Sparkline)
            line.data = _points(values)
            # No trend without two points: one would draw as a full bar, none as a flat zero.
            line.visible = len(line.data) >= 2


class TrendBoard(Vertical):
    """Every figure of the monitor's metrics panel, under a heading."""

    DEFAULT_CSS = """
    TrendBoard { height: auto; }
    TrendBoard #trend-heading { height: 1; color: $text-muted; }
    TrendBoard #trend-heading Label { width: 1fr; }
    TrendBoard #trend-heading .trend-label { width: 14; }
    TrendBoard #trend-heading .trend-today { width: 11; }
    """

    def __init__(self, keys: Sequence[str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.keys = tuple(keys)

    def compose(self) -> ComposeResult:
        with Horizontal(id="trend-heading"):
            yield Label("FIGURE", classes="trend-label")
            yield Label("TODAY", classes="trend-today")
            yield Label(f"LAST {DAYS} DAYS")
            yield Label("TODAY BY HOUR")
        for key in self.keys:
            yield TrendLine(key)

    def show(self, trends: Sequence[Trend]) -> None:
        """Draw each trend on its line."""
        for trend in trends:
            self.query_one(f"#trend-{trend.key}", TrendLine).show(trend)
