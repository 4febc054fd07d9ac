"""App tests: a real database with a few known contacts, and the app on a frozen clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import pytest
import textual._wait
from textual.pilot import Pilot
from textual.worker import WorkerState

from screens.delivery import DELIVER, SWEEP
from screens.live import LISTEN
from storage.engine import Database
from tests.factories import NOW, add_agents, add_customer, add_message, add_order, add_ticket
from workspace.app import AgentLaunch, CareDeskApp

#: How long the pilot looks at the CPU clock to tell an idle app from a busy one.
IDLE_LOOK = 0.005


@pytest.fixture(autouse=True)
def _brisk_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    """After each key it sends, the pilot waits twice until the app is idle, looking at the
    CPU clock over 20 ms at a time: 40 ms a key, most of a typed sentence's time. Looking
    over 5 ms, with the same share of CPU as the bar for idle, tells the same apart."""
    monkeypatch.setattr(textual._wait, "SLEEP_GRANULARITY", IDLE_LOOK)
    monkeypatch.setattr(textual._wait, "SLEEP_IDLE", IDLE_LOOK / 20)


@pytest.fixture
def desk_db(sqlite_db: Database) -> Database:
    """Three customers, four contacts, one held by a colleague."""
    return fill_desk(sqlite_db)


def fill_desk(sqlite_db: Database) -> Database:
    """Three customers, four contacts, one held by a colleague."""
    _alex, sam = add_agents(sqlite_db, "alex", "sam")
    add_customer(sqlite_db, "C-1", "Dana Whitfield", "gold")
    add_customer(sqlite_db, "C-2", "Omar Haddad", "standard")
    add_customer(sqlite_db, "C-3", "Lena Fischer", "silver")
    add_ticket(sqlite_db, "T-1", "C-1", channel="call", due_in=4, subject="Cracked jug")
    add_ticket(sqlite_db, "T-2", "C-2", channel="email", due_in=-3, subject="Double charge")
    add_ticket(sqlite_db, "T-3", "C-3", channel="chat", due_in=40, subject="Address change")
    add_ticket(sqlite_db, "T-4", "C-2", channel="sms", due_in=90, subject="Thanks", holder=sam.id)
    add_order(
        sqlite_db,
        "W1001",
        "C-1",
        placed=NOW - timedelta(days=6),
        delivered=NOW - timedelta(days=2),
        promised=(NOW - timedelta(days=4)).date(),
    )
    add_message(
        sqlite_db,
        "I-1",
        "C-1",
        at=NOW - timedelta(days=3),
        channel="chat",
        text="My blender was supposed to arrive yesterday. Where is it?",
    )
    add_message(
        sqlite_db,
        "I-2",
        "C-1",
        at=NOW - timedelta(days=1),
        channel="email",
        subject="Blender arrived with a cracked jug",
        text="It finally came, two days late, and the jug is cracked.",
    )
    add_message(
        sqlite_db,
        "I-3",
        "C-1",
        at=NOW - timedelta(minutes=5),
        ticket="T-1",
        channel="call",
        text="Customer calling about the jug.",
    )
    return sqlite_db


def make_app(db: Database, agent: str | None = None) -> CareDeskApp:
    """The app on `db`, with the clock frozen at NOW and no demo fill."""
    return CareDeskApp(
        AgentLaunch(lambda: db, agent=agent, fill_demo=False), clock=lambda: NOW, show_clock=False
    )


async def settle(pilot: Pilot[None], rounds: int = 2) -> None:
    """Wait until no worker runs (a failed one included; the live feed's listener runs for
    good) and the screen has caught up."""
    app = pilot.app
    for _ in range(rounds):
        for _ in range(500):
            if not any(
                w.state in (WorkerState.PENDING, WorkerState.RUNNING)
                and w.group not in (LISTEN, DELIVER, SWEEP)
                for w in app.workers
            ):
                break
            await asyncio.sleep(0.01)
        await pilot.pause()


async def until(pilot: Pilot[None], condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Let the app run until `condition()` holds (the feed delivers on its own thread)."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
        await pilot.pause()
    raise AssertionError("the workspace did not catch up")
