"""The customer digest on a short terminal: what needs acting on first, a mark for what is
out of sight, and scrolling to it without taking the timeline's keys."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from textual import events
from textual.app import App
from textual.pilot import Pilot

from storage.engine import Database
from tests.app.conftest import make_app, settle
from tests.app.screen import screen_text
from tests.factories import NOW, add_agents, add_customer, add_message, add_order, add_ticket
from widgets.digest import CustomerDigest, hidden_mark, render_digest
from widgets.timeline import Timeline
from workspace.action_view import ActionRequest
from workspace.agents import resolve_agent
from workspace.context import make_digest
from workspace.customers import CustomerRecord, OrderRecord
from workspace.policy_file import default_policy
from workspace.workbench import Workbench

SHORT = (80, 24)


def _busy_customer(db: Database) -> Database:
    """Dana: a late parcel, one on time, a grant given and a request waiting, a repeat
    contact; more than a short pane shows."""
    add_agents(db, "alex")
    add_customer(db, "C-1", "Dana Whitfield", "gold")
    add_ticket(db, "T-1", "C-1", channel="call", due_in=4, subject="Where is my blender?")
    add_order(
        db,
        "W1001",
        "C-1",
        placed=NOW - timedelta(days=8),
        status="shipped",
        promised=(NOW - timedelta(days=3)).date(),
    )
    add_order(
        db,
        "W1002",
        "C-1",
        placed=NOW - timedelta(days=1),
        status="pending",
        promised=(NOW + timedelta(days=3)).date(),
        price="45.00",
    )
    add_message(db, "I-1", "C-1", at=NOW - timedelta(days=1), channel="email", text="Where?")
    bench = Workbench.open(db, resolve_agent(db, "alex"), default_policy(), clock=lambda: NOW)
    for amount in ("20", "50"):  # 20 is within a gold agent's limit; 50 waits for approval
        bench.actions.take(
            ActionRequest(
                kind="discount", customer_id="C-1", order_id="W1001", amount=amount, reason="late"
            )
        )
    return db


def _quiet_customer(db: Database) -> Database:
    """Omar: nothing late, nothing given; the digest fits any pane."""
    add_agents(db, "alex")
    add_customer(db, "C-2", "Omar Haddad", "standard")
    add_ticket(db, "T-2", "C-2", channel="email", due_in=30, subject="Address change")
    return db


def _digest_rows(app: App[Any]) -> list[str]:
    """The digest as it is on the screen: its text rows, then its bottom border."""
    digest = app.screen.query_one(CustomerDigest)
    x, y, width, height = digest.region
    rows = screen_text(app).split("\n")[y : y + height]
    return [row[x : x + width] for row in rows]


async def _open(pilot: Pilot[None]) -> CustomerDigest:
    await settle(pilot, rounds=3)
    digest = pilot.app.screen.query_one(CustomerDigest)
    assert digest.digest is not None
    return digest


async def test_a_short_terminal_shows_what_needs_acting_on_and_marks_the_rest(
    sqlite_db: Database,
) -> None:
    app = make_app(_busy_customer(sqlite_db))
    async with app.run_test(size=SHORT) as pilot:
        digest = await _open(pilot)
        assert app.screen.has_class("short")
        *text, border = _digest_rows(app)
        shown = "\n".join(text)
        assert text[0].startswith(" Late: W1001 129.00 promised 2026-11-04"), text
        assert "Given in 90 days: 20.00 USD in 1 action" in shown, text
        assert "Waiting for approval: 1 request" in shown, text
        assert "Dana Whitfield" not in shown  # who they are comes after what to act on
        above, below = digest.hidden
        assert above == 0 and below > 0
        assert f"▼ {below} more lines" in border, border


async def test_scrolling_the_digest_shows_the_hidden_lines(sqlite_db: Database) -> None:
    app = make_app(_busy_customer(sqlite_db))
    async with app.run_test(size=SHORT) as pilot:
        digest = await _open(pilot)
        _, below = digest.hidden

        # The wheel, over the digest: a notch scrolls the app's wheel step.
        step = round(app.scroll_sensitivity_y)
        digest.post_message(events.MouseScrollDown(digest, 1, 1, 0, 1, 0, False, False, False))
        await settle(pilot)
        assert digest.hidden == (step, below - step)
        *_, border = _digest_rows(app)
        assert f"▲ {step} above · ▼ {below - step} more" in border, border

        # The keys, once tab has brought the focus back from the timeline.
        await pilot.press("2", "shift+tab")
        assert digest.has_focus
        await pilot.press("end")
        await settle(pilot)
        *text, border = _digest_rows(app)
        shown = "\n".join(text)
        assert "Dana Whitfield" in shown and "d@example.com" in shown, text
        assert "more" not in border and f"▲ {below} lines above" in border, border
        assert digest.digest is not None
        digest.show(digest.digest, NOW)  # a live update of the same customer keeps the place
        await settle(pilot)
        assert digest.hidden == (below, 0)
        await pilot.press("home")
        await settle(pilot)
        assert _digest_rows(app)[0].startswith(" Late: "), _digest_rows(app)


async def test_the_timeline_keeps_the_pane_and_its_keys(sqlite_db: Database) -> None:
    app = make_app(_busy_customer(sqlite_db))
    async with app.run_test(size=SHORT) as pilot:
        digest = await _open(pilot)
        timeline = app.screen.query_one(Timeline)
        await pilot.press("2")
        assert timeline.has_focus
        await pilot.press("j", "G")
        await settle(pilot)
        assert timeline.has_focus and timeline.cursor > 0
        assert digest.hidden[0] == 0  # the digest did not move
        await pilot.press("g")
        assert timeline.cursor == 0 and digest.hidden[0] == 0


async def test_no_mark_and_no_tab_stop_when_nothing_is_hidden(sqlite_db: Database) -> None:
    app = make_app(_quiet_customer(sqlite_db))
    async with app.run_test(size=SHORT) as pilot:
        digest = await _open(pilot)
        assert digest.hidden == (0, 0)
        assert digest.border_subtitle == ""
        assert "more line" not in "\n".join(_digest_rows(app))
        assert not digest.focusable
        await pilot.press("2", "shift+tab")  # from the timeline, past the digest
        assert not digest.has_focus


async def test_the_order_is_the_same_at_every_size(sqlite_db: Database) -> None:
    """A smaller pane shows fewer of the lines, never others: the top ones, in one order."""
    db = _busy_customer(sqlite_db)
    heads = ("Late:", "Waiting", "Given in 90 days:", "Open orders:", "REPEAT", "Dana Whitfield")
    seen = {}
    for size in (SHORT, (120, 35), (200, 60)):
        app = make_app(db)
        async with app.run_test(size=size) as pilot:
            await _open(pilot)
            *text, border = _digest_rows(app)
            shown = "\n".join(text)
            where = [shown.find(head) for head in heads if head in shown]
            assert where == sorted(where), (size, shown)
            seen[size] = [head for head in heads if head in shown]
            assert seen[size] == list(heads[: len(seen[size])]), (size, shown)
            assert ("more line" in border) == (len(seen[size]) < len(heads)), (size, border)
    assert len(seen[SHORT]) < len(seen[(120, 35)]) < len(seen[(200, 60)]) == len(heads)


def test_the_mark_counts_lines_out_of_sight() -> None:
    assert hidden_mark(0, 0) == ""
    assert hidden_mark(0, 1) == "▼ 1 more line"
    assert hidden_mark(0, 4) == "▼ 4 more lines"
    assert hidden_mark(2, 3) == "▲ 2 above · ▼ 3 more"
    assert hidden_mark(1, 0) == "▲ 1 line above"


def test_a_late_open_order_shows_once_on_the_late_line() -> None:
    customer = CustomerRecord("C-1", "Dana", "d@example.com", None, "gold", NOW.date())
    late = _order("W1", "shipped", NOW.date() - timedelta(days=2))
    on_time = _order("W2", "pending", NOW.date() + timedelta(days=2))
    digest = make_digest(customer, [late, on_time], [], [], 3, "chat", NOW)
    lines = render_digest(digest, NOW).plain.split("\n")
    assert lines[0] == "Late: W1 19.99 promised 2026-11-05, shipped, not delivered yet"
    assert lines[1] == "Open orders: W2 pending 19.99 promised 2026-11-09"
    assert lines[2].startswith("Dana  ")


def _order(oid: str, status: str, promised: date) -> OrderRecord:
    placed = datetime(2026, 11, 1, tzinfo=UTC)
    return OrderRecord(oid, "C-1", placed, status, promised, None, Decimal("19.99"), ())
