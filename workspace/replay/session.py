"""One trainee's replay of one scenario: the world it plays in, the customer's turns as the
scenario clock reaches them, the answers file written as the trainee goes, and the report.

The report shown at the end is the score of the answers file as written and read back, so
`caredesk replay SCENARIO --answers FILE` gives the same report later. Safe to call from one
worker at a time (the screen serialises its calls).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from workspace.permissions import UseCase, check
from workspace.replay.answers_file import Files as Files  # re-exported
from workspace.replay.answers_file import answers_text, write_atomically, write_report
from workspace.replay.loading import load_answers
from workspace.replay.model import Scenario
from workspace.replay.scoring import Report, score
from workspace.replay.world import ReplayWorld


class ReplaySession:
    """The trainee's replay, from the first turn to the report."""

    def __init__(
        self,
        world: ReplayWorld,
        clock: Callable[[], datetime],
        trainee: str,
        files: Files,
    ) -> None:
        check(world.scenario.agent.role, UseCase.REPLAY)  # the trainee plays a floor role
        self.world = world
        self.clock = clock
        self.trainee = trainee
        self.files = files
        self._taken: set[str] = set()
        self._closed_at: datetime | None = None
        """When the trainee closed the contact, for a closing the database keeps no time of
        (an escalation)."""
        self.report: Report | None = None
        """Once the replay ended."""
        self._lock = threading.RLock()
        """The screen's workers call in from several threads: one at a time."""

    @property
    def scenario(self) -> Scenario:
        return self.world.scenario

    def started(self) -> None:
        """The contact starts now: the clock's time so far went on building its world."""
        restart = getattr(self.clock, "restart", None)
        if restart is not None:
            restart()

    def due(self) -> list[int]:
        """The turns due now and not yet said (no database read: cheap on every tick)."""
        if self.report is not None:
            return []
        return self.world.due(self.clock() - self.scenario.now, set(self._taken))

    def say(self, turns: list[int]) -> None:
        """Say these turns now, as the customer."""
        with self._lock:
            if self.report is None:
                self.world.say(turns, self.clock())

    def opened(self, ref: str) -> None:
        """The trainee opened the timeline entry `ref`."""
        with self._lock:
            self.world.open(ref, self.clock())
            self.save()

    def changed(self) -> None:
        """The trainee replied or acted: note what was taken, and save."""
        with self._lock:
            self._taken = self.world.taken()
            self.save()

    def closed(self) -> bool:
        """Whether the trainee closed the contact (resolved, escalated or parked it)."""
        with self._lock:
            now = self.clock()
            answers = self.world.answers(self.trainee, closed_at=self._closed_at or now)
            done = any(step.kind == "resolve" for step in answers.steps)
            if done and self._closed_at is None:
                self._closed_at = now
            return done

    def save(self) -> None:
        """Write the answers so far."""
        with self._lock:
            answers = self.world.answers(self.trainee, closed_at=self._closed_at)
            write_atomically(self.files.answers, answers_text(answers))

    def finish(self) -> Report:
        """End the replay: the answers written one last time, read back and scored, and the
        report written beside them."""
        with self._lock:
            if self.report is None:
                self.save()
                self.report = score(self.scenario, load_answers(self.files.answers))
                write_report(self.files.report, self.report.as_json())
            return self.report
