"""The resolved view, reached with `s`: the newest closed contact first, each row with how
long it was handled, a figure that stays put however long ago it closed."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.engine import Database
from storage.models import Ticket
from storage.uow import unit_of_work
from tests.app.conftest import make_app, settle
from tests.app.screen import screen_text
from tests.factories import NOW
from widgets.queue_table import QueueTable
from workspace.agents import AgentRecord
from workspace.desk import Desk

SIZE = (120, 35)


def _work(db: Database, tid: str, claimed: datetime, resolved: datetime) -> None:
    """Alex claims `tid` at `claimed` and resolves it at `resolved`, as the desk does."""
    now = [claimed]
    alex = Desk(db, AgentRecord(1, "alex", "Alex", "agent"), clock=lambda: now[0])
    assert alex.claim(tid).claimed
    now[0] = resolved
    alex.resolve(tid, "resolved")


def _closed_years_ago(db: Database) -> None:
    """A contact imported from an older system: opened and closed years ago, with the
    handle time that system measured."""
    opened = NOW - timedelta(days=4027)
    with unit_of_work(db) as s:
        s.add(
            Ticket(
                id="T-OLD",
                customer_id="C-3",
                channel="email",
                subject="Warranty question",
                status="resolved",
                active=False,
                priority="normal",
                priority_rank=2,
                opened_at=opened,
                sla_due_at=opened + timedelta(days=1),
                resolved_at=opened + timedelta(hours=5),
                handle_seconds=540,
            )
        )


async def test_the_resolved_view_shows_the_newest_first_with_its_handle_time(
    desk_db: Database,
) -> None:
    # Cracked jug: claimed three hours ago, closed 20 minutes later. Address change: opened
    # minutes ago, claimed at once and closed in 12 minutes, the newest of all.
    _work(desk_db, "T-1", NOW - timedelta(hours=3), NOW - timedelta(hours=2, minutes=40))
    _work(desk_db, "T-3", NOW - timedelta(minutes=50), NOW - timedelta(minutes=38))
    _closed_years_ago(desk_db)
    app = make_app(desk_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(QueueTable)
        assert "WAIT" in screen_text(app)
        for _ in range(4):
            if "Queue · resolved" in screen_text(app):
                break
            await pilot.press("s")
            await settle(pilot)
        text = screen_text(app)
        assert "Queue · resolved · all channels" in text and "3 contacts" in text
        assert [table.row_at(i).id for i in range(table.total)] == ["T-3", "T-1", "T-OLD"]
        assert "HANDLE" in text and "WAIT" not in text
        # The newest is the first row under the header, each with how long it was handled;
        # the one closed eleven years ago took what its own system measured, not 4027 days.
        lines = text.splitlines()
        header = next(n for n, line in enumerate(lines) if "HANDLE" in line)
        rows = lines[header + 1 : header + 4]
        for line, (subject, handled) in zip(
            rows,
            [("Address change", " 12m "), ("Cracked jug", " 20m "), ("Warranty question", " 9m ")],
            strict=True,
        ):
            assert subject in line and handled in line, line
        assert "4027d" not in text
        # The contact bar says it is over, when and by whom; nobody holds it any more.
        resolved_at = (NOW - timedelta(minutes=38)).strftime("%H:%M")  # tests run in UTC
        assert f"Resolved {resolved_at} by Alex" in text, text
        bar = [line for line in lines if "T-3 CHAT" in line]
        assert bar, text
        assert "Held by" not in text and "Unclaimed" not in text
        # Back to the active view: its rows wait again.
        await pilot.press("s")
        await settle(pilot)
        text = screen_text(app)
        assert "Queue · active" in text and "WAIT" in text and "HANDLE" not in text
