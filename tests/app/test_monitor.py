"""The monitor on screen: known rows show, a claim made meanwhile appears, a contact opens
read-only, and the database is the same afterwards, to the byte."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.widgets import Static
from textual.worker import WorkerState

from screens.context_pane import ContextPane
from screens.help import HelpScreen
from screens.monitor import LISTEN, ORDER, PANELS, ContactView, MonitorScreen, open_panels
from storage.engine import Database, Reader
from storage.testing import file_digest, table_sums
from tests.app.conftest import until
from tests.factories import NOW
from tests.monitoring import monitor_reader
from tests.workspace.test_monitor import add_action, fill_floor
from widgets.board import Board
from workspace.agents import resolve_agent
from workspace.app import CareDeskApp, MonitorLaunch
from workspace.desk import Desk
from workspace.monitor import Monitor
from workspace.policy_file import default_policy


def monitor_app(reader: Reader) -> CareDeskApp:
    """The monitor on `reader`, the clock frozen at NOW."""
    return CareDeskApp(MonitorLaunch(lambda: reader), clock=lambda: NOW, show_clock=False)


async def settled(pilot: Pilot[None]) -> MonitorScreen:
    """Wait until the monitor is up and no read runs (the listener runs for good)."""
    await until(pilot, lambda: isinstance(pilot.app.screen, MonitorScreen))
    screen = pilot.app.screen
    assert isinstance(screen, MonitorScreen)
    await until(pilot, lambda: len(screen.read) == len(ORDER))
    for _ in range(500):
        if not any(
            w.state in (WorkerState.PENDING, WorkerState.RUNNING) and w.group != LISTEN
            for w in pilot.app.workers
        ):
            break
        await asyncio.sleep(0.01)
    await pilot.pause()
    return screen


def texts(board: Board) -> list[tuple[str, ...]]:
    return [line.cells for line in board.lines]


async def test_each_panel_shows_the_floor(sqlite_db: Database) -> None:
    _alex, sam, _riley = fill_floor(sqlite_db)
    add_action(
        sqlite_db, "A-1", sam, "refund", "60.00", status="requested", ago=timedelta(minutes=20)
    )
    with monitor_reader(sqlite_db) as reader:
        app = monitor_app(reader)
        async with app.run_test(size=(120, 35)) as pilot:
            screen = await settled(pilot)
            urgent = texts(screen.board("urgent"))
            assert [row[2] for row in urgent] == ["T-5", "T-2", "T-1"]
            assert urgent[0][0].startswith("BREACHED")
            floor = {row[0]: row for row in texts(screen.board("floor"))}
            assert floor["Sam"][1:] == ("here", "T-2 +1 25m", "T-2", "2 · 10m")
            assert floor["Riley"][1] == "silent 2m"
            assert texts(screen.board("approvals"))[0][:3] == ("20m", "Sam", "Refund 60.00 USD")
            depth = {row[0]: row for row in texts(screen.board("depth"))}
            assert depth["all"] == ("all", "2", "2", "1", "1 (1)")
            title = str(screen.query_one("#urgent-panel").border_title)
            assert "2 breached, 1 at risk" in title


async def test_the_first_frame_shows_every_panel_read(sqlite_db: Database) -> None:
    """The boot reads every panel before the wallboard is composed: they are drawn in its
    first frame together, none after it, and today's trend lines follow."""
    fill_floor(sqlite_db)
    with monitor_reader(sqlite_db) as reader:
        app = monitor_app(reader)
        async with app.run_test(size=(120, 35)) as pilot:
            screen = await settled(pilot)
            assert len({screen.refreshed_at[name] for name in PANELS}) == 1
            assert texts(screen.board("urgent"))
            assert screen.refreshed_at["metrics"] > screen.refreshed_at["urgent"]


def test_a_first_read_the_database_fails_is_left_to_the_screen(tmp_path: Path) -> None:
    """A database lost between the schema check and the panels' first read does not end
    the monitor: those panels are not read, and the screen reads them once it answers."""
    from storage.testing import fresh_sqlite
    from workspace.monitor import open_monitor

    db = fresh_sqlite(tmp_path, name="floor.db")
    file = tmp_path / "floor.db"
    try:
        fill_floor(db)
    finally:
        db.dispose()
    with monitor_reader(db) as reader:
        monitor = open_monitor(reader, clock=lambda: NOW)
        reader.dispose()  # no connection left open on the file
        file.rename(tmp_path / "gone.db")
        opened = open_panels(monitor, lambda: NOW)
        assert opened.read == {}
        (tmp_path / "gone.db").rename(file)
        opened = open_panels(monitor, lambda: NOW)
        assert set(opened.read) == set(ORDER)


