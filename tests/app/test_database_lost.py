"""A database that goes away under an open workspace: the app stays up, says so, keeps what
the agent typed, and carries on when the database is back."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from screens.connection import ConnectionWatch
from screens.workspace import WorkspaceScreen
from storage.engine import Database, make_database
from storage.migrate import upgrade
from tests.app.conftest import fill_desk, settle
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


async def _drafting(pilot) -> tuple[WorkspaceScreen, ConnectionWatch, Composer]:
    """Dana's contact claimed, a reply drafted, and the connection watch retrying quickly."""
    await _claim_dana(pilot)
    workspace = pilot.app.screen
    assert isinstance(workspace, WorkspaceScreen)
    watch = workspace.query_one(ConnectionWatch)
    watch.retry_every = 0.2
    composer = workspace.query_one(Composer)
    composer.text_area.load_text(DRAFT)
    return workspace, watch, composer


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
        _, _, composer = await _drafting(pilot)
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
        workspace, watch, composer = await _drafting(pilot)
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


def _pg_tools() -> Path | None:
    """The folder of PostgreSQL's server programs (initdb, pg_ctl), if this machine has them."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return versions[-1].parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """A PostgreSQL server of this test's own, on a port of its own, so it can be stopped and
    started again without touching anyone else's."""

    def __init__(self, tools: Path, folder: Path) -> None:
        self.tools = tools
        self.folder = folder
        self.port = _free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(folder, "postgres")
        self._run("initdb", "-D", str(folder / "data"), "-A", "trust", "-U", "postgres")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [*self.as_user, str(self.tools / program), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        log = str(self.folder / "server.log")
        self._run(
            "pg_ctl", "-D", str(self.folder / "data"), "-o", options, "-l", log, "-w", "start"
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    tools = _pg_tools()
    if tools is None:
        pytest.skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
    folder = Path(tempfile.mkdtemp(prefix="caredesk-pg-"))  # short: a socket path has a limit
    server = Cluster(tools, folder)
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


async def test_postgresql_restarted_under_the_workspace(cluster: Cluster) -> None:
    db = make_database(cluster.url)
    upgrade(db.read)
    fill_desk(db)
    db.dispose()
    launch = AgentLaunch(lambda: make_database(cluster.url), fill_demo=False)
    app = CareDeskApp(launch, clock=lambda: NOW, show_clock=False)
    async with app.run_test(size=SIZE) as pilot:
        workspace, watch, composer = await _drafting(pilot)
        cluster.stop()
        workspace.query_one("NewsWatcher").look()  # what its 3-second timer does
        await _until(pilot, lambda: watch.lost, "the banner")
        # The banner gives the driver's own words: the server ending the pooled connection
        # as it stopped, or refusing a new one (a connection idle long enough is checked).
        shown = str(watch.render())
        assert "terminating connection" in shown or "Connection refused" in shown
        assert app.is_running and composer.text_area.text == DRAFT
        cluster.start()
        await _until(pilot, lambda: not watch.lost, "the banner to go", seconds=30)
        composer.text_area.focus()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert composer.text_area.text == ""
        assert "Reply sent on T-1." in _told(app)
