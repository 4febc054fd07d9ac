"""The workspace follows what others do as it commits, says who else is viewing a contact,
asks before quitting with contacts held, and lets a supervisor free or give one away."""

from __future__ import annotations

from storage.engine import Database
from storage.models import Ticket
from storage.uow import read_session
from tests.app.conftest import make_app, settle
from tests.app.conftest import until as _until
from tests.app.screen import screen_text
from tests.factories import add_agents
from widgets.queue_table import QueueTable
from workspace.agents import resolve_agent
from workspace.desk import Desk
from workspace.presence import Presence

SIZE = (120, 35)


def _holder(db: Database, ticket_id: str) -> int | None:
    with read_session(db) as s:
        ticket = s.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket.assigned_agent_id


def _row(app, ticket_id: str):
    table = app.screen.query_one(QueueTable)
    return next(
        (r for i in range(table.total) if (r := table.row_at(i)) and r.id == ticket_id), None
    )


async def test_a_colleagues_claim_shows_without_a_reload(desk_db: Database) -> None:
    app = make_app(desk_db, "alex")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert _row(app, "T-3").holder_name is None
        Desk(desk_db, resolve_agent(desk_db, "sam")).claim("T-3")
        await _until(pilot, lambda: _row(app, "T-3").holder_name == "Sam")


async def test_the_context_pane_says_who_else_is_viewing(desk_db: Database) -> None:
    app = make_app(desk_db, "alex")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.query_one(QueueTable).current.id == "T-2"
        sam = Presence(desk_db, resolve_agent(desk_db, "sam"))
        sam.begin()
        sam.view("T-2")
        await _until(pilot, lambda: "Sam is viewing T-2" in screen_text(app))
        sam.end(release=False)
        await _until(pilot, lambda: "is viewing" not in screen_text(app))


async def test_quitting_with_contacts_held_asks_and_can_release(desk_db: Database) -> None:
    app = make_app(desk_db, "alex")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert _holder(desk_db, "T-2") is not None
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert "You hold 1 contact: T-2." in screen_text(app)
        await pilot.press("escape")  # stay
        await settle(pilot)
        assert app.is_running and _holder(desk_db, "T-2") is not None
        await pilot.press("ctrl+q")
        await settle(pilot)
        await pilot.press("enter")  # the first choice: release them
        await _until(pilot, lambda: not app.is_running)
    assert _holder(desk_db, "T-2") is None


async def test_a_supervisor_frees_and_assigns_from_the_workspace(desk_db: Database) -> None:
    (hana,) = add_agents(desk_db, "hana", role="supervisor")
    sam = resolve_agent(desk_db, "sam")
    app = make_app(desk_db, "hana")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("end")  # T-4, which Sam holds
        await settle(pilot)
        assert app.screen.query_one(QueueTable).current.id == "T-4"
        await pilot.press("X")
        await _until(pilot, lambda: _holder(desk_db, "T-4") is None)
        await pilot.press("T")
        await settle(pilot)
        await pilot.press(*"sam", "enter")
        await _until(pilot, lambda: _holder(desk_db, "T-4") == sam.id)
        await _until(pilot, lambda: _row(app, "T-4").holder_name == "Sam")
    assert hana.id != sam.id


async def test_an_agent_cannot_free_a_colleagues_contact(desk_db: Database) -> None:
    app = make_app(desk_db, "alex")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("end", "X")
        await settle(pilot)
        assert _holder(desk_db, "T-4") is not None