async def test_todays_figures_show_with_their_trends(sqlite_db: Database) -> None:
    """The metrics panel shows the report's own figures for today, each with a line over 14
    days and over today's hours; a figure with no data shows `-` and no line."""
    from textual.widgets import Sparkline

    from widgets.trend_board import TrendLine
    from workspace.metrics import Period
    from workspace.reporting import report
    from workspace.trends import DAYS, day_start

    fill_floor(sqlite_db)
    with monitor_reader(sqlite_db) as reader:
        expected = report(reader, Period(day_start(NOW), NOW)).total
        app = monitor_app(reader)
        async with app.run_test(size=(200, 60)) as pilot:
            screen = await settled(pilot)
            opened = screen.query_one("#trend-contacts_opened", TrendLine)
            shown = [str(label.render()) for label in opened.query("Label")]
            assert shown == ["Opened", str(expected.contacts_opened)]
            days = opened.query_one(".trend-days", Sparkline)
            # Today's figures come first; the trend lines follow in the next read.
            await until(pilot, lambda: len(days.data or []) == DAYS)
            assert days.visible
            csat = screen.query_one("#trend-csat_percent", TrendLine)
            assert [str(label.render()) for label in csat.query("Label")] == ["CSAT %", "-"]
            assert not csat.query_one(".trend-days", Sparkline).visible


async def test_a_claim_made_meanwhile_appears(sqlite_db: Database) -> None:
    fill_floor(sqlite_db)
    alex = resolve_agent(sqlite_db, "alex")
    with monitor_reader(sqlite_db) as reader:
        app = monitor_app(reader)
        async with app.run_test(size=(120, 35)) as pilot:
            screen = await settled(pilot)
            Desk(sqlite_db, alex, clock=lambda: NOW).claim("T-1")

            def alex_holds() -> bool:
                floor = {row[0]: row for row in texts(screen.board("floor"))}
                return floor["Alex"][2].startswith("T-1")

            await until(pilot, alex_holds, seconds=4)  # the feed, not the 5 s refresh
            urgent = {row[2]: row for row in texts(screen.board("urgent"))}
            assert urgent["T-1"][4] == "Alex"


async def test_enter_opens_a_contact_read_only(sqlite_db: Database) -> None:
    fill_floor(sqlite_db)
    with monitor_reader(sqlite_db) as reader:
        app = monitor_app(reader)
        async with app.run_test(size=(120, 35)) as pilot:
            screen = await settled(pilot)
            screen.board("urgent").focus()
            await pilot.press("down", "down", "enter")  # T-1, Dana Whitfield's
            await until(pilot, lambda: isinstance(app.screen, ContactView))
            pane = app.screen.query_one(ContextPane)
            await until(pilot, lambda: pane.context is not None)
            assert pane.context is not None
            assert pane.context.digest.customer.name == "Dana Whitfield"
            note = str(app.screen.query_one("#contact-note").render())
            assert "T-1 · open · call · held by nobody · read-only" in note
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, MonitorScreen))
            launch = app.launch
            assert isinstance(launch, MonitorLaunch) and launch.db is reader
            assert not hasattr(reader, "write")
            refused = pytest.raises(OperationalError, match=r"readonly|read-only|query_only")
            with refused, reader.read.begin() as conn:
                conn.execute(text("UPDATE ticket SET subject = 'x'"))


async def _watch_and_drill(reader: Reader) -> None:
    """Monitor the floor, open a contact and an agent, search a history, and leave."""
    app = monitor_app(reader)
    async with app.run_test(size=(120, 35)) as pilot:
        screen = await settled(pilot)
        for board, moves in (("urgent", ("down",)), ("floor", ("end",))):
            screen.board(board).focus()
            await pilot.press(*moves, "enter")
            await until(pilot, lambda: isinstance(app.screen, ContactView))
            pane = app.screen.query_one(ContextPane)

            def loaded(pane: ContextPane = pane) -> bool:
                return pane.context is not None

            await until(pilot, loaded)
            await pilot.press("slash", *"jug", "enter")
            await asyncio.sleep(0.2)
            await pilot.press("escape", "escape")
            await until(pilot, lambda: isinstance(app.screen, MonitorScreen))
        screen.action_refresh_all()
        await settled(pilot)


