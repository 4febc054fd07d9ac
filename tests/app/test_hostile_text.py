"""Customer text reaches the screen literal and inert: no markup, no escape, nothing hidden."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from storage.engine import Database
from tests.app.conftest import make_app
from tests.app.screen import foreign_sequences, screen_text, terminal_output
from tests.factories import NOW, add_agents, add_customer, add_message, add_ticket
from tests.hostile import INLINE_CASES, MISSING_REASON, load_hostile_cases
from widgets.queue_table import QueueTable
from widgets.timeline import Timeline

#: What must never reach the terminal from customer text: ESC, C1, bidi and zero-width controls.
_DANGEROUS = re.compile("[\x1b\x80-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def _assert_inert(output: str) -> None:
    rest = foreign_sequences(output)
    found = _DANGEROUS.findall(rest)
    assert not found, f"control characters reached the terminal: {found[:5]!r}"
    # Only newlines-as-cursor-moves come from Textual; no customer CR/BS/BEL gets through.
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f]", rest.replace("\r\n", "").replace("\n", ""))


def _fill(db: Database, cases: list[tuple[str, str]]) -> None:
    add_agents(db, "alex")
    add_customer(db, "C-0", cases[0][1][:300], "gold")
    for i, (_kind, text) in enumerate(cases):
        cid = f"C-{i + 1}"
        add_customer(db, cid, text[:5000], "standard")
        add_ticket(db, f"T-{i:02d}", cid, due_in=i, subject=text)
        add_ticket(db, f"T-0-{i:02d}", "C-0", due_in=500 + i, subject="fine", status="resolved")
        add_message(
            db,
            f"I-{i:02d}",
            "C-0",
            at=NOW - timedelta(minutes=i),
            text=text,
            subject=text[:100] if i % 2 else None,
        )
    add_ticket(db, "T-zz", "C-0", due_in=900, subject=cases[-1][1])


async def _settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def _walk(db: Database, cases: list[tuple[str, str]]) -> None:
    # Tall enough that every queue row and every timeline entry is on screen at once.
    app = make_app(db)
    async with app.run_test(size=(120, 3 * len(cases) + 30)) as pilot:
        await _settle(pilot)
        await _settle(pilot)
        table = app.screen.query_one(QueueTable)
        assert table.total == len(cases) + 1
        await pilot.press("end")  # rest on C-0, whose timeline holds every case
        await _settle(pilot)
        await pilot.press("2")
        timeline = app.screen.query_one(Timeline)
        assert len(timeline.entries) == len(cases)
        assert timeline.size.height >= len(cases) and table.size.height > len(cases)
        _assert_inert(terminal_output(app))
        assert "[bold red]Mallory[/bold red]" in screen_text(app)
    # Every entry in full, one at a time.
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        await pilot.press("end")
        await _settle(pilot)
        await pilot.press("2")
        timeline = app.screen.query_one(Timeline)
        for i in range(len(cases)):
            await pilot.press("enter")
            _assert_inert(terminal_output(app))
            await pilot.press("escape", "down")
            assert timeline.cursor == min(i + 1, len(cases) - 1)
        assert app.is_running


async def test_inline_hostile_cases_are_inert_everywhere(sqlite_db: Database) -> None:
    _fill(sqlite_db, INLINE_CASES)
    await _walk(sqlite_db, INLINE_CASES)


async def test_every_hostile_case_of_the_shared_corpus_is_inert(sqlite_db: Database) -> None:
    cases = load_hostile_cases()
    if cases is None:
        pytest.skip(MISSING_REASON)
    ordered = sorted(cases, key=lambda c: c[0] != "markup-bold")
    _fill(sqlite_db, ordered)
    await _walk(sqlite_db, ordered)
