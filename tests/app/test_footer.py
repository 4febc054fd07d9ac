"""The footer keeps the keys that matter in the focused pane, at every size; the title keeps
the approvals waiting where a narrow terminal does not cut them."""

from __future__ import annotations

import pytest
from textual.widgets._footer import FooterKey

from screens.workspace import WorkspaceScreen
from storage.engine import Database
from tests.app.conftest import make_app, settle, until
from tests.app.screen import screen_text
from tests.factories import add_agents
from widgets.commands import BY_ID, FOOTER
from widgets.pane_footer import PaneFooter

SIZES = [(80, 24), (120, 35), (200, 60)]

#: What each pane's footer must show at 80 columns: the keys an agent needs first there.
NEEDED = {
    "queue": ("queue.claim", "workspace.next", "workspace.find", "workspace.channel"),
    "context": ("timeline.open", "workspace.reply", "workspace.search", "workspace.act"),
    "resolution": ("composer.send", "composer.toggle", "composer.saved"),
}


def _shown(app: object) -> list[str]:
    footer = app.screen.query_one(PaneFooter)  # type: ignore[attr-defined]
    return [k.description for k in footer.query(FooterKey)]


@pytest.mark.parametrize("size", SIZES)
async def test_each_pane_shows_its_own_keys_first_and_help_always(
    desk_db: Database, size: tuple[int, int]
) -> None:
    app = make_app(desk_db, agent="alex")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for key, pane in (("1", "queue"), ("2", "context"), ("3", "resolution")):
            await pilot.press(key)
            await settle(pilot)
            shown = _shown(app)
            for needed in NEEDED[pane]:
                assert BY_ID[needed].title in shown, (size, pane, shown)
            assert shown[-2:] == ["Help", "palette"], (size, pane, shown)
            # Nothing the footer draws is cut off at its right edge: every key fits.
            line = screen_text(app).splitlines()[-1]
            assert line.rstrip().endswith("palette"), line
            assert all(title in line for title in shown), (shown, line)
            if size[0] >= 120:
                # At 120 columns and wider, every live key listed for the pane fits.
                live = {b.binding.id for b in app.screen.active_bindings.values()}
                titles = [BY_ID[i].title for i in FOOTER[pane] if i in live]
                assert shown[:-2] == titles, (size, pane, shown)


async def test_while_typing_a_reply_no_letter_command_is_offered(desk_db: Database) -> None:
    app = make_app(desk_db, agent="alex")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        footer = app.screen.query_one(PaneFooter)
        keys = [k.key for k in footer.query(FooterKey)]
        assert not any(len(k) == 1 for k in keys), keys


async def test_a_supervisor_sees_how_many_wait_at_the_start_of_the_title(
    sqlite_db: Database,
) -> None:
    from tests.app.test_hostile_actions import _supervised

    _supervised(sqlite_db)
    app = make_app(sqlite_db, agent="jordan")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        workspace = app.screen
        assert isinstance(workspace, WorkspaceScreen)
        await until(pilot, lambda: "1 to approve (p)" in screen_text(app).splitlines()[0])


async def test_an_agent_title_names_them(sqlite_db: Database) -> None:
    add_agents(sqlite_db, "alex")
    app = make_app(sqlite_db, agent="alex")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "Alex (agent)" in screen_text(app).splitlines()[0]
