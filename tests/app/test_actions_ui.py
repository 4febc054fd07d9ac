"""Acting from the resolution pane: the verdict shows as you type; allow executes, a request
waits and the agent hears the supervisor's decision live; a deny cannot be submitted."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from textual.widgets import Button, Input, Select, SelectionList, Static

from screens.action_form import ActionFormScreen
from screens.news import NewsWatcher
from screens.workspace import WorkspaceScreen
from storage.engine import Database
from storage.models import Action
from storage.uow import read_session
from tests.app.conftest import make_app, settle
from tests.app.screen import screen_text
from tests.factories import NOW, add_agents
from workspace.action_view import ActionRequest
from workspace.agents import resolve_agent
from workspace.policy_file import default_policy
from workspace.workbench import Workbench

SIZE = (120, 35)


def _actions(db: Database) -> list[tuple[str, str, str]]:
    with read_session(db) as s:
        rows = s.execute(select(Action.kind, Action.amount, Action.status).order_by(Action.id))
        return [(k, str(a), st) for k, a, st in rows]


def _told(app) -> str:
    """Every notification shown so far, joined (toasts wrap, so the screen splits them)."""
    return "\n".join(n.message for n in app._notifications)


async def _claim_dana(pilot) -> None:
    await settle(pilot)
    await pilot.press("down", "enter")  # T-1: Dana Whitfield, gold, order W1001
    await settle(pilot)
    await pilot.press("f2")  # back to the queue: single-letter keys work again


async def _open_form(pilot) -> ActionFormScreen:
    await pilot.press("a")
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, ActionFormScreen)
    return form


async def _fill(pilot, form: ActionFormScreen, amount: str, reason: str = "jug cracked") -> str:
    for field, text in (("#action-amount", amount), ("#action-reason", reason)):
        box = form.query_one(field, Input)
        box.focus()
        box.value = ""
        await pilot.press(*text)
    await settle(pilot)
    return str(form.query_one("#action-verdict", Static).render())


async def test_allowed_discount_executes_on_submit(desk_db: Database) -> None:
    app = make_app(desk_db)
    async with app.run_test(size=SIZE) as pilot:
        await _claim_dana(pilot)
        form = await _open_form(pilot)
        assert form.query_one("#action-kind", Select).value == "discount"
        assert form.query_one("#action-order", Select).value == "W1001"
        verdict = await _fill(pilot, form, "20")
        assert "ALLOW" in verdict and "within what an agent may give alone" in verdict
        assert "left this month: 300.00 USD and 15 grants" in verdict
        assert str(form.query_one("#action-submit", Button).label) == "Execute"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, WorkspaceScreen)
        assert _actions(desk_db) == [("discount", "20.00", "executed")]
        text = screen_text(app)
        assert "#1 Discount 20.00 USD  executed" in text  # the actions strip
        assert "Given in 90 days: 20.00 USD in 1 action" in text  # the digest


async def test_a_missing_reason_is_asked_for_not_shown_as_a_denial(desk_db: Database) -> None:
    app = make_app(desk_db)
    async with app.run_test(size=SIZE) as pilot:
        await _claim_dana(pilot)
        form = await _open_form(pilot)
        verdict = await _fill(pilot, form, "20", reason="")
        # The verdict the discount gets once it has a reason, and what is still missing.
        assert "ALLOW" in verdict and "DENY" not in verdict
        assert "A reason is needed: say why in the Reason field." in verdict
        assert form.query_one("#action-submit", Button).disabled
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ActionFormScreen) and _actions(desk_db) == []
        assert "A reason is needed" in _told(app)
        verdict = await _fill(pilot, form, "20", reason="jug cracked")
        assert "ALLOW" in verdict and "A reason is needed" not in verdict
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert _actions(desk_db) == [("discount", "20.00", "executed")]


async def test_verdict_follows_the_typing_and_a_deny_cannot_be_sent(desk_db: Database) -> None:
    app = make_app(desk_db)
    async with app.run_test(size=SIZE) as pilot:
        await _claim_dana(pilot)
        form = await _open_form(pilot)
        verdict = await _fill(pilot, form, "50")
        # gold: 40.00 or 30% of the 129.00 order (38.70), whichever is lower
        assert "NEEDS APPROVAL" in verdict
        assert "above the 38.70 (30% of the 129.00 order) an agent may give alone" in verdict
        assert "tiers.gold.discount.limit.percent_of_order" in verdict
        verdict = await _fill(pilot, form, "110")
        assert "DENY" in verdict and "above the 100.00 a supervisor may approve" in verdict
        assert form.query_one("#action-submit", Button).disabled
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and _actions(desk_db) == []
        verdict = await _fill(pilot, form, "abc")  # restricted: letters never reach the box
        assert form.query_one("#action-amount", Input).value == ""
        assert "Complete the form" in verdict
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, WorkspaceScreen) and _actions(desk_db) == []


async def test_a_request_waits_and_the_agent_sees_the_decision_live(desk_db: Database) -> None:
    (jordan,) = add_agents(desk_db, "jordan", role="supervisor")
    app = make_app(desk_db)
    async with app.run_test(size=SIZE) as pilot:
        await _claim_dana(pilot)
        form = await _open_form(pilot)
        await _fill(pilot, form, "50")
        assert str(form.query_one("#action-submit", Button).label) == "Request approval"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert _actions(desk_db) == [("discount", "50.00", "requested")]
        assert "waiting for a supervisor's approval" in _told(app)
        # A supervisor in another terminal approves it.
        supervisor = Workbench.open(desk_db, jordan, default_policy(), clock=lambda: NOW)
        (request,), _ = supervisor.reading.waiting_requests()
        assert supervisor.approvals.approve(request.id, "long-standing customer").changed
        screen = app.screen
        assert isinstance(screen, WorkspaceScreen)
        screen.query_one(NewsWatcher).look()  # what the 3-second timer does
        await settle(pilot)
        assert _actions(desk_db) == [("discount", "50.00", "executed")]
        told = _told(app)
        assert "#1 Discount of 50.00 USD for Dana Whitfield: executed, approved by Jordan" in told
        assert "approved by Jordan: long-standing customer." in told
        assert "#1 Discount 50.00 USD  executed" in screen_text(app)


async def test_withdrawing_a_waiting_request(desk_db: Database) -> None:
    app = make_app(desk_db)
    async with app.run_test(size=SIZE) as pilot:
        await _claim_dana(pilot)
        form = await _open_form(pilot)
        await _fill(pilot, form, "50")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "w withdraw #1 (waiting)" in screen_text(app)
        await pilot.press("w")
        await settle(pilot)
        assert "Press w again to withdraw request #1." in _told(app)
        assert _actions(desk_db) == [("discount", "50.00", "requested")]
        await pilot.press("w")
        await settle(pilot)
        assert _actions(desk_db) == [("discount", "50.00", "withdrawn")]
        assert "Withdrew request #1." in _told(app)


async def test_acting_needs_a_held_contact(desk_db: Database) -> None:
    app = make_app(desk_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, WorkspaceScreen)
        assert "Claim the contact first" in _told(app)


async def test_guarantee_store_credit_is_allowed_outside_the_budget(desk_db: Database) -> None:
    app = make_app(desk_db)
    async with app.run_test(size=SIZE) as pilot:
        await _claim_dana(pilot)
        form = await _open_form(pilot)
        form.query_one("#action-kind", Select).value = "store_credit"
        await settle(pilot)
        verdict = await _fill(pilot, form, "10")
        assert "ALLOW" in verdict and "guarantees.two_day_shipping" in verdict
        assert "outside the budget" in verdict
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert _actions(desk_db) == [("store_credit", "10.00", "executed")]


async def test_approvals_key_is_for_supervisors_only(desk_db: Database) -> None:
    app = make_app(desk_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, WorkspaceScreen)
        assert app.screen.check_action("approvals", ()) is False  # hidden from the footer


async def test_replacement_is_worth_the_items_chosen(desk_db: Database) -> None:
    app = make_app(desk_db)
    async with app.run_test(size=SIZE) as pilot:
        await _claim_dana(pilot)
        form = await _open_form(pilot)
        form.query_one("#action-kind", Select).value = "replacement"
        await settle(pilot)
        assert form.query_one("#amount-row").has_class("hidden")
        verdict = str(form.query_one("#action-verdict", Static).render())
        assert "Complete the form" in verdict
        assert "items: choose the items to replace" in str(
            form.query_one("#action-field-error", Static).render()
        )
        items = form.query_one("#action-items", SelectionList)
        items.focus()
        await pilot.press("space")  # the first (only) item: BL-200 at 129.00
        await settle(pilot)
        verdict = str(form.query_one("#action-verdict", Static).render())
        assert "ALLOW" in verdict and "129.00 USD" in verdict
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert _actions(desk_db) == [("replacement", "129.00", "executed")]


async def test_a_decision_made_while_away_is_told_once_at_the_next_start(
    desk_db: Database,
) -> None:
    (jordan,) = add_agents(desk_db, "jordan", role="supervisor")
    app = make_app(desk_db)
    async with app.run_test(size=SIZE) as pilot:  # alex's first session marks "now"
        await settle(pilot)
    me = resolve_agent(desk_db, "alex")
    later = NOW + timedelta(hours=1)
    asking = Workbench.open(desk_db, me, default_policy(), clock=lambda: later)
    request = asking.actions.take(
        ActionRequest(kind="discount", customer_id="C-1", order_id="W1001", amount="50", reason="x")
    ).record
    assert request.status == "requested"
    Workbench.open(desk_db, jordan, default_policy(), clock=lambda: later).approvals.deny(
        request.id, "no"
    )

    for expected in (True, False):  # told at the next start, not again at the one after
        app = make_app(desk_db)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            told = "denied by Jordan: no." in _told(app)
            assert told is expected
