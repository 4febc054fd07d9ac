"""Customer text reaches the screen literal and inert: no markup, no escape, nothing hidden.

Two kinds of walk. The first puts hostile text where customers write it (names, subjects,
messages) and looks at every queue row and timeline entry. The second puts it in the fields
that come from source systems and are easy to forget: ticket and order ids, the tier, a past
contact's disposition, a message's author, an order item, the customer's email and phone. Those
fields also reach the contact bar, toasts and the disposition screen, so the walk claims,
resolves and opens contacts whose ids are hostile.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session
from textual.pilot import Pilot
from textual.widgets import Label, Static

from screens.disposition import DispositionScreen
from screens.entry import EntryScreen
from storage.engine import Database
from storage.models import Customer, Interaction, Order, OrderItem, Ticket
from storage.uow import unit_of_work
from tests.app.conftest import make_app, settle
from tests.app.screen import assert_inert, screen_text, terminal_output
from tests.app.screen import shown as _shown
from tests.app.screen import toasts as _toasts
from tests.factories import NOW, add_agents, add_customer, add_message, add_ticket
from tests.hostile import INLINE_CASES, MISSING_REASON, load_hostile_cases
from widgets.contact_bar import ContactBar
from widgets.digest import CustomerDigest
from widgets.queue_table import QueueTable
from widgets.timeline import Timeline
from workspace.text import one_line
from workspace.vocabulary import Priority


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


async def _walk(db: Database, cases: list[tuple[str, str]]) -> None:
    # Tall enough that every queue row and every timeline entry is on screen at once.
    app = make_app(db)
    async with app.run_test(size=(120, 3 * len(cases) + 30)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(QueueTable)
        assert table.total == len(cases) + 1
        await pilot.press("end")  # rest on C-0, whose timeline holds every case
        await settle(pilot)
        await pilot.press("2")
        timeline = app.screen.query_one(Timeline)
        assert len(timeline.entries) == len(cases)
        assert timeline.size.height >= len(cases) and table.size.height > len(cases)
        assert_inert(terminal_output(app))
        assert "[bold red]Mallory[/bold red]" in screen_text(app)
    # Every entry in full, one at a time.
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("end")
        await settle(pilot)
        await pilot.press("2")
        timeline = app.screen.query_one(Timeline)
        for i in range(len(cases)):
            await pilot.press("enter")
            assert_inert(terminal_output(app))
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


# --- Hostile ids, tiers, dispositions, authors, orders and contact details -------------------


def _tags(text: str) -> str:
    """`text` (ASCII) spelled in invisible Unicode tag characters."""
    return "".join(chr(0xE0000 + ord(ch)) for ch in text)


#: Format characters: the corpus has no case of them yet. (Short: each tag shows as nine
#: characters, and a digest has eight lines.)
_FORMAT_CASES = [("tag-smuggling", "ok" + _tags("rm -rf"))]

#: Corpus cases that add kinds of attack the inline ones lack: markup that fails to parse or
#: names a variable, and a hyperlink. (A few only: every case costs seconds in each walk.)
_CORPUS_PICKS = ("markup-stray-close", "markup-variable", "osc8-link")


def _corpus_picks() -> list[tuple[str, str]]:
    """The picked corpus cases, or none when the corpus is missing."""
    cases = load_hostile_cases()
    return [] if cases is None else [case for case in cases if case[0] in _CORPUS_PICKS]


def _field_cases() -> list[tuple[str, str]]:
    """The inline cases (always), format characters, and the corpus picks when present."""
    return [*INLINE_CASES, *_FORMAT_CASES, *_corpus_picks()]


def _ticket_id(i: int, text: str) -> str:
    """A unique id of at most 64 characters with hostile text in it."""
    return f"T-{i:02d}-{text[:40]}"


def _held_id(i: int, text: str) -> str:
    """The id of case `i`'s contact that a colleague holds."""
    return f"T-{i:02d}-held-{text[:40]}"


