"""Processes that act at once: each a workspace of its own, released together.

Every measurement that needs many workspaces at the same moment (claims, the live feed)
starts them here: spawned, so no engine or connection crosses a fork; each connects and
prepares, then waits at one barrier with the parent, so the clock starts when all are
ready. Each process puts one report on a queue; a process that fails reports its
traceback instead and breaks the barrier, so the parent fails at once rather than waiting.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.synchronize import Barrier, Event
from types import TracebackType
from typing import Any, NoReturn

from benchmarks.common import BenchmarkError

#: Seconds to wait for the processes to start, and then for each report.
TIMEOUT = 600.0


class Signals:
    """What a member of the crew is handed besides its own arguments."""

    def __init__(self, barrier: Barrier, stop: Event) -> None:
        self._barrier = barrier
        self.stop = stop
        """Set by the parent when the members that run until told should finish."""

    def ready(self) -> None:
        """Wait here until every member (and the parent) is ready: the clock starts."""
        self._barrier.wait(TIMEOUT)


def _member(
    target: Callable[..., Any],
    index: int,
    args: tuple[Any, ...],
    barrier: Barrier,
    stop: Event,
    reports: Any,  # a multiprocessing queue
) -> None:
    try:
        report = target(*args, Signals(barrier, stop))
    except BaseException:
        barrier.abort()
        reports.put((index, False, traceback.format_exc()))
        raise
    reports.put((index, True, report))


class Crew:
    """Start `members` (each a target and its arguments; the target is called with them
    and a `Signals` last) as processes; `release` starts the clock, `reports` gathers what
    each returned, in member order."""

    def __init__(self, members: Sequence[tuple[Callable[..., Any], tuple[Any, ...]]]) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._barrier = ctx.Barrier(len(members) + 1)
        self._stop = ctx.Event()
        self._queue = ctx.Queue()
        self._processes = [
            ctx.Process(
                target=_member,
                args=(target, i, args, self._barrier, self._stop, self._queue),
                daemon=True,
            )
            for i, (target, args) in enumerate(members)
        ]
        self._got: dict[int, Any] = {}

    def __enter__(self) -> Crew:
        for process in self._processes:
            process.start()
        return self

    def release(self) -> None:
        """Wait until every member is ready, then let them all go at once."""
        try:
            self._barrier.wait(TIMEOUT)
        except threading.BrokenBarrierError as error:
            self._raise_failure(error)

    def stop(self) -> None:
        """Tell the members that run until told to finish."""
        self._stop.set()

    def report(self, index: int) -> Any:
        """What member `index` returned (waiting for it)."""
        while index not in self._got:
            self._receive()
        return self._got[index]

    def reports(self) -> list[Any]:
        """What every member returned, in member order (waiting for all)."""
        return [self.report(i) for i in range(len(self._processes))]

    def _receive(self) -> None:
        try:
            index, ok, report = self._queue.get(timeout=TIMEOUT)
        except queue.Empty as error:
            self._raise_failure(error)
        if not ok:
            raise BenchmarkError(f"a benchmark process failed:\n{report}")
        self._got[index] = report

    def _raise_failure(self, error: Exception) -> NoReturn:
        """A member broke the barrier or went silent: raise its traceback if it sent one."""
        while True:
            try:
                _, ok, report = self._queue.get(timeout=5.0)
            except queue.Empty:
                break
            if not ok:
                raise BenchmarkError(f"a benchmark process failed:\n{report}") from error
        raise BenchmarkError(f"the benchmark processes failed: {error!r}") from error

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        for process in self._processes:
            if kind is not None:
                process.terminate()
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
