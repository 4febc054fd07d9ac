"""Today's figures on the monitor, each with its trend over the day's hours and the last 14
days: the same report (`workspace.reporting.report`) over shorter periods.

A finished hour or day never changes its figures once it is over (what happened in it is
stored), so each is computed once and kept; only the current hour and today are computed
again at each refresh. A wallboard left on all day costs two reports a refresh, not
thirty-eight.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from workspace.metrics import LABELS, Figures, Period, shown

if TYPE_CHECKING:  # the screen imports this module before the database layers are loaded
    from storage.engine import Reader

DAYS = 14
"""Days of the daily trend, today included."""

SHOWN: tuple[str, ...] = (
    "csat_percent",
    "nps",
    "ces_mean",
    "fcr_percent",
    "frt_median_s",
    "aht_mean_s",
    "sla_attainment_percent",
    "contacts_opened",
    "contacts_closed",
    "backlog",
    "compensation_total",
)
"""The figures the monitor shows, in the spec's order (approvals waiting has its panel)."""

_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Trend:
    """One figure: today's value as shown, and its values hour by hour and day by day."""

    key: str
    """The figure's key in specs/metrics.md."""
    label: str
    """Its name on screen."""
    today: str
    """Today's value as shown (`-` when there is no data)."""
    hours: tuple[float | None, ...]
    """Each hour of today so far, oldest first (None: no data that hour)."""
    days: tuple[float | None, ...]
    """Each of the last `DAYS` days, today last."""


def _value(figures: Figures, key: str) -> float | None:
    value = getattr(figures, key)
    if value is None:
        return None
    return float(value)


def day_start(moment: datetime) -> datetime:
    """Midnight UTC of `moment`'s day."""
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


class Trends:
    """Keeps the figures of finished hours and days; safe from one worker at a time."""

    def __init__(self, db: Reader, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock
        self._kept: dict[tuple[datetime, datetime], Figures] = {}

    def read(self, *, history: bool = True) -> list[Trend]:
        """Every figure of `SHOWN`: today's, by hour today and by day for `DAYS` days;
        without `history`, today's alone (one report: what a wallboard shows first)."""
        now = self.clock()
        today = day_start(now)
        hours = [today + _HOUR * n for n in range(int((now - today) / _HOUR) + 1)]
        days = [today - _DAY * n for n in range(DAYS - 1, -1, -1)]
        if not history:
            hours, days = [], [today]
        by_hour = [self._team(h, h + _HOUR, now) for h in hours if h < now]
        by_day = [self._team(d, d + _DAY, now) for d in days]
        current = by_day[-1]
        return [
            Trend(
                key=key,
                label=LABELS[key],
                today=shown(key, getattr(current, key)),
                hours=tuple(_value(f, key) for f in by_hour),
                days=tuple(_value(f, key) for f in by_day),
            )
            for key in SHOWN
        ]

    def _team(self, since: datetime, until: datetime, now: datetime) -> Figures:
        key = (since, until)
        kept = self._kept.get(key)
        if kept is not None:
            return kept
        end = min(until, now)
        if end <= since:
            return Figures()
        from workspace.reporting import report

        figures = report(self.db, Period(since, end)).total
        if until <= now:
            self._kept[key] = figures
        return figures
