"""What the monitor looks like at 80x24 and 200x60, on the snapshot demo set at a frozen
clock, with two workspaces open and two requests waiting."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert
from textual.pilot import Pilot
from textual.widgets import Sparkline

from storage.engine import Reader, make_reader
from storage.models import DeskSession
from storage.testing import fresh_sqlite
from storage.uow import unit_of_work
from tests.app.conftest import until
from tests.app.test_monitor import monitor_app, settled
from tests.app.test_snapshots import _ask
from tests.factories import NOW
from workspace.agents import resolve_agent
from workspace.demo import build_demo
from workspace.desk import Desk
from workspace.queue import QueueFilter
from workspace.trends import DAYS


def _at(moment: datetime) -> datetime:
    return moment


@pytest.fixture(scope="module")
def floor_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The snapshots' demo set, with Alex and Sam at work: built once, copied per test."""
    folder = Path(tmp_path_factory.mktemp("monitor"))
    db = fresh_sqlite(folder)
    # No demo actions: these screens are drawn from the rows alone, and their own tests
    # add the requests they show.
    build_demo(db, customers=60, contacts=40, seed=11, now=NOW, act=False)
    _ask(db)
    for name, minutes, beat in (("alex", 12, 4), ("sam", 3, 6)):
        agent = resolve_agent(db, name)
        claimed_at = NOW - timedelta(minutes=minutes)
        desk = Desk(db, agent, clock=partial(_at, claimed_at))
        claimed = desk.claim_next(QueueFilter())
        assert claimed is not None
        with unit_of_work(db) as s:
            s.execute(
                insert(DeskSession).values(
                    id=f"s-{name}",
                    agent_id=agent.id,
                    started_at=NOW - timedelta(hours=1),
                    beat_at=NOW - timedelta(seconds=beat),
                    viewing_ticket_id=claimed.id,
                    host="desk",
                )
            )
    db.dispose()
    path = folder / "caredesk.db"
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def floor_reader(floor_file: Path, tmp_path: Path) -> Iterator[Reader]:
    copy = tmp_path / "copy.db"
    shutil.copyfile(floor_file, copy)
    reader = make_reader(f"sqlite:///{copy}")
    yield reader
    reader.dispose()


async def _settled(pilot: Pilot[None]) -> None:
    screen = await settled(pilot)
    # Today's figures come first, their trend lines in the read after: wait for those.
    opened = screen.query_one("#trend-contacts_opened .trend-days", Sparkline)
    await until(pilot, lambda: len(opened.data or []) == DAYS)
    await settled(pilot)
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (200, 60)], ids=["80x24", "200x60"])
def test_monitor(snap_compare: Any, floor_reader: Reader, size: tuple[int, int]) -> None:
    assert snap_compare(monitor_app(floor_reader), terminal_size=size, run_before=_settled)
