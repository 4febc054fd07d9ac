"""Service levels: when a contact's SLA is breached, and how urgent it looks now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from workspace.vocabulary import Channel, Priority


def _minutes(urgent: int, high: int, normal: int, low: int) -> dict[str, int]:
    return dict(zip(Priority, (urgent, high, normal, low), strict=True))


#: Time to first resolution by channel and priority (minutes), used when a source gives none.
SLA_MINUTES: dict[str, dict[str, int]] = {
    Channel.CALL: _minutes(2, 5, 10, 20),
    Channel.CHAT: _minutes(5, 10, 20, 45),
    Channel.SMS: _minutes(30, 60, 240, 480),
    Channel.SOCIAL: _minutes(30, 60, 240, 480),
    Channel.EMAIL: _minutes(120, 480, 1440, 2880),
}

#: Under this much time left, a contact is at risk.
AT_RISK = timedelta(minutes=15)


class SlaLevel(StrEnum):
    """How close a contact is to breaching its SLA."""

    BREACHED = "breached"
    AT_RISK = "at_risk"
    OK = "ok"
    DONE = "done"


@dataclass(frozen=True)
class SlaState:
    """A contact's SLA as the queue shows it."""

    level: SlaLevel
    """breached, at_risk, ok, or done (resolved)."""
    remaining_s: int
    """Seconds until breach (negative once breached)."""
    text: str
    """Readable without colour: `12m left`, `BREACHED 3m`, `done`."""


def sla_due(channel: str, priority: str, opened_at: datetime) -> datetime:
    """When a contact opened at `opened_at` breaches its SLA, by channel and priority."""
    minutes = SLA_MINUTES.get(channel, SLA_MINUTES[Channel.EMAIL]).get(priority, 60)
    return opened_at + timedelta(minutes=minutes)


def format_duration(seconds: int) -> str:
    """A compact duration: `45s`, `12m`, `3h05m`, `2d04h`."""
    seconds = abs(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def sla_state(due: datetime, now: datetime, *, resolved: bool = False) -> SlaState:
    """The SLA state of a contact due at `due`, seen at `now`."""
    remaining = int((due - now).total_seconds())
    if resolved:
        return SlaState(SlaLevel.DONE, remaining, "done")
    if remaining < 0:
        return SlaState(SlaLevel.BREACHED, remaining, f"BREACHED {format_duration(remaining)}")
    level = SlaLevel.AT_RISK if remaining <= AT_RISK.total_seconds() else SlaLevel.OK
    prefix = "! " if level is SlaLevel.AT_RISK else ""
    return SlaState(level, remaining, f"{prefix}{format_duration(remaining)} left")
