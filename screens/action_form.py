"""The action form: choose an action and an order, type an amount and a reason, and see the
policy's verdict, rule and headroom update as you type, before you act."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static
from textual.widgets.selection_list import Selection
from textual.worker import Worker, WorkerState

from screens.keys import key_of
from widgets.commands import bindings
from widgets.tick_list import TickList
from workspace.action_view import (
    ActionOutcome,
    ActionRequest,
    Assessment,
    headroom_text,
    likely_order,
)
from workspace.customers import OrderRecord
from workspace.errors import ActionInputError, database_lost, describe_failure
from workspace.text import one_line, preview
from workspace.vocabulary import ActionKind, VerdictKind, member

if TYPE_CHECKING:
    from workspace.actions import Actions
    from workspace.reading import Reading

#: Seconds before a verdict the database could not give is asked for again.
RETRY_ASSESS = 3.0

#: What the form says while a reason the policy wants is not typed yet.
REASON_NEEDED = "A reason is needed: say why in the Reason field."

#: How each verdict stands out: by colour, and by its words for those who do not see colour.
_VERDICT_STYLE = {
    VerdictKind.ALLOW: "bold black on green",
    VerdictKind.NEEDS_APPROVAL: "bold black on yellow",
    VerdictKind.DENY: "bold white on red",
}


@dataclass(frozen=True)
class ActionTarget:
    """Whom the action is for, and from which contact."""

    customer_id: str
    """The customer's id."""
    customer_name: str
    """The customer's name (untrusted text)."""
    tier: str
    """The customer's tier (selects tier overrides)."""
    ticket_id: str | None
    """The held contact the action is taken from."""
    subject: str = ""
    """The contact's subject (untrusted text), to preselect the order it names."""


