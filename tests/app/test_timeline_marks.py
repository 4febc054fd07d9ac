"""The timeline marks a search's words in the entries it shows: in the text as shown, literal,
whatever the customer wrote around them."""

from __future__ import annotations

from datetime import timedelta

from rich.segment import Segment
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import Static

from screens.entry import EntryScreen
from tests.app.screen import assert_inert, screen_text, terminal_output
from tests.factories import NOW
from tests.hostile import INLINE_CASES, load_hostile_cases
from widgets.timeline import Timeline
from workspace.marks import search_marks
from workspace.text import one_line
from workspace.timeline import INTERACTION, TimelineKey, TimelineRecord


def _message(i: int, text: str, subject: str | None = None) -> TimelineRecord:
    at = NOW - timedelta(minutes=i)
    return TimelineRecord(
        TimelineKey(at, INTERACTION, i), "message", at, "chat", "inbound", subject, text, None,
        f"I-{i}", None,
    )  # fmt: skip


class TimelineApp(App[None]):
    """A timeline alone, as the context pane holds it."""

    def compose(self) -> ComposeResult:
        yield Timeline()


def _marked(timeline: Timeline, y: int) -> list[str]:
    """The text of row `y`'s segments drawn in reverse (the mark's style)."""
    strip = timeline.render_line(y)
    return [s.text for s in strip if isinstance(s, Segment) and s.style and s.style.reverse]


async def test_the_searched_words_are_marked_in_the_entries_shown() -> None:
    app = TimelineApp()
    async with app.run_test(size=(100, 10)) as pilot:
        timeline = app.query_one(Timeline)
        timeline.now = NOW
        entries = [
            _message(1, "The JUG arrived cracked; I want a refund.", subject="Refunds"),
            _message(2, "Refunded the jugs, and refused the rest."),
            _message(3, "Nothing here."),
        ]
        timeline.show(entries, False, "", marks=search_marks("refund jug*"))
        await pilot.pause()
        assert _marked(timeline, 0) == ["Refunds", "JUG", "refund"]
        assert _marked(timeline, 1) == ["Refunded", "jugs"]
        assert _marked(timeline, 2) == []
        # Marks change the style, never the text.
        shown = screen_text(app)
        assert "Refunds: The JUG arrived cracked; I want a refund." in shown
        # Shown again without marks (the search closed): nothing is marked.
        timeline.show(entries, False, "")
        await pilot.pause()
        assert _marked(timeline, 0) == []


async def test_a_mark_stops_where_the_cell_cuts_the_text() -> None:
    app = TimelineApp()
    async with app.run_test(size=(50, 5)) as pilot:
        timeline = app.query_one(Timeline)
        timeline.now = NOW
        timeline.show([_message(1, "refunding refunding refunding")], False, "", ["refund"])
        await pilot.pause()
        # 23 cells are left after the time, channel and direction: 21 characters, `…`, a gap.
        assert _marked(timeline, 0) == ["refunding", "refunding", "r"]
        assert "refunding refunding r… " in screen_text(app)


async def test_the_opened_message_carries_the_marks() -> None:
    seen: list[Timeline.Opened] = []
    app = TimelineApp()
    async with app.run_test(size=(80, 5), message_hook=seen.append) as pilot:
        timeline = app.query_one(Timeline)
        timeline.show([_message(1, "refund please")], False, "", marks=("refund",))
        timeline.focus()
        await pilot.press("enter")
        await pilot.pause()
    opened = {id(m): m for m in seen if isinstance(m, Timeline.Opened)}  # seen as it bubbles
    assert [m.marks for m in opened.values()] == [("refund",)]


def _cases() -> list[tuple[str, str]]:
    return load_hostile_cases() or list(INLINE_CASES)


async def test_hostile_text_searched_for_is_marked_inert() -> None:
    """A search for the very words of an attack marks them as literal text, in the list and
    in full; nothing reaches the terminal but Textual's own sequences."""
    cases = _cases()
    app = TimelineApp()
    async with app.run_test(size=(120, len(cases) + 5)) as pilot:
        timeline = app.query_one(Timeline)
        timeline.now = NOW
        entries = [_message(i, text, subject=text[:80]) for i, (_k, text) in enumerate(cases)]
        for kind, text in cases:
            timeline.show(entries, False, "", marks=search_marks(text))
            await pilot.pause()
            assert_inert(terminal_output(app), kind)
        timeline.show(entries, False, "", marks=search_marks("bold red mallory link"))
        await pilot.pause()
        assert "[bold red]Mallory[/bold red]" in screen_text(app)
        for i, (kind, text) in enumerate(cases[:8]):
            app.push_screen(EntryScreen(entries[i], marks=search_marks(text)))
            await pilot.pause()
            assert_inert(terminal_output(app), kind)
            assert one_line(text[:40])[:20] in screen_text(app) or not text.strip(), kind
            app.pop_screen()
            await pilot.pause()


async def test_the_entry_in_full_marks_the_same_words() -> None:
    app = TimelineApp()
    async with app.run_test(size=(100, 20)) as pilot:
        entry = _message(1, "Your refund for the jug:\nrefunded twice [bold]?", subject="Refunds")
        app.push_screen(EntryScreen(entry, marks=search_marks("refund jug*")))
        await pilot.pause()
        body = app.screen.query_one("#entry-body", Static).content
        assert isinstance(body, Text)
        assert body.plain == "Your refund for the jug:\nrefunded twice [bold]?"
        marked = [body.plain[s.start : s.end] for s in body.spans if "reverse" in str(s.style)]
        assert marked == ["refund", "jug", "refunded"]
        assert "Subject: Refunds" in screen_text(app)
