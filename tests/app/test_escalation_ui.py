"""Escalating by keyboard: the contact leaves the agent's queue, and a supervisor finds it in
the escalation queue and takes it with "next"."""

from __future__ import annotations

from storage.engine import Database
from storage.models import Ticket
from storage.uow import read_session
from tests.app.conftest import make_app, settle
from tests.app.screen import screen_text
from tests.factories import add_agents
from widgets.queue_table import QueueTable
from workspace.agents import AgentRecord
from workspace.desk import Desk

SIZE = (120, 35)


async def _ready(pilot) -> QueueTable:
    await settle(pilot)
    return pilot.app.screen.query_one(QueueTable)


def _rows(table: QueueTable) -> list[str]:
    return [table.row_at(i).id for i in range(table.total)]


def _ticket(db: Database, tid: str) -> Ticket:
    with read_session(db) as s:
        t = s.get(Ticket, tid)
        assert t is not None
        s.expunge(t)
        return t


async def test_an_escalated_contact_leaves_the_agents_queue(desk_db: Database) -> None:
    app = make_app(desk_db)
    async with app.run_test(size=SIZE) as pilot:
        table = await _ready(pilot)
        assert _rows(table) == ["T-2", "T-1", "T-3", "T-4"]
        await pilot.press("down", "enter")  # claim T-1
        await _ready(pilot)
        assert _ticket(desk_db, "T-1").assigned_agent_id == 1
        await pilot.press("escape", "r")
        await pilot.pause()
        assert "Escalated: to the escalation queue, for a supervisor" in screen_text(app)
        await pilot.press("down", "enter")  # the second choice: escalated
        table = await _ready(pilot)
        t = _ticket(desk_db, "T-1")
        assert (t.status, t.assigned_agent_id) == ("escalated", None)
        assert _rows(table) == ["T-2", "T-3", "T-4"]
        assert any("T-1 is in the escalation queue." in n.message for n in app._notifications)
        # An agent's status filter has no escalation queue: pending, resolved, then back.
        await pilot.press("s")
        await _ready(pilot)
        assert "Queue · pending · all channels" in screen_text(app)
        await pilot.press("s")
        await _ready(pilot)
        assert "Queue · resolved · all channels" in screen_text(app)
        await pilot.press("s")
        table = await _ready(pilot)
        assert "Queue · active · all channels" in screen_text(app)
        assert "T-1" not in _rows(table)


async def test_a_supervisor_takes_the_next_escalated_contact(desk_db: Database) -> None:
    add_agents(desk_db, "hana", role="supervisor")
    alex = Desk(desk_db, AgentRecord(1, "alex", "Alex", "agent"))
    alex.claim("T-3")
    alex.resolve("T-3", "escalated")
    app = make_app(desk_db, agent="hana")
    async with app.run_test(size=SIZE) as pilot:
        table = await _ready(pilot)
        assert _rows(table) == ["T-2", "T-1", "T-4"]
        await pilot.press("s", "s")  # pending, then the escalation queue
        table = await _ready(pilot)
        assert "Queue · escalated · all channels" in screen_text(app)
        assert _rows(table) == ["T-3"]
        await pilot.press("n")
        table = await _ready(pilot)
        assert _ticket(desk_db, "T-3").assigned_agent_id == 3
        assert table.current.id == "T-3" and table.current.holder_id == 3