async def test_monitoring_leaves_a_sqlite_file_unchanged(sqlite_db: Database) -> None:
    fill_floor(sqlite_db)
    path = Path(str(sqlite_db.read.url.database))
    sqlite_db.dispose()
    before = file_digest(path)
    with monitor_reader(sqlite_db) as reader:
        await _watch_and_drill(reader)
    assert file_digest(path) == before


async def test_monitoring_leaves_postgresql_unchanged(pg_db: Database) -> None:
    fill_floor(pg_db)
    before = table_sums(pg_db)
    with monitor_reader(pg_db) as reader:
        await _watch_and_drill(reader)
    assert table_sums(pg_db) == before


def test_a_write_through_the_monitors_connection_fails(db: Database) -> None:
    fill_floor(db)
    with monitor_reader(db) as reader:
        monitor = Monitor(reader, default_policy())
        for statement in (
            "UPDATE ticket SET assigned_agent_id = NULL",
            "DELETE FROM desk_session",
            "INSERT INTO change (at, kind) VALUES (CURRENT_TIMESTAMP, 'claim')",
        ):
            with pytest.raises(DBAPIError), monitor.db.read.begin() as conn:
                conn.execute(text(statement))


async def test_a_lost_database_is_told_in_the_monitors_own_words(sqlite_db: Database) -> None:
    """The banner says what the wallboard keeps (what it last read), not the workspace's
    "everything you typed", and the panels stay."""
    from screens.connection import DatabaseLost
    from tests.app.screen import screen_text

    fill_floor(sqlite_db)
    with monitor_reader(sqlite_db) as reader:
        app = monitor_app(reader)
        async with app.run_test(size=(120, 35)) as pilot:
            screen = await settled(pilot)
            screen.post_message(DatabaseLost("connection refused"))
            await pilot.pause()
            await pilot.pause()
            shown = screen_text(app)
            assert "Lost the database; the panels show what was last read" in shown
            assert "you typed" not in shown
            assert texts(screen.board("urgent"))


async def test_help_and_the_palette_speak_of_the_wallboard(sqlite_db: Database) -> None:
    fill_floor(sqlite_db)
    with monitor_reader(sqlite_db) as reader:
        app = monitor_app(reader)
        async with app.run_test(size=(120, 35)) as pilot:
            await settled(pilot)
            await pilot.press("f1")
            await until(pilot, lambda: isinstance(app.screen, HelpScreen))
            about = str(app.screen.query_one("#help-about", Static).render())
            assert about.startswith("The wallboard: the floor as it is, read-only")
            assert "tab moves between panels; ⏎ opens" in about
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, MonitorScreen))

            await pilot.press("ctrl+p")
            await until(pilot, lambda: isinstance(app.screen, CommandPalette))
            await pilot.press(*"refresh")
            found = app.screen.query_one(CommandList)
            await until(pilot, lambda: found.option_count > 0)
            assert "Wallboard · Refresh" in str(found.get_option_at_index(0).prompt)
            await pilot.press("escape")

            screen = app.screen
            assert isinstance(screen, MonitorScreen)
            screen.board("urgent").focus()
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, ContactView))
            await pilot.press("question_mark")
            await until(pilot, lambda: isinstance(app.screen, HelpScreen))
            about = str(app.screen.query_one("#help-about", Static).render())
            assert "read-only: nothing here claims, replies" in about


async def test_a_request_made_meanwhile_reaches_the_friction_panel(sqlite_db: Database) -> None:
    from workspace.action_view import ActionRequest
    from workspace.workbench import Workbench

    fill_floor(sqlite_db)
    alex = resolve_agent(sqlite_db, "alex")
    # A moment before the monitor's frozen clock: its month runs up to it, not past it.
    bench = Workbench.open(sqlite_db, alex, default_policy(), lambda: NOW - timedelta(seconds=1))
    with monitor_reader(sqlite_db) as reader:
        app = monitor_app(reader)
        async with app.run_test(size=(200, 60)) as pilot:
            screen = await settled(pilot)
            assert texts(screen.board("friction")) == []
            outcome = bench.actions.take(
                ActionRequest(kind="discount", customer_id="C-1", amount="500", reason="late")
            )
            rule = outcome.record.rule

            def counted() -> bool:
                return any(row[0] == rule for row in texts(screen.board("friction")))

            await until(pilot, counted, seconds=4)  # the feed, not the 5 s refresh
            row = next(r for r in texts(screen.board("friction")) if r[0] == rule)
            assert row[1:3] in (("1", "0"), ("0", "1"))  # denied outright, or asked
