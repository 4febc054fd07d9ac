"""The theme a user picks is there again next run; a broken preferences file is named."""

from __future__ import annotations

import json
from pathlib import Path

from storage.engine import Database
from tests.app.conftest import settle
from workspace.app import AgentLaunch, CareDeskApp

SIZE = (100, 30)


def _app(db: Database, kept: Path) -> CareDeskApp:
    return CareDeskApp(AgentLaunch(lambda: db, fill_demo=False), show_clock=False, preferences=kept)


def _toasts(app: CareDeskApp, about: Path) -> list[str]:
    return [str(n.message) for n in app._notifications if str(n.message).startswith(str(about))]


async def test_the_theme_picked_is_kept_for_the_next_run(desk_db: Database, tmp_path: Path) -> None:
    kept = tmp_path / "data" / "preferences.json"
    first = _app(desk_db, kept)
    async with first.run_test(size=SIZE) as pilot:
        await settle(pilot)
        default = first.theme
        assert default != "nord"
        first.theme = "nord"
        await settle(pilot)
    assert json.loads(kept.read_text()) == {"theme": "nord"}
    again = _app(desk_db, kept)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert again.theme == "nord"
        assert _toasts(again, kept) == []


async def test_a_broken_preferences_file_is_named_and_the_default_used(
    desk_db: Database, tmp_path: Path
) -> None:
    kept = tmp_path / "preferences.json"
    default = _app(desk_db, tmp_path / "none.json").theme
    for body, said in (
        ('{"theme": ', f"{kept}: line 1: not JSON"),
        ('{"theme": "no-such-theme"}', f"{kept}: theme: no theme is called 'no-such-theme'"),
        ('["nord"]', f"{kept}: expected a JSON object"),
    ):
        kept.write_text(body)
        app = _app(desk_db, kept)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.theme == default
            told = _toasts(app, kept)
            assert len(told) == 1 and told[0].startswith(said), told
            assert told[0].endswith("; the default is used")