class ActionFormScreen(ModalScreen[ActionOutcome | None]):
    """Asks for an action; shows the verdict the workspace decides; submits once.

    Every change asks the workspace for a fresh verdict (a preview that stores nothing);
    results for an older state of the form are dropped. `allow` executes on submit,
    `needs_approval` files a request, `deny` cannot be submitted.
    """

    BINDINGS = bindings("action")

    DEFAULT_CSS = """
    ActionFormScreen { align: center middle; }
    ActionFormScreen > Vertical {
        width: 84; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    ActionFormScreen #action-title { text-style: bold; width: 1fr; }
    ActionFormScreen VerticalScroll { height: auto; max-height: 1fr; }
    ActionFormScreen .row { height: auto; margin: 0 0 1 0; }
    ActionFormScreen .row > Label { width: 9; color: $text-muted; }
    ActionFormScreen .row > Select, ActionFormScreen .row > Input { width: 1fr; }
    ActionFormScreen #action-items { height: auto; max-height: 6; width: 1fr; }
    ActionFormScreen #action-currency { width: auto; padding: 0 0 0 1; }
    ActionFormScreen #action-field-error { color: $error; height: auto; }
    ActionFormScreen #action-field-error.empty { display: none; }
    ActionFormScreen #action-verdict {
        height: auto; min-height: 3; padding: 0 1; margin: 1 0 0 0; background: $boost;
    }
    ActionFormScreen #action-buttons { height: auto; align-horizontal: right; }
    ActionFormScreen #action-keys { width: 1fr; padding: 1 0 0 0; }
    ActionFormScreen #action-buttons Button { margin: 0 0 0 1; min-width: 12; }
    ActionFormScreen #action-submit { width: 22; }
    ActionFormScreen .hidden { display: none; }
    """

    def __init__(self, actions: Actions, reading: Reading, target: ActionTarget) -> None:
        super().__init__()
        self.actions = actions
        self.reading = reading
        self.target = target
        self.kinds = actions.available(target.tier)
        self.orders: dict[str, OrderRecord] = {}
        self.assessment: Assessment | None = None
        """The verdict for the form as it stands now; None while it is incomplete."""
        self.problem: ActionInputError | None = None
        self.key = uuid.uuid4().hex
        """The idempotency key of this submission: a double press stores one action."""
        self.submitting = False
        self._submit_when_ready = False
        """ctrl+s came before the verdict on the latest change: submit when it arrives."""
        self._generation = 0
        self._lost = False
        """The database was found gone while assessing (told once until it is back)."""

    def compose(self) -> ComposeResult:
        t = self.target
        with Vertical():
            title = Text.assemble(
                f"Act for {one_line(t.customer_name)}  ",
                (f" {one_line(t.tier).upper()} ", "reverse"),
                (f" · {one_line(t.ticket_id)}" if t.ticket_id else "", "dim"),
            )
            yield Label(title, id="action-title")
            with VerticalScroll():
                with Horizontal(classes="row"):
                    yield Label("Action")
                    yield Select(
                        [(Text(k.label), k.value) for k in self.kinds],
                        value=self.kinds[0] if self.kinds else Select.NULL,
                        allow_blank=not self.kinds,
                        compact=True,
                        id="action-kind",
                    )
                with Horizontal(classes="row", id="order-row"):
                    yield Label("Order")
                    yield Select[str]([], prompt="loading orders…", compact=True, id="action-order")
                with Horizontal(classes="row hidden", id="items-row"):
                    yield Label("Items")
                    yield TickList[str](id="action-items")
                with Horizontal(classes="row", id="amount-row"):
                    yield Label("Amount")
                    yield Input(
                        placeholder="e.g. 20 or 19.99",
                        restrict=r"[0-9.,]*",
                        max_length=12,
                        compact=True,
                        id="action-amount",
                    )
                    yield Label(one_line(self.actions.policy.currency), id="action-currency")
                with Horizontal(classes="row"):
                    yield Label("Reason")
                    yield Input(
                        placeholder="why (the customer will not see this)",
                        max_length=500,
                        compact=True,
                        id="action-reason",
                    )
                yield Static("", id="action-field-error", classes="empty")
            yield Static(Text("Choose an action.", style="italic"), id="action-verdict")
            with Horizontal(id="action-buttons"):
                yield Label(self._hints(), id="action-keys")
                yield Button("Cancel", id="action-cancel")
                yield Button("Execute", variant="primary", id="action-submit", disabled=True)

    def _hints(self) -> Text:
        submit = key_of(self.app, "action.submit")
        return Text(f"{submit} submit · esc cancel · tab next field", style="dim")

    def on_mount(self) -> None:
        if not self.kinds:
            self._show_text("This policy allows no actions for this customer.", "bold")
        self._show_fields()
        self.load_orders()
        self.query_one("#action-kind", Select).focus()

    # -- orders ------------------------------------------------------------------------------

    @work(thread=True, group="orders", exit_on_error=False)
    def load_orders(self) -> None:
        orders = self.reading.orders(self.target.customer_id)
        self.app.call_from_thread(self._orders_loaded, orders)

    def _orders_loaded(self, orders: list[OrderRecord]) -> None:
        self._lost = False
        self.orders = {o.id: o for o in orders}
        select = self.query_one("#action-order", Select)
        options = [(Text(_order_label(o)), o.id) for o in orders]
        select.set_options(options)
        select.prompt = "no order" if orders else "this customer has no orders"
        chosen = likely_order(orders, self.target.subject, self.actions.clock().date())
        if chosen is not None:
            select.value = chosen
        self._refresh_items()
        self.reassess()

    # -- the form changing --------------------------------------------------------------------

    @property
    def kind(self) -> str | None:
        value = self.query_one("#action-kind", Select).value
        return value if isinstance(value, str) else None

    @property
    def order_id(self) -> str | None:
        value = self.query_one("#action-order", Select).value
        return value if isinstance(value, str) else None

    def _show_fields(self) -> None:
        kind = member(ActionKind, self.kind or "")
        self.query_one("#amount-row").set_class(not (kind and kind.typed_amount), "hidden")
        self.query_one("#items-row").set_class(not (kind and kind.takes_items), "hidden")
        order = self.query_one("#action-order", Select)
        # An action that needs an order cannot be left without one.
        order.set_class(bool(kind and kind.needs_order), "required")

    def _refresh_items(self) -> None:
        items = self.query_one("#action-items", TickList)
        items.clear_options()
        order = self.orders.get(self.order_id or "")
        if order is None:
            return
        items.add_options(
            Selection(
                Text(f"{one_line(i.sku)}  {preview(i.name, 36)}  {i.price} x {i.quantity}"),
                i.sku,
            )
            for i in order.items
        )
        if order.items:
            items.highlighted = 0  # space ticks the first item at once

    @on(Select.Changed, "#action-kind")
    def _kind_changed(self) -> None:
        self._show_fields()
        self.reassess()

    @on(Select.Changed, "#action-order")
    def _order_changed(self) -> None:
        self._refresh_items()
        self.reassess()

    @on(TickList.SelectedChanged)
    @on(Input.Changed)
    def _typed(self) -> None:
        self.reassess()

    def request(self) -> ActionRequest | None:
        """The request the form describes now."""
        kind = self.kind
        if kind is None:
            return None
        items = self.query_one("#action-items", TickList).selected
        typed = ActionKind(kind).typed_amount
        return ActionRequest(
            kind=kind,
            customer_id=self.target.customer_id,
            order_id=self.order_id,
            amount=self.query_one("#action-amount", Input).value if typed else None,
            items=tuple(str(s) for s in items),
            reason=self.query_one("#action-reason", Input).value,
            ticket_id=self.target.ticket_id,
        )

    def reassess(self) -> None:
        """Ask the workspace for the verdict on the form as it stands."""
        request = self.request()
        if request is None:
            return
        self._generation += 1
        self.assessment = self.problem = None  # a verdict for an older form is never submitted
        self.query_one("#action-submit", Button).disabled = True
        self.assess(request, self._generation)

    @work(thread=True, exclusive=True, group="assess", exit_on_error=False)
    def assess(self, request: ActionRequest, generation: int) -> None:
        try:
            result: Assessment | ActionInputError = self.actions.preview(request)
        except ActionInputError as problem:
            result = problem
        self.app.call_from_thread(self._assessed, result, generation)

    def _assessed(self, result: Assessment | ActionInputError, generation: int) -> None:
        if generation != self._generation or not self.is_attached:
            return  # an older state of the form
        self._lost = False
        submit = self.query_one("#action-submit", Button)
        error = self.query_one("#action-field-error", Static)
        if isinstance(result, ActionInputError):
            self._submit_when_ready = False
            self.assessment, self.problem = None, result
            error.update(Text(one_line(f"{result.field}: {result}")))
            error.remove_class("empty")
            self._show_text("Complete the form to see the verdict.", "italic")
            submit.label, submit.disabled = "Execute", True
            return
        self.assessment, self.problem = result, None
        error.update("")
        error.add_class("empty")
        verdict = result.verdict
        text = Text()
        text.append(f" {verdict.verdict.label} ", style=_VERDICT_STYLE[verdict.verdict])
        text.append(f"  {result.amount} {result.currency}", style="bold")
        text.append(f"  {verdict.rule}", style="dim")
        text.append(f"\n{verdict.reason}")
        text.append(f"\n{headroom_text(verdict.headroom, result.currency)}", style="dim")
        if verdict.outside_budget:
            text.append(" (this grant is outside the budget)", style="dim")
        if result.reason_needed:
            text.append(f"\n{REASON_NEEDED}", style="bold")
        self.query_one("#action-verdict", Static).update(text)
        denied = verdict.verdict is VerdictKind.DENY
        submit.label = verdict.verdict.submit
        submit.disabled = denied or result.reason_needed
        submit.variant = "error" if denied else "primary"
        if self._submit_when_ready and result.reason_needed:
            self._submit_when_ready = False
            self.notify(REASON_NEEDED, severity="warning", markup=False)
        elif self._submit_when_ready:
            self._submit_when_ready = False
            self.action_submit()

    def _show_text(self, message: str, style: str) -> None:
        self.query_one("#action-verdict", Static).update(Text(message, style=style))

    # -- submitting ------------------------------------------------------------------------------

    @on(Button.Pressed, "#action-submit")
    def action_submit(self) -> None:
        if self.submitting:
            return
        request = self.request()
        if self.problem is not None:
            message = one_line(f"{self.problem.field}: {self.problem}")
            self.notify(message, severity="warning", markup=False)
            return
        if request is None:
            return
        if self.assessment is None:  # the verdict on the latest change is on its way
            self._submit_when_ready = True
            return
        if self.assessment.reason_needed:
            self.notify(REASON_NEEDED, severity="warning", markup=False)
            return
        if self.assessment.verdict.verdict is VerdictKind.DENY:
            self.notify(
                f"This cannot be submitted: {self.assessment.verdict.reason}.",
                severity="error",
                markup=False,
            )
            return
        self.submitting = True
        self.query_one("#action-submit", Button).disabled = True
        self.take(request)

    @work(thread=True, group="take", exit_on_error=False)
    def take(self, request: ActionRequest) -> None:
        outcome = self.actions.take(request, key=self.key)
        self.app.call_from_thread(self.dismiss, outcome)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        error = event.worker.error
        if event.state != WorkerState.ERROR or error is None:
            return
        message = one_line(describe_failure(error))
        if event.worker.group == "take":
            self.submitting = False
            self.query_one("#action-submit", Button).disabled = False
            self.reassess()
        elif event.worker.group == "orders" and database_lost(error):
            self.set_timer(RETRY_ASSESS, self.load_orders)
            if self._lost:
                return
            self._lost = True
        elif event.worker.group == "assess" and database_lost(error):
            # The form stays as typed; the verdict comes back when the database does.
            self._show_text(f"{message} The form is kept; asking again…", "italic")
            self.set_timer(RETRY_ASSESS, self._assess_again)
            if self._lost:
                return
            self._lost = True
        self.notify(message, severity="error", markup=False)

    def _assess_again(self) -> None:
        if self.assessment is None and self.problem is None and self.is_attached:
            self.reassess()

    @on(Button.Pressed, "#action-cancel")
    def action_cancel(self) -> None:
        if self.submitting:  # the action may already be done: stay for its outcome
            self.notify("Submitting: wait for the outcome.", severity="warning", markup=False)
            return
        self.dismiss(None)


def _order_label(order: OrderRecord) -> str:
    placed = order.placed_at.date().isoformat()
    return f"{one_line(order.id)}  {order.status}  {order.worth}  placed {placed}"
