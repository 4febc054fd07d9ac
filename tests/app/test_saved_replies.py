"""Saved replies: ctrl+r in the reply box offers them, and the one picked lands at the cursor."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import OptionList, Static
from textual.widgets.text_area import Selection

from screens.saved_replies import SavedRepliesScreen
from tests.app.screen import foreign_sequences, screen_text, terminal_output
from tests.hostile import INLINE_CASES, load_hostile_cases
from widgets.composer import Composer
from workspace.replies import REPLIES, ReplyFacts, fill
from workspace.text import sanitize

DANA = ReplyFacts(customer_name="Dana Whitfield", agent_name="Alex Morgan", order_id="W1001")


class ComposerApp(App[None]):
    """A reply box bound to T-1, which answers ctrl+r with the picker, as a screen would."""

    def __init__(self, facts: ReplyFacts = DANA) -> None:
        super().__init__()
        self.facts = facts
        self.wanted: list[str | None] = []

    def compose(self) -> ComposeResult:
        yield Composer()

    def on_mount(self) -> None:
        composer = self.query_one(Composer)
        composer.bind("T-1")
        composer.text_area.cursor_blink = False
        composer.text_area.focus()

    @on(Composer.SavedReplyWanted)
    def _offer(self, event: Composer.SavedReplyWanted) -> None:
        self.wanted.append(event.ticket_id)
        composer = self.query_one(Composer)

        def insert(text: str | None) -> None:
            if text is not None:
                composer.insert_text(text)

        self.push_screen(SavedRepliesScreen(REPLIES, self.facts), insert)


def draft(app: ComposerApp) -> str:
    return app.query_one(Composer).text_area.text


def preview(app: App[object]) -> str:
    content = app.screen.query_one("#saved-preview", Static).content
    assert isinstance(content, Text)
    return content.plain


async def typed(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*text)
    await pilot.pause()


async def test_ctrl_r_offers_the_replies_for_the_bound_contact() -> None:
    app = ComposerApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, SavedRepliesScreen)
        assert app.wanted == ["T-1"]
        assert app.screen.query_one(OptionList).option_count == len(REPLIES)
        assert preview(app) == fill(REPLIES[0], DANA)


async def test_a_digit_inserts_that_reply_at_the_cursor() -> None:
    app = ComposerApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await typed(pilot, "Hello. Bye.")
        await pilot.press(*["left"] * 4)  # before "Bye."
        await pilot.press("ctrl+r", "2")
        await pilot.pause()
        assert not isinstance(app.screen, SavedRepliesScreen)
        assert draft(app) == f"Hello. {fill(REPLIES[1], DANA)}Bye."
        await typed(pilot, "!")  # the cursor is just after the inserted reply
        assert draft(app) == f"Hello. {fill(REPLIES[1], DANA)}!Bye."


async def test_arrows_and_enter_insert_the_highlighted_reply() -> None:
    app = ComposerApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+r", "down", "down")
        await pilot.pause()
        assert preview(app) == fill(REPLIES[2], DANA)
        await pilot.press("enter")
        await pilot.pause()
        assert draft(app) == fill(REPLIES[2], DANA)


async def test_the_reply_replaces_a_selection() -> None:
    app = ComposerApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await typed(pilot, "Hi XXX there")
        app.query_one(Composer).text_area.selection = Selection((0, 3), (0, 6))
        await pilot.press("ctrl+r", "6")
        await pilot.pause()
        assert draft(app) == f"Hi {fill(REPLIES[5], DANA)} there"


async def test_escape_inserts_nothing() -> None:
    app = ComposerApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await typed(pilot, "draft")
        await pilot.press("ctrl+r", "down", "escape")
        await pilot.pause()
        assert not isinstance(app.screen, SavedRepliesScreen)
        assert draft(app) == "draft"
        await pilot.press("ctrl+r", "9")  # no ninth reply: the picker stays open
        await pilot.pause()
        assert isinstance(app.screen, SavedRepliesScreen)
        assert draft(app) == "draft"


async def test_the_inserted_reply_is_part_of_the_contacts_draft() -> None:
    app = ComposerApp()
    async with app.run_test(size=(80, 24)) as pilot:
        composer = app.query_one(Composer)
        await pilot.press("ctrl+r", "1")
        await pilot.pause()
        composer.bind("T-2")
        assert composer.text_area.text == ""
        composer.bind("T-1")
        assert composer.text_area.text == fill(REPLIES[0], DANA)


async def test_the_mode_line_names_the_key() -> None:
    app = ComposerApp()
    async with app.run_test(size=(120, 24)) as pilot:
        assert "^r saved" in screen_text(app)
        app.query_one(Composer).set_keys("^s", "^t", "f6")
        await pilot.pause()
        assert "f6 saved" in screen_text(app)
        app.query_one(Composer).set_keys("^g", "^t")  # older callers name two keys
        await pilot.pause()
        assert "^g send · ^t note · ^r saved" in screen_text(app)


LITERAL_NAMES = [
    "[bold]Mallory[/] Smith",
    "[link=https://evil.example/pay]Eve[/link] Jones",
    "[@click=app.quit]Q[/] Doe",
    "\x1b[31mRed\x1b[0m Smith",
    "\u202eevE Smith",
    "{order}{0.__class__} Smith",
]


@pytest.mark.parametrize("name", LITERAL_NAMES)
async def test_a_hostile_name_shows_literally_in_the_preview(name: str) -> None:
    facts = ReplyFacts(customer_name=name, agent_name="Alex Morgan", order_id="W1001")
    app = ComposerApp(facts)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+r")
        await pilot.pause()
        first = sanitize(name.split()[0])
        assert f"Hi {first}, thanks" in screen_text(app)
        assert "\x1b" not in foreign_sequences(terminal_output(app))
        await pilot.press("enter")
        await pilot.pause()
        assert draft(app) == sanitize(fill(REPLIES[0], facts))
        assert "\x1b" not in foreign_sequences(terminal_output(app))


async def test_every_hostile_case_reaches_the_screen_inert() -> None:
    cases = (load_hostile_cases() or []) + INLINE_CASES
    for kind, text in cases:
        facts = ReplyFacts(customer_name=text, agent_name="Alex Morgan", order_id=None)
        app = ComposerApp(facts)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert preview(app) == sanitize(fill(REPLIES[0], facts)), kind
            await pilot.press("enter")
            await pilot.pause()
            rest = foreign_sequences(terminal_output(app))
            assert not any(ch in rest for ch in "\x1b\x9b\x9d\u202e"), kind


async def _open_picker(pilot: Pilot[None]) -> None:
    await pilot.press(*"Hello! ")
    await pilot.press("ctrl+r", "down")
    await pilot.pause()


def test_picker_snapshot(snap_compare) -> None:
    assert snap_compare(ComposerApp(), terminal_size=(80, 24), run_before=_open_picker)
