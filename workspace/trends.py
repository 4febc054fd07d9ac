"""Today's figures on the monitor, each with its trend over the day's hours and the last 14
days: the same report (`workspace.reporting`) over shorter periods.

What happened in a finished period is stored, so its facts are read once and kept: today's
finished hours, and the finished five-minute slices of the current hour, so that a refresh
reads only the last few minutes (a busy hour's first replies are thousands of rows, and read
again at every refresh they cost more than every other panel together). Today's figures are
computed from those facts put together (every fact of a period is a row or a tally of it, so
the day's are exactly its parts'; backlog and approvals waiting are counted at the end of the
period, now). When an hour ends its slices become the hour. Earlier days are kept as figures.
A wallboard left on all day costs one slice's read a refresh.

Some figures of a finished period still move afterwards: first contact resolution looks 7
days past each close, and a contact can be reopened. So what is kept is read again once it
is `REREAD` old, one period a refresh, oldest first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from workspace.metrics import LABELS, Facts, Figures, Period, figures, shown

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

REREAD = timedelta(minutes=30)
"""How long a finished period's figures are kept before they are read again."""

SLICE = timedelta(minutes=5)
"""The finished parts of the current hour kept as they end (an hour holds a whole number)."""

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


@dataclass(frozen=True)
class _Kept:
    """A finished period as read: its facts (today's hours) or only its figures."""

    figures: Figures
    facts: Facts | None
    read_at: datetime


def _joined(parts: list[Facts], last: Facts) -> Facts:
    """The facts of consecutive periods as one, `last` the latest (what is counted at the
    end of a period, backlog and approvals waiting, is the latest's)."""
    every = [*parts, last]
    return replace(
        last,
        closed=[c for f in every for c in f.closed],
        responses=[r for f in every for r in f.responses],
        surveys=[v for f in every for v in f.surveys],
        opened=[t for f in every for t in f.opened],
        given=[t for f in every for t in f.given],
    )


class Trends:
    """Keeps the facts of today's finished hours and the figures of finished days; safe
    from one worker at a time."""

    def __init__(self, db: Reader, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock
        self._kept: dict[tuple[datetime, datetime], _Kept] = {}

    def read(self, *, history: bool = True) -> list[Trend]:
        """Every figure of `SHOWN`: today's, by hour today and by day for `DAYS` days;
        without `history`, today's alone (one read: what a wallboard shows first)."""
        now = self.clock()
        today = day_start(now)
        if not history:
            current = figures(self._gather(today, now))
            return self._trends(current, [], [current])
        hour = now.replace(minute=0, second=0, microsecond=0)
        part = hour + SLICE * int((now - hour) / SLICE)
        self._forget(now, today)
        finished = [self._hour(h, now) for h in _steps(today, hour, _HOUR)]
        self._drop_slices(before=hour)
        slices = [
            self._finished(s, s + SLICE, now, keep_facts=True) for s in _steps(hour, part, SLICE)
        ]
        kept = [k.facts for k in [*finished, *slices] if k.facts is not None]
        if now > part:
            tail = self._gather(part, now)
        else:  # on a boundary: what is counted at the end of the last part is counted now
            end = kept[-1] if kept else None
            tail = Facts() if end is None else Facts(backlog=end.backlog, waiting=end.waiting)
        by_hour = [k.figures for k in finished]
        if now > hour:
            by_hour.append(figures(_joined([k.facts for k in slices if k.facts], tail)))
        current = figures(_joined(kept, tail))
        days = [today - _DAY * n for n in range(DAYS - 1, 0, -1)]
        by_day = [self._finished(d, d + _DAY, now).figures for d in days] + [current]
        return self._trends(current, by_hour, by_day)

    def _trends(
        self, current: Figures, by_hour: list[Figures], by_day: list[Figures]
    ) -> list[Trend]:
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

    def _gather(self, since: datetime, until: datetime) -> Facts:
        from workspace.reporting import gather

        return gather(self.db, Period(since, until))

    def _finished(
        self, since: datetime, until: datetime, now: datetime, *, keep_facts: bool = False
    ) -> _Kept:
        key = (since, until)
        kept = self._kept.get(key)
        if kept is None:
            facts = self._gather(since, until)
            kept = _Kept(figures(facts), facts if keep_facts else None, now)
            self._kept[key] = kept
        return kept

    def _hour(self, since: datetime, now: datetime) -> _Kept:
        """A finished hour of today: kept, or put together from its slices when some were
        kept while it ran (those missing are read), or read whole."""
        key = (since, since + _HOUR)
        if key not in self._kept:
            starts = _steps(since, since + _HOUR, SLICE)
            if any((s, s + SLICE) in self._kept for s in starts):
                parts = [self._finished(s, s + SLICE, now, keep_facts=True) for s in starts]
                facts = [k.facts for k in parts if k.facts is not None]
                whole = _joined(facts[:-1], facts[-1])
                self._kept[key] = _Kept(figures(whole), whole, min(k.read_at for k in parts))
        return self._finished(*key, now, keep_facts=True)

    def _drop_slices(self, *, before: datetime) -> None:
        """Forget the slices of hours that have ended (their hour holds them now)."""
        for key in [k for k in self._kept if k[1] - k[0] == SLICE and k[0] < before]:
            del self._kept[key]

    def _forget(self, now: datetime, today: datetime) -> None:
        """Drop what is no longer shown (yesterday's hours, days out of the trend), and the
        one kept period read longest ago if it is `REREAD` old."""
        oldest = today - _DAY * (DAYS - 1)
        for key in [
            k for k in self._kept if k[0] < oldest or (k[1] - k[0] <= _HOUR and k[0] < today)
        ]:
            del self._kept[key]
        stale = min(self._kept.items(), key=lambda item: item[1].read_at, default=None)
        if stale is not None and now - stale[1].read_at >= REREAD:
            del self._kept[stale[0]]


def _steps(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    """The start of each whole `step` from `start` before `end`."""
    return [start + step * n for n in range(int((end - start) / step))]
