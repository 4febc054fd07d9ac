"""Ticked and unticked boxes differ in shape, so an agent who does not see colour (or a
monochrome terminal) can tell which items a replacement covers."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import Select
from textual.widgets.selection_list import Selection

from screens.action_form import ActionFormScreen
from storage.engine import Database
from tests.app.conftest import make_app, settle
from tests.app.screen import screen_text
from widgets.tick_list import TickList


class _Items(App[None]):
    def compose(self) -> ComposeResult:
        yield TickList[str](Selection("Jug", "jug", True), Selection("Lid", "lid"))


def _row(app: App[Any], label: str) -> str:
    """The screen row that shows `label`, without its colours."""
    (row,) = [line for line in screen_text(app).split("\n") if label in line]
    return row


async def test_ticked_and_unticked_boxes_differ_in_shape() -> None:
    app = _Items()
    async with app.run_test(size=(30, 4)) as pilot:
        assert "▊ [x] Jug " in _row(app, "Jug")
        assert "▊ [ ] Lid " in _row(app, "Lid")
        await pilot.click(TickList, offset=(3, 2))  # the lid's box (inside the border), clicked
        assert app.query_one(TickList).selected == ["jug", "lid"]
        assert "▊ [x] Lid " in _row(app, "Lid")
        await pilot.press("up", "space")  # the jug, with the keys
        assert app.query_one(TickList).selected == ["lid"]
        assert "▊ [ ] Jug " in _row(app, "Jug")


async def test_the_replacement_items_read_ticked_without_colour(desk_db: Database) -> None:
    app = make_app(desk_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")  # T-1: Dana Whitfield, gold, order W1001
        await settle(pilot)
        await pilot.press("f2", "a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ActionFormScreen)
        form.query_one("#action-kind", Select).value = "replacement"
        await settle(pilot)
        items = form.query_one("#action-items", TickList)
        assert "▊ [ ] BL-200  Countertop blender  129.00 x 1 " in _row(app, "BL-200")
        items.focus()
        await pilot.press("space")
        await settle(pilot)
        assert items.selected == ["BL-200"]
        assert "▊ [x] BL-200  Countertop blender  129.00 x 1 " in _row(app, "BL-200")
