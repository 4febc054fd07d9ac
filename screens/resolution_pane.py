"""The resolution pane: the contact being worked, the reply box, and (later) the actions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.worker import Worker

from screens.disposition import DispositionScreen
from screens.keys import key_of
from screens.pane import Pane
from storage.records import QueueRow
from widgets.composer import Composer
from widgets.contact_bar import ContactBar
from workspace.text import one_line


class ResolutionPane(Pane):
    """Acts on the contact under the queue's cursor, and only if the agent holds it.

    The reply box keeps one draft per held contact; a draft is sent to the contact it was
    written for, with the draft's idempotency key, so a double press stores it once.
    """

    class Closed(Message):
        """The agent resolved or released `row`: the queue moves on."""

        def __init__(self, row: QueueRow) -> None:
            super().__init__()
            self.row = row

    class Written(Message):
        """A reply or note was stored on the contact `ticket_id`."""

        def __init__(self, ticket_id: str) -> None:
            super().__init__()
            self.ticket_id = ticket_id

    def __init__(self, *, clock: Callable[[], datetime]) -> None:
        super().__init__(id="resolution-pane", clock=clock)
        self.row: QueueRow | None = None

    def compose(self) -> ComposeResult:
        yield ContactBar(id="contact-bar")
        yield Composer(id="composer")
        # Policy-bounded actions (discount, refund, replacement…) mount here.
        yield Vertical(id="actions")

    def on_mount(self) -> None:
        self.border_title = "Resolution"
        app = self.app
        self.composer.set_keys(
            key_of(app, "composer.send", "ctrl+s"), key_of(app, "composer.toggle", "ctrl+t")
        )
        self.query_one(ContactBar).keys = {
            "claim": key_of(app, "queue.claim", "enter"),
            "next": key_of(app, "workspace.next", "n"),
            "resolve": key_of(app, "workspace.resolve", "r"),
            "release": key_of(app, "workspace.release", "x"),
        }

    @property
    def composer(self) -> Composer:
        """The reply box."""
        return self.query_one(Composer)

    def show_contact(self, row: QueueRow | None) -> None:
        """Work on `row` from now on; the reply box writes for it only if the agent holds it."""
        self.row = row
        me = self.desk.agent.id if self.desk else None
        self.query_one(ContactBar).show(row, me, self.clock())
        self.composer.bind(row.id if row is not None and self._holds(row) else None)

    def _holds(self, row: QueueRow) -> bool:
        return self.desk is not None and row.holder_id == self.desk.agent.id and row.active

    def _held(self) -> QueueRow | None:
        if self.row is None or not self._holds(self.row):
            self.tell("Claim the contact first (enter on the queue).", severity="warning")
            return None
        return self.row

    def failed(self, worker: Worker[object]) -> None:
        if worker.name == "send":
            self.composer.failed()

    # -- the conversation -------------------------------------------------------------------

    @on(Composer.Submitted)
    def _submitted(self, event: Composer.Submitted) -> None:
        event.stop()
        if event.ticket_id is None:
            self.composer.failed()
            self.tell("Claim the contact first (enter on the queue).", severity="warning")
            return
        self.send(event.ticket_id, event.text, event.note, event.key)

    @work(thread=True, group="write", name="send", exit_on_error=False)
    def send(self, ticket_id: str, text: str, note: bool, key: str) -> None:
        assert self.desk is not None
        self.desk.write(ticket_id, text, note=note, key=key)
        self.app.call_from_thread(self._sent, ticket_id, note)

    def _sent(self, ticket_id: str, note: bool) -> None:
        self.composer.sent(ticket_id)
        self.tell("Note saved." if note else f"Reply sent on {one_line(ticket_id)}.")
        self.post_message(self.Written(ticket_id))

    # -- closing ----------------------------------------------------------------------------

    def resolve(self) -> None:
        """Ask for a disposition, then close the held contact with it."""
        row = self._held()
        if row is not None:
            self.app.push_screen(DispositionScreen(row.id), lambda d: self._disposed(row, d))

    def _disposed(self, row: QueueRow, disposition: str | None) -> None:
        if disposition:
            self.close(row, disposition)

    def release(self) -> None:
        """Hand the held contact back to the queue."""
        row = self._held()
        if row is not None:
            self.close(row, None)

    @work(thread=True, group="write", exit_on_error=False)
    def close(self, row: QueueRow, disposition: str | None) -> None:
        assert self.desk is not None
        if disposition is None:
            self.desk.release(row.id)
            message = f"{one_line(row.id)} is back in the queue."
        else:
            self.desk.resolve(row.id, disposition)
            message = f"{one_line(row.id)} closed as {disposition}."
        self.app.call_from_thread(self._did_close, row, message)

    def _did_close(self, row: QueueRow, message: str) -> None:
        self.tell(message)
        self.post_message(self.Closed(row))
