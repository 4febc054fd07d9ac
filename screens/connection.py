"""The database going away and coming back: a banner while it is gone, and a watch that
asks it every few seconds until it answers again."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import work
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static
from textual.worker import Worker, WorkerState

#: Seconds between tries while the database is gone.
RETRY_EVERY = 3.0


class DatabaseLost(Message):
    """Work failed because the database did not answer (posted by whatever found out)."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason
        """What the database said, in one line, for the banner."""


class DatabaseBack(Message):
    """The database answers again: reload what was shown."""


class ConnectionWatch(Static):
    """Hidden while the database answers; while it does not, a one-line banner saying so
    (and that nothing typed is lost) and a worker that pings it until it is back."""

    DEFAULT_CSS = """
    ConnectionWatch {
        display: none; height: 1; padding: 0 1;
        background: $error; color: $text; text-style: bold;
    }
    ConnectionWatch.-lost { display: block; }
    """

    def __init__(
        self,
        *,
        retry_every: float = RETRY_EVERY,
        kept: str = "everything you typed is kept",
        id: str | None = None,
    ) -> None:
        super().__init__("", id=id)
        self.retry_every = retry_every
        self.kept = kept
        """What the banner says is safe meanwhile (a read-only screen has nothing typed)."""
        self.ping: Callable[[], None] | None = None
        """Asks the database one trivial question; set once the session has a database."""
        self._timer: Timer | None = None

    @property
    def lost(self) -> bool:
        """Whether the database is gone as far as this session knows."""
        return self.has_class("-lost")

    def database_lost(self, reason: str) -> None:
        """Show the banner and start asking the database until it answers."""
        self.update(
            Text(
                f"Lost the database; {self.kept}; trying again every "
                f"{self.retry_every:g} s. ({reason})",
                no_wrap=True,
                overflow="ellipsis",
            )
        )
        if self.lost:
            return
        self.add_class("-lost")
        self._timer = self.set_interval(self.retry_every, self._try)

    def _try(self) -> None:
        if self.ping is not None:
            self._ping(self.ping)

    @work(thread=True, exclusive=True, group="connection.ping", exit_on_error=False)
    def _ping(self, ping: Callable[[], None]) -> None:
        ping()
        self.app.call_from_thread(self._back)

    def _back(self) -> None:
        if not self.lost:
            return
        self.remove_class("-lost")
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.post_message(DatabaseBack())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A ping that fails is expected while the database is gone: the next one follows."""
        if event.state == WorkerState.ERROR:
            self.log.info(f"database still away: {event.worker.error}")
