"""What a replay looks like: the workspace on the scenario's world, its clock in the title, at
80x24, 120x35 and 200x60; and the report at the end, at 80x24 and 200x60."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from screens.replay import ReplayReportScreen, ReplayScreen
from tests.app.conftest import settle, until
from tests.replay.test_cli_replay import SCENARIO, SHIPPED_POLICY
from workspace.app import CareDeskApp
from workspace.cli.replay import replay_app
from workspace.replay.clock import ScenarioClock
from workspace.replay.loading import scenario_from_text

STARTED = datetime(2026, 11, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[CareDeskApp]:
    (tmp_path / "policy.yaml").write_text(SHIPPED_POLICY.read_text())
    scenario = scenario_from_text(SCENARIO, tmp_path / "late-blender.yaml")
    clock = ScenarioClock(scenario.now, monotonic=lambda: 0.0)
    here = Path.cwd()
    os.chdir(tmp_path)  # the report names the files as the trainee gave the folder
    try:
        made, _files = replay_app(scenario, Path("class"), "Robin", clock=clock, started=STARTED)
        (tmp_path / "class").mkdir()
        yield made
    finally:
        os.chdir(here)


async def _playing(pilot: Pilot[None]) -> None:
    await until(pilot, lambda: isinstance(pilot.app.screen, ReplayScreen))
    await settle(pilot)
    await pilot.pause()


async def _reported(pilot: Pilot[None]) -> None:
    await _playing(pilot)
    await pilot.press("3", *"Sorry.", "ctrl+s")
    await settle(pilot)
    await pilot.press("ctrl+q")
    await until(pilot, lambda: isinstance(pilot.app.screen, ReplayReportScreen))
    await settle(pilot)
    await pilot.pause()


@pytest.mark.parametrize(
    "size", [(80, 24), (120, 35), (200, 60)], ids=["80x24", "120x35", "200x60"]
)
def test_playing(snap_compare: Any, app: CareDeskApp, size: tuple[int, int]) -> None:
    assert snap_compare(app, terminal_size=size, run_before=_playing)


@pytest.mark.parametrize("size", [(80, 24), (200, 60)], ids=["80x24", "200x60"])
def test_report(snap_compare: Any, app: CareDeskApp, size: tuple[int, int]) -> None:
    assert snap_compare(app, terminal_size=size, run_before=_reported)
