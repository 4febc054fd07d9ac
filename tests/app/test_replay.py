"""A trainee plays the spec's scenario in the real workspace, by keys, on an injected clock:
the customer's turns arrive on time and after their action, the answers file is written as
they go, and the report at the end is the one a headless score of that file gives."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, Select, SelectionList

from screens.action_form import ActionFormScreen
from screens.replay import ReplayReportScreen, ReplayScreen
from tests.app.conftest import settle, until
from tests.app.screen import screen_text
from tests.replay.test_cli_replay import SCENARIO, SHIPPED_POLICY
from widgets.timeline import Timeline
from workspace.app import CareDeskApp
from workspace.cli import main
from workspace.cli.replay import replay_app
from workspace.replay.answers_file import Files
from workspace.replay.loading import load_answers, scenario_from_text
from workspace.replay.model import Scenario
from workspace.replay.scoring import score
from workspace.replay.world import ScenarioClock

SIZE = (120, 35)


def timeline_texts(screen: ReplayScreen) -> list[str]:
    return [entry.text for entry in screen.query_one(Timeline).entries]


async def open_history(pilot: Pilot[None], screen: ReplayScreen, ref: str) -> None:
    timeline = screen.query_one(Timeline)
    timeline.focus()
    timeline.cursor = next(n for n, e in enumerate(timeline.entries) if e.ref == ref)
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("escape")
    await settle(pilot)


async def act(pilot: Pilot[None], kind: str, amount: str | None, reason: str) -> None:
    await pilot.press("f2", "a")
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, ActionFormScreen)
    form.query_one("#action-kind", Select).value = kind
    await settle(pilot)
    if amount is None:
        form.query_one("#action-items", SelectionList).focus()
        await pilot.press("space")  # the order's first item
    else:
        box = form.query_one("#action-amount", Input)
        box.focus()
        await pilot.press(*amount)
    reason_box = form.query_one("#action-reason", Input)
    reason_box.focus()
    await pilot.press(*reason)
    await settle(pilot)
    await pilot.press("ctrl+s")
    await settle(pilot)


def _replay(tmp_path: Path) -> tuple[Scenario, list[float], CareDeskApp, Files]:
    """The spec's scenario, ready to play as Robin, its clock moved by hand (`elapsed`)."""
    (tmp_path / "policy.yaml").write_text(SHIPPED_POLICY.read_text())
    scenario = scenario_from_text(SCENARIO, tmp_path / "late-blender.yaml")
    elapsed = [0.0]
    clock = ScenarioClock(scenario.now, monotonic=lambda: elapsed[0])
    app, files = replay_app(scenario, tmp_path, "Robin", clock=clock)
    return scenario, elapsed, app, files


async def test_a_trainee_plays_the_scenario_to_its_report(tmp_path: Path) -> None:
    scenario, elapsed, app, files = _replay(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ReplayScreen))
        screen = app.screen
        assert isinstance(screen, ReplayScreen)
        await until(pilot, lambda: bool(screen.query_one(Timeline).entries))
        first = "Hi, I've written twice already about my blender."
        assert first in timeline_texts(screen)
        assert str(app.sub_title).startswith("Training · 09:00:00, 0s in · Cracked jug")
        # What the scenario expects is nowhere on screen while the trainee plays.
        assert "I hear you" not in screen_text(app) and "expected" not in screen_text(app)

        elapsed[0] = 5
        await open_history(pilot, screen, "H-2")
        elapsed[0] = 30
        await pilot.press("3", *"So sorry.", "ctrl+s")
        await settle(pilot)
        elapsed[0] = 41
        await until(pilot, lambda: "Can you just send me a new one?" in timeline_texts(screen))
        assert "Thank you, that's all I wanted." not in timeline_texts(screen)

        elapsed[0] = 60
        await act(pilot, "replacement", None, "jug")
        await until(pilot, lambda: "Thank you, that's all I wanted." in timeline_texts(screen))
        elapsed[0] = 75
        await act(pilot, "store_credit", "10", "late")
        await until(pilot, lambda: "store_credit" in files.answers.read_text())
        saved = load_answers(files.answers)  # written as the trainee goes
        assert [s.kind for s in saved.steps] == ["open", "reply", "action", "action"]

        elapsed[0] = 90
        await pilot.press("f2", "r", "enter")  # resolve, as resolved
        await until(pilot, lambda: isinstance(app.screen, ReplayReportScreen))
        shown = screen_text(app)
        assert "Score 100 / 100 · passed" in shown
        assert "guarantees.two_day_shipping" in shown
        assert "say one of 'sorry', 'apolog', 'I hear you'" in shown  # revealed at the end
        await pilot.press("escape")
    report = json.loads(files.report.read_text())
    assert (report["score"], report["passed"], report["trainee"]) == (100, True, "Robin")
    assert [a["at"] for a in report["actions"]] == ["60s", "75s"]
    # Scoring the answers file headless gives exactly the report the trainee saw.
    again = score(scenario, load_answers(files.answers)).as_json()
    assert again == report


async def test_quitting_ends_the_replay_with_what_was_done(tmp_path: Path) -> None:
    _scenario, elapsed, app, files = _replay(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ReplayScreen))
        await settle(pilot)
        elapsed[0] = 600
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, ReplayReportScreen))
        assert "not passed" in screen_text(app)
        await pilot.press("ctrl+q")
    report = json.loads(files.report.read_text())
    kinds = {f["kind"] for f in report["findings"]}
    assert {"missing_action", "wrong_disposition", "over_time"} <= kinds
    assert not report["passed"]


def test_a_replay_without_a_terminal_says_so(tmp_path: Path, capsys) -> None:
    (tmp_path / "policy.yaml").write_text(SHIPPED_POLICY.read_text())
    (tmp_path / "s.yaml").write_text(SCENARIO)
    assert main(["replay", str(tmp_path / "s.yaml"), "--out", str(tmp_path)]) == 2
    assert "a replay needs a terminal" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.answers.yaml"))


def test_elapsed_time_is_the_scenarios(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(SHIPPED_POLICY.read_text())
    scenario = scenario_from_text(SCENARIO, tmp_path / "s.yaml")
    ticks = [0.0]
    clock = ScenarioClock(scenario.now, speed=4, monotonic=lambda: ticks[0])
    ticks[0] = 15
    assert clock.elapsed() == timedelta(minutes=1)
