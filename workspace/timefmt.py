"""Times as an agent reads them: stored in UTC, shown in the local zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (the default clock everywhere)."""
    return datetime.now(UTC)


def local(dt: datetime) -> datetime:
    """`dt` in the machine's local zone."""
    return dt.astimezone()


def when(dt: datetime, now: datetime) -> str:
    """A short local timestamp: `14:05` today, `Nov 04 14:05` this year, else with the year."""
    here, today = local(dt), local(now)
    if here.date() == today.date():
        return here.strftime("%H:%M")
    if here.year == today.year:
        return here.strftime("%b %d %H:%M")
    return here.strftime("%Y-%m-%d")


def full(dt: datetime) -> str:
    """A full local timestamp with its zone, for detail views."""
    return local(dt).strftime("%Y-%m-%d %H:%M %Z")


def day(d: date | None) -> str:
    """A date, or a dash when unknown."""
    return d.isoformat() if d else "-"


_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str) -> timedelta | None:
    """`90s`, `30m`, `4h`, `1d12h`, `1h30m` as a duration; None for anything else (a bare
    number, `1:30`, a unit repeated or out of order)."""
    seconds, rest, order = 0, text.strip(), "dhms"
    if not rest:
        return None
    while rest:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        if digits == 0 or digits > 6 or digits == len(rest):
            return None
        unit = rest[digits]
        if unit not in order:
            return None
        order = order[order.index(unit) + 1 :]
        seconds += int(rest[:digits]) * _UNITS[unit]
        rest = rest[digits + 1 :]
    return timedelta(seconds=seconds)
