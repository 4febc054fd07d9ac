"""The progress of `caredesk import` and `caredesk demo`, drawn on standard error.

Drawn only when standard error is a terminal: scripts and CI read what a command writes,
so anywhere else nothing at all is drawn. Each phase gets a line, which stays once the
phase is done with the time it took, so a long job shows where its time went.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, ProgressColumn, SpinnerColumn, Task, TaskID, TextColumn
from rich.progress import Progress as Bars
from rich.progress_bar import ProgressBar
from rich.table import Column
from rich.text import Text

from workspace.cli.terminal import raw
from workspace.progress import RECORDS, Progress


def _clock(seconds: float | None) -> str:
    return "-:--:--" if seconds is None else str(timedelta(seconds=max(0, int(seconds))))


#: A phase shorter than this shows no rate: a few records in a blink make a meaningless one.
RATE_AFTER = 0.5


def _records(task: Task) -> int:
    return int(task.fields["records"])


def _fixed() -> Column:
    return Column(no_wrap=True)


class _Bar(BarColumn):
    """The bar; full once the phase is done, whether or not its size was known."""

    def render(self, task: Task) -> ProgressBar:
        bar = super().render(task)
        if task.finished:
            bar.total = bar.completed = 1
        return bar


class _Count(ProgressColumn):
    """How far the phase has got in its unit: `1,200/5,000 records`, `300 lines`, and
    `31% of customers` where the records are counted beside it (to keep the line short)."""

    def render(self, task: Task) -> Text:
        done, unit = int(task.completed), task.fields["unit"]
        if not task.fields["known"] or task.total is None:
            return Text(f"{done:,} {unit}" if done else "")
        if unit != RECORDS:
            return Text(f"{task.percentage:.0f}% of {unit}")
        return Text(f"{done:,}/{int(task.total):,} {unit}")


class _Records(ProgressColumn):
    """The records made so far, in a phase measured in something else (customers)."""

    def render(self, task: Task) -> Text:
        records = _records(task)
        shown = records and task.fields["unit"] != RECORDS
        return Text(f"{records:,} records" if shown else "")


class _Rate(ProgressColumn):
    """Records a second over the phase so far (beside the count of records)."""

    def render(self, task: Task) -> Text:
        records = _records(task)
        elapsed = task.finished_time if task.finished else task.elapsed
        if not records or not elapsed or elapsed < RATE_AFTER:
            return Text("")
        return Text(f"{records / elapsed:,.0f}/s")


class _Time(ProgressColumn):
    """Time left while a phase with a known size runs; otherwise the time it has taken."""

    def render(self, task: Task) -> Text:
        if task.finished:
            return Text(_clock(task.finished_time))
        if task.fields["known"]:
            return Text(f"{_clock(task.time_remaining)} left")
        return Text(_clock(task.elapsed))


class TerminalProgress:
    """A `Progress` drawn on a rich console, a line a phase; use it as a context manager."""

    def __init__(self, console: Console, clock: Callable[[], float] | None = None) -> None:
        """`clock` gives the time in seconds (tests pass their own)."""
        self.bars = Bars(
            SpinnerColumn(finished_text=Text("✓", style="green"), table_column=_fixed()),
            TextColumn("{task.description}", table_column=_fixed()),
            _Bar(bar_width=None, table_column=Column(ratio=1, min_width=4)),
            _Count(table_column=_fixed()),
            _Records(table_column=_fixed()),
            _Rate(table_column=_fixed()),
            _Time(table_column=_fixed()),
            console=console,
            redirect_stdout=False,  # standard output is the command's own, not the display's
            refresh_per_second=8,
            expand=True,  # the bar takes the width the text leaves
            get_time=clock,
        )
        self.task: TaskID | None = None

    def __enter__(self) -> TerminalProgress:
        self.bars.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.bars.stop()

    def _current(self) -> tuple[TaskID, Task]:
        if self.task is None:
            raise RuntimeError("no phase has started")
        return self.task, self.bars.tasks[self.task]

    def started(self, phase: str, total: int | None = None, unit: str = RECORDS) -> None:
        """Add a line for `phase`."""
        known = total is not None
        self.task = self.bars.add_task(phase, total=total, unit=unit, known=known, records=0)

    def advanced(self, n: int, records: int | None = None) -> None:
        """Move the current phase on."""
        task_id, task = self._current()
        if records is None:
            records = n if task.fields["unit"] == RECORDS else 0
        self.bars.update(task_id, advance=n, records=_records(task) + records)

    def finished(self, phase: str) -> None:
        """Mark the current phase done: a full bar and the time it took."""
        task_id, task = self._current()
        total = task.total if task.fields["known"] and task.total is not None else task.completed
        completed = max(task.completed, total)
        self.bars.update(task_id, total=completed, completed=completed)
        self.bars.stop_task(task_id)


@contextmanager
def shown(stream: TextIO | None = None) -> Iterator[Progress | None]:
    """A progress drawn on `stream` (standard error) if it is a terminal; None, and nothing
    drawn, if it is not."""
    # Rich draws with control sequences of its own: on the terminal itself, not through the
    # guard that makes what commands write inert (`workspace.cli.terminal`).
    stream = raw(sys.stderr if stream is None else stream)
    if not stream.isatty():
        yield None
        return
    with TerminalProgress(Console(file=stream)) as progress:
        yield progress
