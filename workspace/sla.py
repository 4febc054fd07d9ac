"""Service levels: the team's targets, when a contact's SLA is breached, and how urgent it
looks now."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from workspace.vocabulary import Channel, Priority


def _minutes(urgent: int, high: int, normal: int, low: int) -> dict[str, int]:
    return dict(zip(Priority, (urgent, high, normal, low), strict=True))


#: CareDesk's own targets by channel and priority (minutes), in effect until a team installs
#: its configuration (`caredesk config install`): first response and resolution alike.
SLA_MINUTES: dict[str, dict[str, int]] = {
    Channel.CALL: _minutes(2, 5, 10, 20),
    Channel.CHAT: _minutes(5, 10, 20, 45),
    Channel.SMS: _minutes(30, 60, 240, 480),
    Channel.SOCIAL: _minutes(30, 60, 240, 480),
    Channel.EMAIL: _minutes(120, 480, 1440, 2880),
}


@dataclass(frozen=True)
class Target:
    """The service level of one channel and priority."""

    first_response: timedelta
    """How soon after it opens a contact gets its first reply."""
    resolution: timedelta
    """How soon after it opens a contact is resolved: its `sla_due_at`, the queue's order."""


@dataclass(frozen=True)
class ServiceLevels:
    """The targets for every channel and priority."""

    targets: Mapping[tuple[Channel, Priority], Target]
    """By (channel, priority); every pair has one."""

    def target(self, channel: str, priority: str) -> Target:
        """The target of `channel` and `priority`; a word no channel (or priority) spells
        takes email's (or normal's), the most lenient of the everyday ones."""
        known_channel = channel if channel in _CHANNELS else Channel.EMAIL
        known_priority = priority if priority in _PRIORITIES else Priority.NORMAL
        return self.targets[Channel(known_channel), Priority(known_priority)]

    def resolution_due(self, channel: str, priority: str, opened_at: datetime) -> datetime:
        """When a contact opened at `opened_at` breaches its SLA (its `sla_due_at`)."""
        return opened_at + self.target(channel, priority).resolution

    def first_response_due(self, channel: str, priority: str, opened_at: datetime) -> datetime:
        """When a contact opened at `opened_at` is late for its first reply."""
        return opened_at + self.target(channel, priority).first_response


_CHANNELS = frozenset(Channel)
_PRIORITIES = frozenset(Priority)

DEFAULT_LEVELS = ServiceLevels(
    MappingProxyType(
        {
            (Channel(channel), Priority(priority)): Target(
                timedelta(minutes=m), timedelta(minutes=m)
            )
            for channel, by_priority in SLA_MINUTES.items()
            for priority, m in by_priority.items()
        }
    )
)
"""CareDesk's own service levels (`SLA_MINUTES`), in effect until a team installs its own."""


#: Under this much time left, a contact is at risk.
AT_RISK = timedelta(minutes=15)


class SlaLevel(StrEnum):
    """How close a contact is to breaching its SLA."""

    BREACHED = "breached"
    AT_RISK = "at_risk"
    OK = "ok"
    PAUSED = "paused"
    """Parked waiting on the customer: the clock stands still."""
    DONE = "done"


@dataclass(frozen=True)
class SlaState:
    """A contact's SLA as the queue shows it."""

    level: SlaLevel
    """breached, at_risk, ok, paused (parked) or done (resolved)."""
    remaining_s: int
    """Seconds until breach (negative once breached); for a parked contact, what was left
    when it was parked."""
    text: str
    """Readable without colour: `12m left`, `BREACHED 3m`, `paused 12m left`, `done`."""


def sla_due(
    channel: str, priority: str, opened_at: datetime, levels: ServiceLevels = DEFAULT_LEVELS
) -> datetime:
    """When a contact opened at `opened_at` breaches its SLA, by channel and priority, under
    `levels` (the team's, from `team_config.in_effect`; CareDesk's own by default)."""
    return levels.resolution_due(channel, priority, opened_at)


def resumed_due(due: datetime, parked_at: datetime | None, now: datetime) -> datetime:
    """The SLA due time of a contact parked at `parked_at` and back in the queue at `now`:
    later by the time it waited on the customer (a clock that never ran backwards)."""
    if parked_at is None or now <= parked_at:
        return due
    return due + (now - parked_at)


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


def sla_state(
    due: datetime,
    now: datetime,
    *,
    resolved: bool = False,
    parked_at: datetime | None = None,
    resolved_at: datetime | None = None,
) -> SlaState:
    """The SLA state of a contact due at `due`, seen at `now`; one parked since `parked_at`
    shows what it had left then, and its clock does not run. A contact resolved at
    `resolved_at` says whether it met its SLA (`done, met`) or by how much it missed it
    (`done 2h05m late`); `done` alone when the time is not known."""
    if resolved:
        if resolved_at is None:
            return SlaState(SlaLevel.DONE, int((due - now).total_seconds()), "done")
        margin = int((due - resolved_at).total_seconds())
        text = "done, met" if margin >= 0 else f"done {format_duration(margin)} late"
        return SlaState(SlaLevel.DONE, margin, text)
    if parked_at is not None:
        left = int((due - parked_at).total_seconds())
        text = f"paused {format_duration(left)} left" if left >= 0 else "paused, breached"
        return SlaState(SlaLevel.PAUSED, left, text)
    remaining = int((due - now).total_seconds())
    if remaining < 0:
        return SlaState(SlaLevel.BREACHED, remaining, f"BREACHED {format_duration(remaining)}")
    level = SlaLevel.AT_RISK if remaining <= AT_RISK.total_seconds() else SlaLevel.OK
    prefix = "! " if level is SlaLevel.AT_RISK else ""
    return SlaState(level, remaining, f"{prefix}{format_duration(remaining)} left")
