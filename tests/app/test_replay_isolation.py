"""A replay never touches the team's data: with CAREDESK_DB naming the team's SQLite file or
PostgreSQL database, a whole replay, a headless score and a class report leave it unchanged
to the byte (SQLite) or to the row (PostgreSQL), and the throw-away world is gone after."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from screens.replay import ReplayReportScreen, ReplayScreen
from storage.engine import Database
from storage.testing import file_digest, table_sums
from tests.app.conftest import settle, until
from tests.replay.test_cli_replay import ANSWERS, SCENARIO, SHIPPED_POLICY
from workspace.cli import main
from workspace.cli.replay import replay_app
from workspace.demo import build_demo
from workspace.replay.clock import ScenarioClock
from workspace.replay.loading import scenario_from_text


async def _replay_everything(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Play, score and report as a trainer would, with the team's database configured."""
    (folder / "policy.yaml").write_text(SHIPPED_POLICY.read_text())
    (folder / "late-blender.yaml").write_text(SCENARIO)
    (folder / "a.answers.yaml").write_text(ANSWERS)
    worlds = folder / "tmp"
    worlds.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(worlds))  # where worlds are made
    scenario = scenario_from_text(SCENARIO, folder / "late-blender.yaml")
    elapsed = [0.0]
    clock = ScenarioClock(scenario.now, monotonic=lambda: elapsed[0])
    app, files = replay_app(scenario, folder, "Robin", clock=clock)
    async with app.run_test(size=(120, 35)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ReplayScreen))
        await settle(pilot)
        assert list(worlds.glob("caredesk-replay-*"))  # the world is there while it runs
        elapsed[0] = 60
        await pilot.press("3", *"Sorry.", "ctrl+s")
        await settle(pilot)
        await pilot.press("f2", "r", "enter")
        await until(pilot, lambda: isinstance(app.screen, ReplayReportScreen))
        await pilot.press("escape")
    assert files.report.exists()
    scenario_file = str(folder / "late-blender.yaml")
    assert main(["replay", scenario_file, "--answers", str(folder / "a.answers.yaml")]) == 0
    assert main(["replay", scenario_file, "--autopilot", "--json"]) == 0
    assert main(["scenario", "check", scenario_file]) == 0
    assert main(["replay", "report", str(folder)]) in (0, 1)
    assert not list(worlds.glob("caredesk-replay-*"))  # and gone once it ended


async def _unchanged(
    digest: Callable[[], object], folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = digest()
    await _replay_everything(folder, monkeypatch)
    assert digest() == before


async def test_the_teams_sqlite_file_is_unchanged(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_demo(sqlite_db, customers=20, contacts=10)
    file = Path(str(sqlite_db.read.url.database))
    sqlite_db.dispose()
    monkeypatch.setenv("CAREDESK_DB", f"sqlite:///{file}")
    folder = tmp_path / "class"
    folder.mkdir()
    await _unchanged(lambda: file_digest(file), folder, monkeypatch)


async def test_the_teams_postgresql_database_is_unchanged(
    pg_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_demo(pg_db, customers=20, contacts=10)
    monkeypatch.setenv("CAREDESK_DB", pg_db.url)
    folder = tmp_path / "class"
    folder.mkdir()
    await _unchanged(lambda: table_sums(pg_db), folder, monkeypatch)
