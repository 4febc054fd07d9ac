"""The scenario's clock: light enough to make before the app starts (the database layers
load later, in the boot worker)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta


class ScenarioClock:
    """The scenario's time: it starts at the scenario's `now` and runs `speed` times as fast
    as `monotonic` (the wall clock by default; a test passes its own)."""

    def __init__(
        self, start: datetime, speed: float = 1.0, monotonic: Callable[[], float] | None = None
    ) -> None:
        self.start = start
        self.speed = speed
        self._monotonic = monotonic or time.monotonic
        self._origin = self._monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=(self._monotonic() - self._origin) * self.speed)

    def elapsed(self) -> timedelta:
        """How long the contact has run, in scenario time."""
        return self() - self.start

    def restart(self) -> None:
        """Back to the scenario's start: the contact begins now."""
        self._origin = self._monotonic()
