"""The resolution pane: the contact being worked, the reply box, and the actions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.worker import Worker

from screens.action_form import ActionFormScreen, ActionTarget
from screens.disposition import DispositionScreen
from screens.keys import key_of
from screens.pane import Pane
from screens.saved_replies import SavedRepliesScreen
from widgets.action_strip import ActionStrip
from widgets.composer import Composer
from widgets.contact_bar import ContactBar
from workspace.action_view import ActionOutcome, ActionRecord, Decision, likely_order
from workspace.queue import QueueRow, holds
from workspace.replies import REPLIES, ReplyFacts
from workspace.text import one_line, preview
from workspace.vocabulary import ActionStatus, Disposition


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

    class Acted(Message):
        """An action was taken or withdrawn for the customer of contact `ticket_id`."""

        def __init__(self, ticket_id: str | None) -> None:
            super().__init__()
            self.ticket_id = ticket_id

    class Written(Message):
        """A reply or note was stored on the contact `ticket_id`."""

        def __init__(self, ticket_id: str) -> None:
            super().__init__()
            self.ticket_id = ticket_id

    BACKGROUND = frozenset({"actions"})

    def __init__(self, *, clock: Callable[[], datetime]) -> None:
        super().__init__(id="resolution-pane", clock=clock)
        self.row: QueueRow | None = None
        self._withdraw_armed: int | None = None
        """The request a first `w` named; a second `w` withdraws it."""

    def compose(self) -> ComposeResult:
        yield ContactBar(id="contact-bar")
        yield Composer(id="composer")
        with Vertical(id="actions"):
            yield ActionStrip(id="action-strip")

    def on_mount(self) -> None:
        self.border_title = "Resolution"
        app = self.app
        self.composer.set_keys(
            key_of(app, "composer.send"),
            key_of(app, "composer.toggle"),
            key_of(app, "composer.saved"),
        )
        self.strip.keys = {
            "act": key_of(app, "workspace.act"),
            "withdraw": key_of(app, "workspace.withdraw"),
            "redeliver": key_of(app, "workspace.redeliver"),
        }
        self.query_one(ContactBar).keys = {
            "claim": key_of(app, "queue.claim"),
            "next": key_of(app, "workspace.next"),
            "resolve": key_of(app, "workspace.resolve"),
            "release": key_of(app, "workspace.release"),
        }
        # "Yours for 2m14s" counts on while the contact is held.
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        row = self.row
        if row is not None and self._holds(row):
            me = self.bench.agent.id if self.bench else None
            self.query_one(ContactBar).show(row, me, self.clock())

    @property
    def composer(self) -> Composer:
        """The reply box."""
        return self.query_one(Composer)

    @property
    def strip(self) -> ActionStrip:
        """The actions strip."""
        return self.query_one(ActionStrip)

    def show_contact(self, row: QueueRow | None) -> None:
        """Work on `row` from now on; the reply box writes for it only if the agent holds it."""
        self.row = row
        me = self.bench.agent.id if self.bench else None
        self.query_one(ContactBar).show(row, me, self.clock())
        self.composer.bind(row.id if row is not None and self._holds(row) else None)
        self.load_actions()

    def show_customer(self, name: str) -> None:
        """A customer the agent looked up, with no contact here: the reply box writes for
        nobody until the agent starts a contact for them (or goes back to the queue)."""
        self.row = None
        bar = self.query_one(ContactBar)
        bar.show(None, None, self.clock())
        key = key_of(self.app, "workspace.new_contact")
        bar.update(
            Text.assemble(
                "No contact is open for ",
                (preview(name, 40), "bold"),
                f".\n{key} starts one (a call, an e-mail…) held by you · esc back to the queue",
            )
        )
        self.composer.bind(None)
        self.strip.clear()

    def load_actions(self) -> None:
        """Show the current customer's recent actions (only while the agent holds a contact)."""
        row = self.row
        if row is None or self.bench is None or not self._holds(row):
            self.strip.clear()
            return
        self._load_actions(row)

    @work(thread=True, exclusive=True, group="actions", exit_on_error=False)
    def _load_actions(self, row: QueueRow) -> None:
        assert self.bench is not None
        records = self.bench.reading.customer_actions(row.customer_id, limit=20)
        self.app.call_from_thread(self._actions_loaded, row, records)

    def _actions_loaded(self, row: QueueRow, records: list[ActionRecord]) -> None:
        if self.row is None or self.row.id != row.id or self.bench is None:
            return  # the agent moved on
        self.strip.show(records, self.bench.agent.id, self.clock())

    # -- actions ------------------------------------------------------------------------------

    def act(self) -> None:
        """Open the action form for the held contact's customer."""
        row = self._held()
        if row is None or self.bench is None:
            return
        if not self.bench.actions.available(row.tier):
            self.tell("The policy allows no actions for this customer.", severity="warning")
            return
        target = ActionTarget(
            customer_id=row.customer_id,
            customer_name=row.customer_name,
            tier=row.tier,
            ticket_id=row.id,
            subject=row.subject,
        )
        form = ActionFormScreen(self.bench.actions, self.bench.reading, target)
        self.app.push_screen(form, self._acted)

    def _acted(self, outcome: ActionOutcome | None) -> None:
        if outcome is None:
            return
        prefix = "Already submitted: " if outcome.repeated else ""
        self.tell(prefix + outcome.message, severity=outcome.record.status.severity)
        self.load_actions()
        self.post_message(self.Acted(outcome.record.ticket_id))

    def withdraw(self) -> None:
        """Withdraw the agent's own waiting request for this customer; the first press says
        which one, a second press within a few seconds withdraws it."""
        row = self._held()
        if row is None or self.bench is None:
            return
        mine = [
            r
            for r in self.strip.records
            if r.status is ActionStatus.REQUESTED and r.agent_id == self.bench.agent.id
        ]
        if not mine:
            self.tell("You have no request waiting for this customer.", severity="warning")
            return
        target = mine[0].id
        if self._withdraw_armed != target:
            self._withdraw_armed = target
            key = key_of(self.app, "workspace.withdraw")
            self.tell(f"Press {key} again to withdraw request #{target}.", severity="warning")
            self.set_timer(5, self._disarm_withdraw)
            return
        self._withdraw_armed = None
        self._withdraw(target, row.id)

    def redeliver(self) -> None:
        """Send this customer's failed delivery again (the newest that failed)."""
        failed = [r for r in self.strip.records if r.delivery == "failed"]
        if self.bench is None or not failed:
            self.tell("No delivery failed for this customer.", severity="warning")
            return
        self._redeliver(failed[0].id)

    @work(thread=True, group="redeliver", exit_on_error=False)
    def _redeliver(self, action_id: int) -> None:
        assert self.bench is not None
        sent = self.bench.actions.redeliver(action_id)
        self.app.call_from_thread(self._redelivered, action_id, sent)

    def _redelivered(self, action_id: int, sent: bool) -> None:
        if sent:
            self.tell(f"#{action_id} will be delivered again.")
        else:
            self.tell(f"#{action_id} had not failed; nothing changed.", severity="warning")
        self.load_actions()

    def _disarm_withdraw(self) -> None:
        self._withdraw_armed = None

    @work(thread=True, group="write", exit_on_error=False)
    def _withdraw(self, action_id: int, ticket_id: str) -> None:
        assert self.bench is not None
        decision = self.bench.approvals.withdraw(action_id)
        self.app.call_from_thread(self._withdrawn, decision, ticket_id)

    def _withdrawn(self, decision: Decision, ticket_id: str) -> None:
        if decision.changed:
            self.tell(f"Withdrew request #{decision.record.id}.")
        else:
            self.tell(
                f"#{decision.record.id} was already {decision.record.status}; nothing changed.",
                severity="warning",
            )
        self.load_actions()
        self.post_message(self.Acted(ticket_id))

    def _holds(self, row: QueueRow) -> bool:
        return self.bench is not None and holds(row, self.bench.agent.id)

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
        assert self.bench is not None
        self.bench.desk.write(ticket_id, text, note=note, key=key)
        self.app.call_from_thread(self._sent, ticket_id, note)

    def _sent(self, ticket_id: str, note: bool) -> None:
        self.composer.sent(ticket_id)
        self.tell("Note saved." if note else f"Reply sent on {one_line(ticket_id)}.")
        self.post_message(self.Written(ticket_id))

    # -- saved replies ------------------------------------------------------------------------

    @on(Composer.SavedReplyWanted)
    def _saved_reply_wanted(self, event: Composer.SavedReplyWanted) -> None:
        event.stop()
        row = self._held()
        if row is None or event.ticket_id != row.id:
            return
        self._reply_facts(row)

    @work(thread=True, exclusive=True, group="replies", exit_on_error=False)
    def _reply_facts(self, row: QueueRow) -> None:
        assert self.bench is not None
        orders = self.bench.reading.orders(row.customer_id, limit=20)
        facts = ReplyFacts(
            customer_name=row.customer_name,
            agent_name=self.bench.agent.display_name,
            order_id=likely_order(orders, row.subject, self.clock().date()),
        )
        self.app.call_from_thread(self._offer_replies, row, facts)

    def _offer_replies(self, row: QueueRow, facts: ReplyFacts) -> None:
        def chosen(text: str | None) -> None:
            if text and self.composer.ticket_id == row.id:
                self.composer.insert_text(text)
                self.composer.text_area.focus()

        self.app.push_screen(SavedRepliesScreen(REPLIES, facts), chosen)

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
        assert self.bench is not None
        if disposition is None:
            self.bench.desk.release(row.id)
            message = f"{one_line(row.id)} is back in the queue."
        else:
            self.bench.desk.resolve(row.id, disposition)
            message = f"{one_line(row.id)} {Disposition(disposition).outcome}."
        self.app.call_from_thread(self._did_close, row, message)

    def _did_close(self, row: QueueRow, message: str) -> None:
        self.tell(message)
        self.post_message(self.Closed(row))