def _ticket(
    tid: str,
    cid: str,
    *,
    due_in: int,
    holder: int | None = None,
    disposition: str | None = None,
) -> Ticket:
    """An open contact; with a `disposition`, one from three days ago, since resolved."""
    opened_ago = timedelta(days=3) if disposition else timedelta(minutes=5)
    return Ticket(
        id=tid,
        customer_id=cid,
        channel="chat",
        subject="Earlier question" if disposition else "Where is my order?",
        status="resolved" if disposition else "open",
        active=disposition is None,
        priority="normal",
        priority_rank=Priority.NORMAL.rank,
        opened_at=NOW - opened_ago,
        sla_due_at=NOW + timedelta(minutes=due_in),
        assigned_agent_id=holder,
        claimed_at=NOW if holder else None,
        resolved_at=NOW - opened_ago + timedelta(hours=4) if disposition else None,
        disposition=disposition,
    )


def _plant(db: Database, cases: list[tuple[str, str]]) -> None:
    """Two customers per case, so that each digest fits in its eight lines.

    The first's tier, email and phone are hostile. It has an open contact with a hostile id, an
    earlier contact closed with a hostile disposition, an order with a hostile id and item
    (delivered on time: it shows only on the timeline) and a reply signed by a hostile author.
    The second has a contact with a hostile id that a colleague holds, and a late order with a
    hostile id and item (in the digest's late orders, and on the timeline).

    Contacts are due in case order: queue row i is case i, then the held ones follow.
    """
    _alex, sam = add_agents(db, "alex", "sam")
    for i, (_kind, text) in enumerate(cases):
        first, second = f"C-{i:02d}", f"C-{i:02d}-b"
        with unit_of_work(db) as s:
            s.add(
                Customer(id=first, name=f"Customer {i:02d}", tier=text[:32], email=text, phone=text)
            )
            s.add(Customer(id=second, name=f"Customer {i:02d}b", tier="standard"))
            s.flush()
            s.add(_ticket(_ticket_id(i, text), first, due_in=10 + i))
            s.add(_ticket(f"T-{i:02d}-old", first, due_in=-5000, disposition=text[:32]))
            s.add(_ticket(_held_id(i, text), second, due_in=500 + i, holder=sam.id))
            s.flush()
            s.add(
                Interaction(
                    ref=f"I-{i:02d}",
                    customer_id=first,
                    ticket_id=_ticket_id(i, text),
                    at=NOW - timedelta(hours=1),
                    channel="email",
                    direction="outbound",
                    kind="message",
                    text="We sent a replacement.",
                    author=text,
                )
            )
            _order(s, f"O-{i:02d}-{text[:40]}", first, text, delivered=True)
            _order(s, f"O-{i:02d}-late-{text[:40]}", second, text, delivered=False)


def _order(s: Session, oid: str, cid: str, text: str, *, delivered: bool) -> None:
    """An order of one item, with `text` as its name and SKU; delivered on time, or late."""
    s.add(
        Order(
            id=oid,
            customer_id=cid,
            placed_at=NOW - timedelta(days=4),
            status="delivered" if delivered else "shipped",
            promised_by=(NOW - timedelta(days=1)).date(),
            delivered_at=NOW - timedelta(days=2) if delivered else None,
            total=Decimal("19.99"),
        )
    )
    s.flush()
    s.add(OrderItem(order_id=oid, line=1, sku=text[:64], name=text, price=Decimal("19.99")))


async def _boot(pilot: Pilot[None], rows: int) -> QueueTable:
    await settle(pilot)
    table = pilot.app.screen.query_one(QueueTable)
    assert table.total == rows
    return table


async def test_hostile_fields_are_inert_in_the_queue_digest_timeline_and_contact_bar(
    sqlite_db: Database,
) -> None:
    cases = _field_cases()
    _plant(sqlite_db, cases)
    app = make_app(sqlite_db)
    # At least 100 wide, so the queue shows the tier column.
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _boot(pilot, 2 * len(cases))
        bar = app.screen.query_one(ContactBar)
        digest = app.screen.query_one(CustomerDigest)
        timeline = app.screen.query_one(Timeline)
        for index in range(2 * len(cases)):
            held = index >= len(cases)
            i = index % len(cases)
            kind, text = cases[i]
            if index:
                await pilot.press("down")
                await settle(pilot)
            tid = _held_id(i, text) if held else _ticket_id(i, text)
            row = table.current
            assert row is not None and row.id == tid, kind
            assert one_line(tid) in _shown(bar), (kind, _shown(bar))
            assert digest.digest is not None, kind
            assert digest.digest.customer.id == (f"C-{i:02d}-b" if held else f"C-{i:02d}"), kind
            shown = screen_text(app)
            if held:  # the late order, in the digest (once: on the late line) and on the timeline
                assert "Late:" in shown and "Open orders" not in shown, kind
                assert "19.99 promised 2026-11-06, shipped, not delivered yet" in _shown(
                    digest.body
                ), kind
                assert [e.kind for e in timeline.entries] == ["order_placed"], kind
            else:  # the tier, email, phone and disposition; the reply and the order's events
                assert "Earlier contacts" in shown, kind
                assert [e.kind for e in timeline.entries] == [
                    "message",
                    "order_delivered",
                    "order_placed",
                ], kind
            assert_inert(terminal_output(app))
        assert app.is_running


