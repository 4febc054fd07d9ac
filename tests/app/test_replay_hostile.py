"""The replay's report shows what a scenario and a trainee wrote literally: markup in an order
id, a rule or a trainee's name is text on screen, never styling, and never ends the app."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from textual.app import App

from screens.replay import ReplayReportScreen
from tests.app.screen import screen_text
from tests.hostile import INLINE_CASES
from tests.replay.test_cli_replay import SCENARIO, SHIPPED_POLICY
from workspace.replay.answers_file import Files
from workspace.replay.clock import ScenarioClock
from workspace.replay.loading import scenario_from_text
from workspace.replay.model import Answers, Step
from workspace.replay.scoring import score
from workspace.replay.session import ReplaySession
from workspace.replay.world import build_world

ORDER = "W1[/x]"


@pytest.mark.parametrize(("kind", "text"), INLINE_CASES, ids=[k for k, _ in INLINE_CASES])
async def test_the_report_shows_hostile_text_literally(
    tmp_path: Path, kind: str, text: str
) -> None:
    (tmp_path / "policy.yaml").write_text(SHIPPED_POLICY.read_text())
    scenario = scenario_from_text(SCENARIO.replace("W1001", ORDER), tmp_path / "s.yaml")
    steps = (
        Step(timedelta(seconds=5), "reply", reply="sorry"),
        Step(
            timedelta(seconds=9),
            "action",
            action="store_credit",
            order=ORDER,
            amount=Decimal("10.00"),
            reason=text,
        ),
    )
    report = score(scenario, Answers(scenario.id, steps, trainee=text))
    world = build_world(scenario, tmp_path)
    try:
        files = Files(tmp_path / f"{text[:3]}.answers.yaml", tmp_path / "r.json")
        session = ReplaySession(world, ScenarioClock(scenario.now), text, files)

        class Shows(App[None]):
            def on_mount(self) -> None:
                self.push_screen(ReplayReportScreen(session, report))

        app = Shows()
        async with app.run_test(size=(120, 35)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, ReplayReportScreen)
            shown = screen_text(app)
            assert ORDER in shown  # the order id, literally, in findings and actions
            assert "\x1b" not in shown and "\x9b" not in shown
    finally:
        world.close()
