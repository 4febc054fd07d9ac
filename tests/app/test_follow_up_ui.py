"""A follow-up made in the workspace: the agent promises a call back on the contact they
hold, resolves it, and when it falls due (the frozen clock moved on) the contact is back in
their queue, held by them, with the promise in the digest."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from screens.follow_up import FollowUpScreen
from storage.engine import Database
from storage.models import FollowUp, Ticket
from storage.uow import read_session
from tests.app.conftest import settle, until
from tests.app.screen import screen_text
from tests.factories import NOW
from workspace.agents import resolve_agent
from workspace.app import AgentLaunch, CareDeskApp


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def _follow_ups(db: Database) -> list[tuple[str, str, str]]:
    with read_session(db) as s:
        rows = s.execute(select(FollowUp).order_by(FollowUp.id)).scalars().all()  # type: ignore[arg-type]
        return [(r.kind, r.status, r.note) for r in rows]


def _holder(db: Database, ticket_id: str) -> tuple[str, int | None]:
    with read_session(db) as s:
        row = s.get(Ticket, ticket_id)
        assert row is not None
        return row.status, row.assigned_agent_id


async def test_a_promised_call_back_comes_back_to_its_owner_when_due(desk_db: Database) -> None:
    clock = Clock()
    app = CareDeskApp(
        AgentLaunch(lambda: desk_db, agent="alex", fill_demo=False), clock=clock, show_clock=False
    )
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # Alex claims T-2, Omar Haddad's
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, FollowUpScreen)
        await pilot.press("enter")  # call back
        await pilot.press(*"soon", "enter")
        assert "is not a time" in screen_text(app)  # said, and nothing promised
        assert isinstance(app.screen, FollowUpScreen)
        await pilot.press(*(["backspace"] * 4), *"in 2h")
        assert "Due " in screen_text(app)
        await pilot.press("enter", *"after the refund lands", "enter")
        await settle(pilot)
        assert _follow_ups(desk_db) == [("call_back", "scheduled", "after the refund lands")]
        await until(pilot, lambda: "Promised: Call the customer back, due" in screen_text(app))
        await pilot.press("r")  # resolve: the contact closes, the promise stays
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert _holder(desk_db, "T-2")[0] == "resolved"
        clock.now = NOW + timedelta(hours=2, minutes=1)
        await until(pilot, lambda: _holder(desk_db, "T-2")[0] == "open", seconds=15)
        assert _holder(desk_db, "T-2")[1] == resolve_agent(desk_db, "alex").id
        assert _follow_ups(desk_db)[0][1] == "due"
        await pilot.press("m")  # mine: it is there
        await until(pilot, lambda: "Double charge" in screen_text(app))
