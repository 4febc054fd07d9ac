"""Times as an agent reads them: stored in UTC, shown in the local zone."""

from __future__ import annotations

from datetime import UTC, date, datetime


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
