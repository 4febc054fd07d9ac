"""What each screen looks like, at 80x24, 120x35 and 200x60 (the sizes an agent's terminal, a
laptop's and a wide screen's are), on a deterministic demo set."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest
from textual.widgets import Input, TextArea

from screens.connection import DatabaseLost
from screens.lookup import LookupScreen
from storage.engine import Database, make_database
from storage.testing import fresh_sqlite
from tests.app.conftest import settle
from tests.factories import NOW
from workspace.app import AgentLaunch, CareDeskApp
from workspace.demo import build_demo


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo set at a frozen time, built once; each test works on a copy."""
    folder = Path(tmp_path_factory.mktemp("snapshots"))
    db = fresh_sqlite(folder)
    # No demo actions: these screens are drawn from the rows alone, and their own tests
    # add the requests they show.
    build_demo(db, customers=60, contacts=40, seed=11, now=NOW, act=False)
    db.dispose()
    path = folder / "caredesk.db"
    with closing(sqlite3.connect(path)) as conn:  # fold the WAL in, so one file is the copy
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def demo_db(demo_file: Path, tmp_path: Path) -> Database:
    """A private copy of the demo set, so no snapshot depends on another's writes."""
    copy = tmp_path / "copy.db"
    shutil.copyfile(demo_file, copy)
    return make_database(f"sqlite:///{copy}")


SIZES = pytest.mark.parametrize(
    "size", [(80, 24), (120, 35), (200, 60)], ids=["80x24", "120x35", "200x60"]
)


def _app(db: Database, agent: str = "alex") -> CareDeskApp:
    return CareDeskApp(
        # Named, as a team's agents sign in: the fallback to the first agent says so in a toast.
        AgentLaunch(lambda: db, agent=agent, fill_demo=False),
        clock=lambda: NOW,
        show_clock=False,
    )


async def _settle(pilot) -> None:
    await settle(pilot, rounds=3)
    _still(pilot)


def _still(pilot) -> None:
    """Stop every text cursor blinking, lit: a frame taken mid-blink would differ from the
    snapshot by the cursor alone."""
    for field in [*pilot.app.screen.query(Input), *pilot.app.screen.query(TextArea)]:
        field.cursor_blink = False


async def _booted(pilot) -> None:
    await _settle(pilot)


async def _claimed_and_typing(pilot) -> None:
    await _settle(pilot)
    await pilot.press("down", "down")
    await _settle(pilot)
    await pilot.press("enter", "3")  # a claim leaves the focus in the history: 3 is the reply
    await _settle(pilot)
    await pilot.press(*"Hello, I'm sorry about the wait.")
    await _settle(pilot)
    pilot.app.clear_notifications()
    await pilot.pause()


async def _entry_open(pilot) -> None:
    await _settle(pilot)
    await pilot.press("2", "down", "enter")
    await pilot.pause()
    _still(pilot)


async def _disposition(pilot) -> None:
    await _claimed_and_typing(pilot)
    await pilot.press("escape", "r")
    await pilot.pause()
    _still(pilot)


@SIZES
def test_workspace(snap_compare, demo_db: Database, size: tuple[int, int]) -> None:
    assert snap_compare(_app(demo_db), terminal_size=size, run_before=_booted)


@SIZES
def test_claimed_with_a_reply_typed(snap_compare, demo_db: Database, size) -> None:
    assert snap_compare(_app(demo_db), terminal_size=size, run_before=_claimed_and_typing)


def test_entry_in_full(snap_compare, demo_db: Database) -> None:
    assert snap_compare(_app(demo_db), terminal_size=(80, 24), run_before=_entry_open)


def test_disposition(snap_compare, demo_db: Database) -> None:
    assert snap_compare(_app(demo_db), terminal_size=(80, 24), run_before=_disposition)


async def _action_form(pilot) -> None:
    """Claimed, then the action form with an amount above the limit: needs approval."""
    await _claimed_and_typing(pilot)
    await pilot.press("f2", "a")
    await _settle(pilot)
    await pilot.press("tab", "tab", *"60", "tab", *"parcel nine days late")
    await _settle(pilot)
    pilot.app.clear_notifications()
    await pilot.pause()


@SIZES
def test_action_form(snap_compare, demo_db: Database, size: tuple[int, int]) -> None:
    assert snap_compare(_app(demo_db), terminal_size=size, run_before=_action_form)