async def test_claiming_and_closing_contacts_with_hostile_ids(sqlite_db: Database) -> None:
    cases = _field_cases()
    _plant(sqlite_db, cases)
    app = make_app(sqlite_db)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        table = await _boot(pilot, 2 * len(cases))
        for i, (kind, text) in enumerate(cases):
            tid = _ticket_id(i, text)
            assert table.current is not None and table.current.id == tid, kind
            await pilot.press("enter")  # claim: a toast names the contact
            await settle(pilot)
            assert app.is_running, kind
            assert_inert(terminal_output(app))
            toasts = _toasts(app)
            assert any(f"{one_line(tid)} is yours" in toast for toast in toasts), (kind, toasts)
            app.clear_notifications()
            held = table.current
            assert held is not None and held.id == tid and held.holder_id is not None, kind
            await pilot.press("escape", "r")  # back to the queue, then close it: asks how
            assert isinstance(app.screen, DispositionScreen), kind
            title = _shown(app.screen.query_one(Label))
            assert f"Close {one_line(tid)} as" in title, (kind, title)
            assert_inert(terminal_output(app))
            await pilot.press("escape", "down")  # cancel: the contact stays held
            await settle(pilot)
        # A colleague's contact cannot be claimed: the warning names it.
        for i, (kind, text) in enumerate(cases):
            if i:
                await pilot.press("down")
                await settle(pilot)
            tid = _held_id(i, text)
            assert table.current is not None and table.current.id == tid, kind
            await pilot.press("enter")
            await settle(pilot)
            assert app.is_running, kind
            assert_inert(terminal_output(app))
            toasts = _toasts(app)
            assert any(one_line(tid) in toast for toast in toasts), (kind, toasts)
            app.clear_notifications()
        # Closing one for good: the toast names it again.
        kind, text = cases[0]
        await pilot.press("home", "r", "enter")  # the first choice: resolved
        await settle(pilot)
        assert app.is_running, kind
        assert_inert(terminal_output(app))
        closed = f"{one_line(_ticket_id(0, text))} closed as resolved"
        toasts = _toasts(app)
        assert any(closed in toast for toast in toasts), (kind, toasts)


async def test_replies_signed_by_hostile_authors_are_inert_in_full(sqlite_db: Database) -> None:
    cases = _field_cases()
    _plant(sqlite_db, cases)
    app = make_app(sqlite_db)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await _boot(pilot, 2 * len(cases))
        await pilot.press("2")  # the timeline keeps the focus from here on
        for i, (kind, text) in enumerate(cases):
            tid = _ticket_id(i, text)
            table.select_index(i)  # as the arrow keys would, without moving the focus
            await settle(pilot)
            assert table.current is not None and table.current.id == tid, kind
            await pilot.press("enter")  # the reply, newest on the timeline
            assert isinstance(app.screen, EntryScreen), kind
            assert app.screen.entry.author == text, kind
            head = _shown(app.screen.query_one("#entry-head", Static))
            assert one_line(text) in head and one_line(tid) in head, (kind, head)
            assert_inert(terminal_output(app))
            await pilot.press("escape")
        assert app.is_running


def test_the_corpus_picks_are_in_the_corpus() -> None:
    """The field walks add these corpus cases; a renamed class would drop out silently."""
    if load_hostile_cases() is None:
        pytest.skip(MISSING_REASON)
    assert sorted(kind for kind, _ in _corpus_picks()) == sorted(_CORPUS_PICKS)
