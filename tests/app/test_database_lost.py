"""A database that goes away under an open workspace: the app stays up, says so, keeps what
the agent typed, and carries on when the database is back."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from textual.widgets import Input, Static

from screens.connection import ConnectionWatch
from screens.workspace import WorkspaceScreen
from storage.engine import Database, make_database
from tests.app.conftest import settle
from tests.app.test_actions_ui import _actions, _claim_dana, _open_form, _told
from tests.factories import NOW
from widgets.composer import Composer
from workspace.app import AgentLaunch, CareDeskApp

SIZE = (120, 35)
DRAFT = "Hi Dana, I am sorry about the jug: a new one is on its way."


@contextmanager
def locked(db: Database) -> Iterator[None]:
    """Another program holding the SQLite file's write lock (a long import, a backup tool):
    reads still answer, every write waits out its busy timeout and fails."""
    path = Path(db.url.removeprefix("sqlite:///"))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def _app(db: Database) -> CareDeskApp:
    # A short busy timeout: a locked file is found out in a fifth of a second, not ten.
    launch = AgentLaunch(lambda: make_database(db.url, busy_timeout=0.2), fill_demo=False)
    return CareDeskApp(launch, clock=lambda: NOW, show_clock=False)


async def _until(pilot, check, what: str, seconds: float = 15.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
        await pilot.pause()
    raise AssertionError(f"timed out waiting for {what}")


async def test_a_locked_database_keeps_the_draft_and_the_form_and_comes_back(desk_db) -> None:
    app = _app(desk_db)
    async with app.run_test(size=SIZE) as pilot:
        await _claim_dana(pilot)
        workspace = app.screen
        assert isinstance(workspace, WorkspaceScreen)
        watch = workspace.query_one(ConnectionWatch)
        watch.retry_every = 0.2
        composer = workspace.query_one(Composer)
        composer.text_area.load_text(DRAFT)
        form = await _open_form(pilot)
        amount = form.query_one("#action-amount", Input)
        amount.focus()
        await pilot.press("2", "0")
        reason = form.query_one("#action-reason", Input)
        reason.focus()
        await pilot.press(*"jug")
        await settle(pilot)
        assert "ALLOW" in str(form.query_one("#action-verdict", Static).render())

        with locked(desk_db):
            await pilot.press("ctrl+s")  # the action cannot be recorded: the file is locked
            await _until(pilot, lambda: "did not answer" in _told(app), "the failure told")
            await settle(pilot)
            assert app.is_running and app.screen is form and not form.submitting
            assert _actions(desk_db) == []
            assert "ALLOW" in str(form.query_one("#action-verdict", Static).render())

        assert amount.value == "20" and reason.value == "jug"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, WorkspaceScreen)
        assert _actions(desk_db) == [("discount", "20.00", "executed")]
        assert composer.text_area.text == DRAFT  # the draft outlived it all
        composer.text_area.focus()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert composer.text_area.text == ""
        assert "Reply sent on T-1." in _told(app)


async def test_a_reply_sent_while_the_database_is_away_is_kept_to_send_again(desk_db) -> None:
    app = _app(desk_db)
    async with app.run_test(size=SIZE) as pilot:
        await _claim_dana(pilot)
        workspace = app.screen
        assert isinstance(workspace, WorkspaceScreen)
        watch = workspace.query_one(ConnectionWatch)
        watch.retry_every = 0.2
        composer = workspace.query_one(Composer)
        composer.text_area.load_text(DRAFT)
        composer.text_area.focus()
        with locked(desk_db):
            await pilot.press("ctrl+s")
            await _until(pilot, lambda: watch.lost, "the banner")
            await settle(pilot)
            assert composer.text_area.text == DRAFT and not composer.sending
            assert "did not answer" in _told(app)
            workspace.queue.reload()  # what its 5-second refresh does: it fails quietly
            await settle(pilot)
            assert app.is_running
        await _until(pilot, lambda: not watch.lost, "the banner to go")
        assert "The database answers again." in _told(app)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert composer.text_area.text == ""
        assert "Reply sent on T-1." in _told(app)