async def _follow_up_form(pilot) -> None:
    """Claimed, then a call back promised for in 2 hours, with a note typed."""
    await _claimed_and_typing(pilot)
    await pilot.press("escape", "u")
    await _settle(pilot)
    await pilot.press("enter", *"in 2h", "enter", *"after the refund lands")
    await _settle(pilot)
    pilot.app.clear_notifications()
    await pilot.pause()


@SIZES
def test_follow_up_form(snap_compare, demo_db: Database, size: tuple[int, int]) -> None:
    assert snap_compare(_app(demo_db), terminal_size=size, run_before=_follow_up_form)


async def _promised(pilot) -> None:
    """The call back promised: the digest lists it first."""
    await _follow_up_form(pilot)
    await pilot.press("enter")
    await _settle(pilot)
    pilot.app.clear_notifications()
    await pilot.pause()


def test_a_promise_in_the_digest(snap_compare, demo_db: Database) -> None:
    assert snap_compare(_app(demo_db), terminal_size=(120, 35), run_before=_promised)


async def _database_lost(pilot) -> None:
    """Claimed with a reply typed, when the database goes away: the banner over the queue."""
    await _claimed_and_typing(pilot)
    pilot.app.screen.post_message(
        DatabaseLost('connection to server at "db.example", port 5432 failed: Connection refused')
    )
    # Two frames, no more: the watch asks the (healthy) database again and would clear it.
    await pilot.pause()
    await pilot.pause()
    _still(pilot)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_database_lost(snap_compare, demo_db: Database, size) -> None:
    assert snap_compare(_app(demo_db), terminal_size=size, run_before=_database_lost)


async def _help(pilot) -> None:
    await _settle(pilot)
    await pilot.press("f1")
    await pilot.pause()
    _still(pilot)


def test_help_of_the_queue(snap_compare, demo_db: Database) -> None:
    assert snap_compare(_app(demo_db), terminal_size=(80, 24), run_before=_help)


async def _approvals(pilot) -> None:
    """A supervisor's approval queue, from the workspace (p), with the demo's requests."""
    await _settle(pilot)
    await pilot.press("p")
    await _settle(pilot)
    pilot.app.clear_notifications()
    await pilot.pause()


def _ask(db: Database) -> None:
    """Alex asks for two discounts above what an agent may give alone, minutes apart, on
    the first two demo customers with a delivered order."""
    from sqlmodel import select

    from storage.models import Order
    from storage.uow import read_session
    from workspace.action_view import ActionRequest
    from workspace.agents import resolve_agent
    from workspace.policy_file import default_policy
    from workspace.workbench import Workbench

    alex = resolve_agent(db, "alex")
    with read_session(db) as s:
        delivered = select(Order).where(Order.status == "delivered").order_by(Order.id).limit(2)
        orders = [(o.customer_id, o.id) for o in s.exec(delivered)]
    reasons = ["parcel nine days late, second time", "blender jug cracked on arrival"]
    for minutes, (customer, order), reason in zip((14, 3), orders, reasons, strict=True):
        bench = Workbench.open(
            db, alex, default_policy(), clock=lambda m=minutes: NOW - timedelta(minutes=m)
        )
        asked = ActionRequest("discount", customer, order_id=order, amount="60", reason=reason)
        assert bench.actions.take(asked).record.status == "requested"


@SIZES
def test_approval_queue(snap_compare, demo_db: Database, size: tuple[int, int]) -> None:
    _ask(demo_db)
    assert snap_compare(_app(demo_db, "jordan"), terminal_size=size, run_before=_approvals)


async def _lookup(pilot) -> None:
    """The lookup, with the start of a name typed and its results listed."""
    await _settle(pilot)
    await pilot.press("f", *"mi")
    for _ in range(200):  # the lookup runs once typing pauses, in a worker
        screen = pilot.app.screen
        if isinstance(screen, LookupScreen) and screen.results:
            break
        await pilot.pause(0.05)
    await _settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 35)], ids=["80x24", "120x35"])
def test_lookup(snap_compare, demo_db: Database, size: tuple[int, int]) -> None:
    assert snap_compare(_app(demo_db), terminal_size=size, run_before=_lookup)
