"""The queue says who else has each contact open, so two agents never answer one customer
twice: it follows their moves as they happen, forgets a workspace that went silent, and
shows an agent's name literally, however hostile."""

from __future__ import annotations

import re
from datetime import timedelta

from storage.engine import Database
from storage.models import Agent
from storage.uow import unit_of_work
from tests.app.conftest import make_app, settle
from tests.app.conftest import until as _until
from tests.app.screen import assert_inert, screen_text, terminal_output
from tests.factories import NOW, add_agents, add_customer, add_ticket
from tests.hostile import INLINE_CASES, load_hostile_cases
from widgets.cells import tagged
from widgets.queue_table import QueueTable
from workspace.agents import AgentRecord, resolve_agent
from workspace.presence import Presence
from workspace.text import one_line

WIDE = (120, 35)
NARROW = (80, 24)


def _line(app, subject: str) -> str:
    """The queue's line on screen of the contact about `subject`."""
    return next(line for line in screen_text(app).splitlines() if subject in line)


def _column(app, subject: str, title: str) -> str:
    """What column `title` says on the queue's line of the contact about `subject`."""
    header = _line(app, " SUBJECT ")
    start = header.index(title)
    after = start + len(title)
    following = re.search(r"\S", header[after:])  # the next column's title, or the border
    end = after + following.start() if following else len(header)
    return _line(app, subject)[start:end].strip(" │")


def _opening(db: Database, name: str, clock=None) -> Presence:
    """Agent `name`'s workspace, open on the same database (as another terminal's would be)."""
    agent = resolve_agent(db, name)
    presence = Presence(db, agent) if clock is None else Presence(db, agent, clock=clock)
    presence.begin()
    return presence


async def test_the_queue_row_names_the_colleague_viewing_it(desk_db: Database) -> None:
    app = make_app(desk_db, "alex")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        assert "VIEWING" in screen_text(app)
        assert _column(app, "Address change", "VIEWING") == ""  # nobody has it open yet
        sam = _opening(desk_db, "sam")
        sam.view("T-3")
        await _until(pilot, lambda: _column(app, "Address change", "VIEWING") == "Sam")
        assert _column(app, "Cracked jug", "VIEWING") == ""
        sam.view("T-1")
        await _until(pilot, lambda: _column(app, "Cracked jug", "VIEWING") == "Sam")
        assert _column(app, "Address change", "VIEWING") == ""
        sam.end(release=False)
        await _until(pilot, lambda: _column(app, "Cracked jug", "VIEWING") == "")


async def test_more_viewers_are_counted_and_the_holder_stays_shown(desk_db: Database) -> None:
    add_agents(desk_db, "kim")
    app = make_app(desk_db, "alex")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        sam, kim = _opening(desk_db, "sam"), _opening(desk_db, "kim")
        sam.view("T-4")  # the contact Sam holds
        kim.view("T-4")
        await _until(pilot, lambda: _column(app, "Thanks", "VIEWING") == "Sam +1")
        assert _column(app, "Thanks", "HELD BY") == "Sam"  # held by Sam, viewed by two


async def test_a_narrow_queue_says_who_is_viewing_in_the_holders_column(
    desk_db: Database,
) -> None:
    add_agents(desk_db, "kim")
    app = make_app(desk_db, "alex")
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        assert "HELD/VIEWING" in screen_text(app)
        sam, kim = _opening(desk_db, "sam"), _opening(desk_db, "kim")
        sam.view("T-3")
        await _until(pilot, lambda: _column(app, "Address", "HELD/VIEWING") == "Sam viewing")
        assert "Address change" in _line(app, "Address")  # the subject keeps its room
        kim.view("T-3")
        await _until(pilot, lambda: _column(app, "Address", "HELD/VIEWING") == "Sam +1 viewing")
        sam.view("T-4")  # held by Sam: the holder is what the narrow column shows
        kim.view(None)
        await _until(pilot, lambda: _column(app, "Address", "HELD/VIEWING") == "")
        assert _column(app, "Thanks", "HELD/VIEWING") == "Sam"


async def test_a_workspace_gone_silent_stops_showing_as_viewing(desk_db: Database) -> None:
    add_agents(desk_db, "kim")  # who holds nothing, so nothing else changes when Kim lapses
    app = make_app(desk_db, "alex")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        silent = _opening(desk_db, "kim", clock=lambda: NOW - timedelta(minutes=2))
        silent.view("T-3")
        await _until(pilot, lambda: _column(app, "Address change", "VIEWING") == "Kim")
        # Another workspace notices the silence (the app's own lapse time is longer).
        watcher = Presence(
            desk_db, resolve_agent(desk_db, "alex"), lapse_after=timedelta(minutes=1)
        )
        watcher.lapse(NOW)
        await _until(pilot, lambda: _column(app, "Address change", "VIEWING") == "")


def _hostile_agents(db: Database, cases: list[tuple[str, str]]) -> list[AgentRecord]:
    """One agent a case, called by the case's text."""
    out = []
    with unit_of_work(db) as s:
        for i, (_kind, text) in enumerate(cases):
            agent = Agent(name=f"hostile-{i}", display_name=text[:200], role="agent")
            s.add(agent)
            s.flush()
            assert agent.id is not None
            out.append(AgentRecord(agent.id, agent.name, agent.display_name, agent.role))
    return out


async def test_viewers_names_are_shown_literally_and_inert(sqlite_db: Database) -> None:
    corpus = load_hostile_cases() or []
    cases = [*INLINE_CASES, *(c for c in corpus if c[0] in ("markup-variable", "osc8-link"))]
    add_agents(sqlite_db, "alex")
    add_customer(sqlite_db, "C-1", "Dana Whitfield", "gold")
    for i in range(len(cases)):
        add_ticket(sqlite_db, f"T-{i:02d}", "C-1", due_in=10 + i, subject=f"Subject {i:02d}")
    app = make_app(sqlite_db, "alex")
    async with app.run_test(size=(120, len(cases) + 25)) as pilot:
        await settle(pilot)
        for i, agent in enumerate(_hostile_agents(sqlite_db, cases)):
            presence = Presence(sqlite_db, agent)
            presence.begin()
            presence.view(f"T-{i:02d}")
        table = app.screen.query_one(QueueTable)

        def all_shown() -> bool:
            rows = [table.row_at(i) for i in range(table.total)]
            return all(row is not None and row.viewers for row in rows)

        await _until(pilot, all_shown)
        await pilot.pause()
        assert_inert(terminal_output(app), "queue viewers")
        for i, (_kind, text) in enumerate(cases):
            shown = tagged(one_line(text[:200]), "", 11).rstrip()
            assert shown in _line(app, f"Subject {i:02d}"), (_kind, shown)
        assert "[bold red]…" in _line(app, "Subject 00")
        assert app.is_running
