"""Find any customer from the workspace, open their context, and start a contact for them."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from screens.lookup import LookupScreen
from screens.new_contact import NewContactScreen
from screens.workspace import WorkspaceScreen
from storage.engine import Database
from storage.models import Ticket
from storage.uow import read_session
from tests.app.conftest import make_app, settle, until
from tests.app.screen import screen_text
from tests.factories import NOW, add_customer, add_order
from widgets.timeline import Timeline
from workspace.vocabulary import ContactStatus


def _customer_shown(app: object) -> str | None:
    workspace = app.screen  # type: ignore[attr-defined]
    assert isinstance(workspace, WorkspaceScreen)
    context = workspace.context_pane.context
    return None if context is None else context.digest.customer.id


async def test_f_finds_a_customer_outside_the_queue_and_opens_their_context(
    desk_db: Database,
) -> None:
    """Beth has no contact in the queue: typed into the lookup, her name is the first result,
    enter shows her history, and the reply box writes for nobody."""
    add_customer(desk_db, "C-9", "Beth Oyelaran", "silver")
    app = make_app(desk_db, agent="alex")
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        workspace = app.screen
        assert isinstance(workspace, WorkspaceScreen)
        first = workspace.queue.table.current
        assert first is not None and first.customer_id != "C-9"
        assert "f Find" in screen_text(app)  # the footer names the key

        await pilot.press("f")
        await settle(pilot)
        lookup = app.screen
        assert isinstance(lookup, LookupScreen)
        await pilot.press(*"oye")
        await until(pilot, lambda: bool(lookup.results))
        assert [(f.customer_id, f.customer_name) for f in lookup.results] == [
            ("C-9", "Beth Oyelaran")
        ]
        assert "1 result" in screen_text(app)

        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is workspace
        await until(pilot, lambda: _customer_shown(app) == "C-9")
        shown = screen_text(app)
        assert "Beth Oyelaran" in shown and "N starts a contact for them" in shown
        assert "No contact is open for Beth Oyelaran" in shown
        assert workspace.resolution.composer.ticket_id is None
        assert isinstance(app.focused, Timeline)

        # Back to the queue: the queue's contact is shown again.
        await pilot.press("escape")
        await settle(pilot)
        await until(pilot, lambda: _customer_shown(app) == first.customer_id)
        assert workspace.context_pane.found is None


async def test_an_order_id_finds_its_customer_and_nothing_found_says_so(
    desk_db: Database,
) -> None:
    add_order(desk_db, "W7777", "C-3", placed=NOW - timedelta(days=3))
    app = make_app(desk_db, agent="alex")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        lookup = app.screen
        assert isinstance(lookup, LookupScreen)
        await pilot.press(*"zzqx")
        await until(pilot, lambda: "Nothing matches 'zzqx'." in screen_text(app))
        assert lookup.results == []
        await pilot.press(*["backspace"] * 4, *"w7777")
        await until(pilot, lambda: bool(lookup.results))
        (found,) = lookup.results
        assert (found.kind, found.customer_id, found.ref) == ("order", "C-3", "W7777")
        assert "order W7777" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        await until(pilot, lambda: _customer_shown(app) == "C-3")


async def test_escape_leaves_the_lookup_and_changes_nothing(desk_db: Database) -> None:
    app = make_app(desk_db, agent="alex")
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        workspace = app.screen
        assert isinstance(workspace, WorkspaceScreen)
        shown = _customer_shown(app)
        await pilot.press("f", *"dana", "escape")
        await settle(pilot)
        assert app.screen is workspace
        assert _customer_shown(app) == shown and workspace.context_pane.found is None


async def test_a_new_contact_for_a_found_customer_is_opened_held_and_worked(
    desk_db: Database,
) -> None:
    """An inbound call from a customer with nothing in the queue: found, N, e-mail picked
    with the arrows, a subject, enter; the contact is open, held by the agent, under the
    queue's cursor even though the queue was filtered to chat, and the reply box writes
    for it."""
    add_customer(desk_db, "C-9", "Beth Oyelaran", "silver")
    app = make_app(desk_db, agent="alex")
    async with app.run_test(size=(120, 35), notifications=True) as pilot:
        await settle(pilot)
        workspace = app.screen
        assert isinstance(workspace, WorkspaceScreen)
        await pilot.press("c", "c")  # the queue shows chat only
        await settle(pilot)
        await pilot.press("f", *"beth")
        lookup = app.screen
        assert isinstance(lookup, LookupScreen)
        await until(pilot, lambda: bool(lookup.results))
        await pilot.press("enter")
        await until(pilot, lambda: _customer_shown(app) == "C-9")

        await pilot.press("N")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewContactScreen)
        await pilot.press("enter")  # an empty subject is refused, with a reason
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is form
        assert "A subject is needed" in screen_text(app)
        await pilot.press("shift+tab", "down", "enter")  # e-mail
        await pilot.press(*"Gift card balance", "enter")
        await settle(pilot)
        assert app.screen is workspace

        await until(
            pilot,
            lambda: (row := workspace.queue.table.current) is not None and row.customer_id == "C-9",
        )
        row = workspace.queue.table.current
        assert row is not None
        assert (row.channel, row.subject, row.holder_id is not None) == (
            "email",
            "Gift card balance",
            True,
        )
        await until(pilot, lambda: workspace.resolution.composer.ticket_id == row.id)
        assert workspace.context_pane.found is None
        assert "is open and yours" in screen_text(app)
        with read_session(desk_db) as s:
            ticket = s.exec(select(Ticket).where(Ticket.customer_id == "C-9")).one()
            assert (ticket.status, ticket.channel) == (ContactStatus.OPEN, "email")

        await pilot.press("3", *"Hello Beth")
        assert workspace.resolution.composer.text_area.text == "Hello Beth"


async def test_new_contact_without_a_customer_shown_says_to_find_one(sqlite_db: Database) -> None:
    from tests.factories import add_agents

    add_agents(sqlite_db, "alex")
    app = make_app(sqlite_db, agent="alex")
    async with app.run_test(size=(120, 35), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("N")
        await settle(pilot)
        assert isinstance(app.screen, WorkspaceScreen)
        assert "Find the customer first (f)." in screen_text(app)
