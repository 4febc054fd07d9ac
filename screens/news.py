"""The news watcher: decisions on the agent's requests, and (for supervisors) how many
requests wait, looked for every few seconds and posted to the screen."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from screens.connection import DatabaseLost
from workspace.action_view import ActionRecord
from workspace.errors import database_lost, describe_failure, failure_reason
from workspace.text import one_line

if TYPE_CHECKING:  # the database layers load in the boot worker, after the first frame
    from workspace.agents import AgentRecord
    from workspace.approvals import News
    from workspace.workbench import Workbench


def identity(agent: AgentRecord, waiting: int | None, key: str) -> str:
    """Who works here, and for a supervisor how many requests wait (and the key to them)."""
    who = f"{agent.display_name} ({agent.role})"
    if waiting is None:
        title = who
    elif waiting:
        # First: on an 80-column terminal the end of the title is cut.
        title = f"{waiting:,} to approve ({key}) · {who}"
    else:
        title = f"{who} · none to approve"
    return one_line(title)


class NewsWatcher(Widget):
    """Looks for news in a worker that only reads; what was told is remembered (for the next
    session) by a write of its own, after the screen has told it."""

    DEFAULT_CSS = "NewsWatcher { display: none; }"

    class Decided(Message):
        """Requests of this agent's were decided since the last look: tell them once."""

        def __init__(self, records: list[ActionRecord]) -> None:
            super().__init__()
            self.records = records

    class Waiting(Message):
        """How many requests wait for a supervisor (looked for supervisors only)."""

        def __init__(self, count: int) -> None:
            super().__init__()
            self.count = count

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, NewsWatcher.Waiting)

    def __init__(self) -> None:
        super().__init__()
        self.bench: Workbench | None = None
        self._seen: datetime | None = None
        """Decisions up to here were told (None: ask the database what an earlier session
        told)."""
        self._told: set[int] = set()
        """Requests whose decision was told (decisions at the mark come again)."""
        self._failure: str | None = None
        """The last failure told, so a look failing every few seconds is told once."""

    def start(self, bench: Workbench) -> None:
        """Look now; the live feed asks for the next look when a request changes."""
        self.bench = bench
        self.look()

    @work(thread=True, exclusive=True, group="news.look", exit_on_error=False)
    def look(self) -> None:
        """Read the news (nothing is written here)."""
        bench = self.bench
        if bench is None:
            return
        news = bench.approvals.news(self._seen)
        waiting = bench.reading.count_waiting() if bench.agent.can_approve else None
        self.app.call_from_thread(self._found, news, waiting)

    def _found(self, news: News, waiting: int | None) -> None:
        self._failure = None
        self._seen = news.mark
        fresh = [r for r in news.decided if r.id not in self._told]
        self._told.update(r.id for r in fresh)
        if fresh:
            self.post_message(self.Decided(fresh))
        if waiting is not None:
            self.post_message(self.Waiting(waiting))
        if fresh:
            # What was told is behind the next session's mark (`>=` would tell it again).
            self.remember(news.mark + timedelta(microseconds=1))
        elif news.unmarked:
            self.remember(news.mark)

    @work(thread=True, group="news.told", exit_on_error=False)
    def remember(self, upto: datetime) -> None:
        """Store that decisions up to `upto` were told, for the agent's next session."""
        if self.bench is not None:
            self.bench.approvals.told(upto)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed look is tried again at the next one; a lost database is the screen's to
        show, and anything else is told once."""
        error = event.worker.error
        if event.state != WorkerState.ERROR or error is None:
            return
        message = describe_failure(error)
        if database_lost(error):
            self.post_message(DatabaseLost(failure_reason(error)))
            return
        self.log.error(f"{event.worker.name} failed", error)
        if message != self._failure:
            self._failure = message
            self.notify(message, title="News not loaded", severity="error", markup=False)
