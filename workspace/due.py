"""When a follow-up is due, as an agent types it: light enough for the form that asks, which
loads before the database layers do."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from workspace.errors import CareDeskError
from workspace.timefmt import local, parse_duration

LONGEST_AHEAD = timedelta(days=366)
"""A promise further ahead than this is a typing mistake."""


class FollowUpInputError(CareDeskError):
    """A follow-up the agent asked for cannot be made as typed."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


_CLOCK = re.compile(r"^(?:(today|tomorrow)\s+)?(\d{1,2}):(\d{2})$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2}))?$")


def parse_due(text: str, now: datetime) -> datetime:
    """When a follow-up is due, as an agent types it: `in 2h` / `2h` / `1d4h` (from now),
    `14:30` (the next 14:30, local time), `tomorrow 9:00`, `2026-12-08 14:30` or
    `2026-12-08` (9:00 local). Raises `FollowUpInputError` naming what is expected."""
    raw = " ".join(text.lower().split())
    expected = (
        f"{text.strip()!r} is not a time; type a delay (in 2h, 30m, 1d), a time of day "
        "(14:30, tomorrow 9:00) or a date (2026-12-08 14:30)"
    )
    if not raw:
        raise FollowUpInputError(
            "say when the follow-up is due (in 2h, 14:30, tomorrow 9:00)", "due"
        )
    here = local(now)
    due: datetime | None = None
    if (span := parse_duration(raw.removeprefix("in "))) is not None:
        due = now + span
    elif m := _CLOCK.match(raw):
        day_word, hour, minute = m.group(1), int(m.group(2)), int(m.group(3))
        if hour > 23 or minute > 59:
            raise FollowUpInputError(expected, "due")
        due = here.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if day_word == "tomorrow":
            due += timedelta(days=1)
        elif day_word is None and due <= here:
            due += timedelta(days=1)  # 09:00 typed at 17:00 means tomorrow's
    elif m := _DATE.match(raw):
        try:
            due = here.replace(
                year=int(m.group(1)),
                month=int(m.group(2)),
                day=int(m.group(3)),
                hour=int(m.group(4) or 9),
                minute=int(m.group(5) or 0),
                second=0,
                microsecond=0,
            )
        except ValueError:
            raise FollowUpInputError(expected, "due") from None
    if due is None:
        raise FollowUpInputError(expected, "due")
    if due <= now:
        raise FollowUpInputError(
            f"{text.strip()!r} is in the past; a follow-up is due later", "due"
        )
    if due - now > LONGEST_AHEAD:
        raise FollowUpInputError(f"{text.strip()!r} is more than a year away", "due")
    return due.astimezone(now.tzinfo)
