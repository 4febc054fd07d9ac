"""The workspace driven by keys, as an agent works: claim, read, reply, resolve, next."""

from __future__ import annotations

from sqlmodel import select

from screens.workspace import WorkspaceScreen
from storage.engine import Database
from storage.models import Interaction, Ticket
from storage.uow import read_session
from tests.app.conftest import make_app, settle
from tests.app.screen import screen_text
from tests.factories import NOW
from widgets.composer import Composer
from widgets.queue_table import QueueTable
from widgets.timeline import Timeline
from workspace.agents import AgentRecord
from workspace.desk import Desk

SIZE = (120, 35)


async def _ready(pilot, *, rows: int | None = None) -> QueueTable:
    """Wait until boot and the first queue page are done."""
    app = pilot.app
    await settle(pilot)
    table = app.screen.query_one(QueueTable)
    if rows is not None:
        assert table.total == rows
    return table


def _ticket(db: Database, tid: str) -> Ticket:
    with read_session(db) as s:
        t = s.get(Ticket, tid)
        assert t is not None
        s.expunge(t)
        return t


async def test_boot_shows_the_queue_in_sla_order_and_the_first_customer(desk_db) -> None:
    app = make_app(desk_db)
    async with app.run_test(size=SIZE) as pilot:
        table = await _ready(pilot, rows=4)
        assert [table.row_at(i).id for i in range(4)] == ["T-2", "T-1", "T-3", "T-4"]
        text = screen_text(app)
        assert "BREACHED 3m" in text and "! 4m left" in text
        assert "Omar Haddad" in text  # the digest of the first (most urgent) contact
        assert "Queue · active · all channels" in text and "4 contacts" in text
        assert app.sub_title == "Alex (agent)"


async def test_claim_reply_resolve_by_keyboard(desk_db) -> None:
    app = make_app(desk_db)
    async with app.run_test(size=SIZE) as pilot:
        table = await _ready(pilot, rows=4)
        await pilot.press("down")  # T-1, Dana's call
        await _ready(pilot)
        assert table.current.id == "T-1"
        text = screen_text(app)
        assert "Dana Whitfield" in text and "REPEAT" in text and "Late:" in text
        await pilot.press("enter")
        await _ready(pilot)
        assert _ticket(desk_db, "T-1").assigned_agent_id == 1
        composer = app.screen.query_one(Composer)
        assert app.screen.query_one(Timeline).has_focus  # the history, where keys are commands
        await pilot.press("3")  # the reply box
        assert composer.text_area.has_focus
        await pilot.press(*"So sorry about the jug")
        await pilot.press("ctrl+s")
        await _ready(pilot)
        with read_session(desk_db) as s:
            sent = s.execute(select(Interaction.text).where(Interaction.ticket_id == "T-1")).all()
        assert ("So sorry about the jug",) in sent
        assert composer.text_area.text == ""
        timeline = app.screen.query_one(Timeline)
        assert timeline.entries[0].text == "So sorry about the jug"
        await pilot.press("escape", "r")
        await pilot.pause()
        assert "Close T-1 as" in screen_text(app)
        await pilot.press("enter")  # the first choice: resolved
        await _ready(pilot)
        t = _ticket(desk_db, "T-1")
        assert (t.status, t.disposition) == ("resolved", "resolved")
        assert table.total == 3


async def test_keys_pressed_right_after_a_claim_never_land_in_the_reply(desk_db) -> None:
    app = make_app(desk_db)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot, rows=4)
        composer = app.screen.query_one(Composer)
        # Each of the README's keys that works outside the reply box, pressed at once after
        # a claim by `enter` or by `n`, then back to the queue with esc.
        for claim in ("enter", "n"):
            for key in ("j", "k", "g", "G", "c", "s", "m", "2", "r", "a", "w", "p", "/", "x"):
                await pilot.press("1")
                await settle(pilot)
                await pilot.press(claim)
                await settle(pilot)
                await pilot.press(key)
                await settle(pilot)
                assert composer.text_area.text == "", (claim, key)
                while not isinstance(app.screen, WorkspaceScreen):
                    await pilot.press("escape")
                    await settle(pilot)
        assert composer.text_area.text == ""


async def test_note_release_and_next(desk_db) -> None:
    app = make_app(desk_db)
    async with app.run_test(size=SIZE) as pilot:
        table = await _ready(pilot, rows=4)
        await pilot.press("n")
        await _ready(pilot)
        assert _ticket(desk_db, "T-2").assigned_agent_id == 1  # the most urgent unheld
        assert table.current.id == "T-2"
        await pilot.press("3", "ctrl+t", *"check billing", "ctrl+s")
        await _ready(pilot)
        with read_session(desk_db) as s:
            kinds = s.execute(select(Interaction.kind).where(Interaction.ticket_id == "T-2")).all()
        assert kinds == [("note",)]
        await pilot.press("escape", "x")
        await _ready(pilot)
        assert _ticket(desk_db, "T-2").assigned_agent_id is None


async def test_a_contact_held_by_a_colleague_cannot_be_claimed(desk_db) -> None:
    app = make_app(desk_db)
    async with app.run_test(size=SIZE) as pilot:
        table = await _ready(pilot, rows=4)
        await pilot.press("end")
        await _ready(pilot)
        assert table.current.id == "T-4"
        await pilot.press("enter")
        await _ready(pilot)
        assert _ticket(desk_db, "T-4").assigned_agent_id == 2
        assert any("Sam already holds contact T-4" in n.message for n in app._notifications)


async def test_a_claim_lost_to_a_colleague_between_screens_is_refused(desk_db) -> None:
    app = make_app(desk_db)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot, rows=4)
        sam = Desk(desk_db, AgentRecord(2, "sam", "Sam", "agent"))
        assert sam.claim("T-2").claimed  # Sam takes it after Alex's screen loaded
        await pilot.press("enter")
        await _ready(pilot)
        assert _ticket(desk_db, "T-2").assigned_agent_id == 2
        refusals = [n.message for n in app._notifications if n.title == "Cannot claim"]
        assert refusals == ["Sam already holds contact T-2."]
        assert app.screen.query_one(QueueTable).current.holder_name == "Sam"


async def test_filters_channel_status_and_mine(desk_db) -> None:
    app = make_app(desk_db)
    async with app.run_test(size=SIZE) as pilot:
        table = await _ready(pilot, rows=4)
        await pilot.press("c")  # chat
        table = await _ready(pilot, rows=1)
        assert table.row_at(0).id == "T-3"
        await pilot.press("c")  # email
        await _ready(pilot, rows=1)
        await pilot.press("c", "c", "c", "c")  # call, social, sms, all
        await _ready(pilot, rows=4)
        await pilot.press("m")
        await _ready(pilot, rows=0)
        assert "No contacts match this filter." in screen_text(app)
        await pilot.press("m", "s", "s")  # everyone's: pending, resolved
        await _ready(pilot, rows=0)


async def test_timeline_opens_an_entry_and_searches(desk_db) -> None:
    app = make_app(desk_db)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot)
        await pilot.press("down")
        await _ready(pilot)
        await pilot.press("2")
        timeline = app.screen.query_one(Timeline)
        assert timeline.has_focus
        assert timeline.entries[0].ref == "I-3"
        await pilot.press("down", "enter")
        await pilot.pause()
        text = screen_text(app)
        assert "Blender arrived with a cracked jug" in text
        assert "two days late, and the jug is cracked." in text
        await pilot.press("escape", "slash")
        await pilot.press(*"blender", "enter")
        await _ready(pilot)
        assert [e.ref for e in timeline.entries] == ["I-2", "I-1"]
        assert "2 matches" in screen_text(app)
        # The word found is marked (drawn in reverse) in each entry, and only there.
        assert [_reversed(timeline, y) for y in (0, 1)] == [["Blender"], ["blender"]]
        await pilot.press("escape")
        await pilot.pause()
        assert len(timeline.entries) > 2
        assert not any(_reversed(timeline, y) for y in range(len(timeline.entries)))


def _reversed(timeline: Timeline, y: int) -> list[str]:
    """The text of row `y` drawn in reverse, as the search marks what it found (the cursor's
    row is drawn with a background, not in reverse)."""
    from rich.segment import Segment

    strip = timeline.render_line(y)
    return [s.text for s in strip if isinstance(s, Segment) and s.style and s.style.reverse]


async def test_an_unknown_agent_is_a_clear_error(desk_db, capsys) -> None:
    app = make_app(desk_db, agent="nobody")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
    assert app.return_code == 2
    err = capsys.readouterr().err
    assert "caredesk: no agent called 'nobody' in this database" in err
    assert "Traceback" not in err


async def test_help_and_palette_list_the_keys(desk_db) -> None:
    app = make_app(desk_db)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot)
        await pilot.press("f1")
        await pilot.pause()
        text = screen_text(app)
        assert "The queue: contacts waiting" in text and "Claim" in text and "Resolve" in text
        await pilot.press("escape", "ctrl+p")
        await pilot.pause(0.3)
        # Before anything is typed: CareDesk's commands first, grouped by where they work,
        # with every key (j k g G too); Textual's own (theme, screenshot) after them.
        listed = [line.strip() for line in screen_text(app).splitlines()]
        start = listed.index("Queue · Up")
        assert listed[start : start + 4] == ["Queue · Up", "key ↑ k", "Queue · Down", "key ↓ j"]
        assert not any("theme" in line.lower() for line in listed[:start])
        await pilot.press(*"resolve")
        await pilot.pause(0.3)
        assert "Resolve" in screen_text(app)
        await pilot.press(*(["backspace"] * 7), *"filter")
        await pilot.pause(0.3)
        text = screen_text(app)  # what a command does is searched too, not only its name
        assert "Filter the queue by channel" in text and "Filter the queue by status" in text


async def test_an_unreachable_database_is_a_clear_error(capsys) -> None:
    from storage.engine import make_database
    from workspace.app import AgentLaunch, CareDeskApp

    launch = AgentLaunch(lambda: make_database("postgresql://nobody:secret@127.0.0.1:1/none"))
    app = CareDeskApp(launch, show_clock=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
    assert app.return_code == 2
    err = " ".join(capsys.readouterr().err.split())  # the message may wrap on the terminal
    assert "caredesk: cannot use the database postgresql+psycopg://nobody:***@127.0.0.1:1" in err
    assert "Connection refused" in err
    assert "secret" not in err and "Traceback" not in err


async def test_keys_are_remappable_by_binding_id(desk_db) -> None:
    from workspace.app import AgentLaunch, CareDeskApp
    from workspace.settings import Settings

    settings = Settings(keymap={"workspace.next": "ctrl+n"})
    app = CareDeskApp(
        AgentLaunch(lambda: desk_db, fill_demo=False), keymap=settings.keymap, show_clock=False
    )
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot, rows=4)
        await pilot.press("n")
        await _ready(pilot)
        assert _ticket(desk_db, "T-2").assigned_agent_id is None  # n no longer claims
        await pilot.press("ctrl+n")
        await _ready(pilot)
        assert _ticket(desk_db, "T-2").assigned_agent_id == 1


def test_keymap_is_read_from_the_environment(monkeypatch) -> None:
    from workspace.settings import Settings

    monkeypatch.setenv("CAREDESK_KEYMAP", '{"workspace.next": "ctrl+n"}')
    monkeypatch.setenv("CAREDESK_AGENT", "sam")
    settings = Settings()
    assert settings.keymap == {"workspace.next": "ctrl+n"} and settings.agent == "sam"


async def test_an_unsupported_database_url_is_a_clear_error(capsys) -> None:
    from storage.engine import make_database
    from workspace.app import AgentLaunch, CareDeskApp

    app = CareDeskApp(
        AgentLaunch(lambda: make_database("mysql://nobody@127.0.0.1/x")), show_clock=False
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
    assert app.return_code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "caredesk: cannot use the database: 'mysql' is not supported" in err


def _texts(db: Database, tid: str) -> list[str]:
    with read_session(db) as s:
        rows = s.execute(select(Interaction.text).where(Interaction.ticket_id == tid)).all()
    return [r[0] for r in rows]


async def test_a_database_error_while_sending_keeps_the_draft(desk_db) -> None:
    import sqlite3

    app = make_app(desk_db)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _ready(pilot, rows=4)
        await pilot.press("enter")  # claim T-2
        await settle(pilot)
        composer = app.screen.query_one(Composer)
        await pilot.press("3", *"We refunded you")
        path = desk_db.url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as raw:  # the database loses a table under the app
            raw.execute("ALTER TABLE interaction RENAME TO interaction_gone")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.is_running
        assert composer.text_area.text == "We refunded you" and not composer.sending
        messages = [n.message for n in app._notifications]
        assert any(m.startswith("The database did not answer (no such table") for m in messages)
        with sqlite3.connect(path) as raw:
            raw.execute("ALTER TABLE interaction_gone RENAME TO interaction")
        await pilot.press("ctrl+s")  # the same draft, tried again, goes through once
        await settle(pilot)
        assert _texts(desk_db, "T-2") == ["We refunded you"]
        assert composer.text_area.text == ""


async def test_a_double_send_stores_one_reply(desk_db) -> None:
    app = make_app(desk_db)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot, rows=4)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("3", *"Hello", "ctrl+s", "ctrl+s", "ctrl+s")
        await settle(pilot)
        assert _texts(desk_db, "T-2") == ["Hello"]


async def test_each_held_contact_keeps_its_own_draft(desk_db) -> None:
    app = make_app(desk_db)
    async with app.run_test(size=SIZE) as pilot:
        table = await _ready(pilot, rows=4)
        await pilot.press("enter")  # T-2 is mine
        await settle(pilot)
        await pilot.press("3", *"for Omar")
        await pilot.press("escape", "down", "enter")  # T-1 is mine too
        await settle(pilot)
        assert table.current.id == "T-1"
        composer = app.screen.query_one(Composer)
        assert composer.ticket_id == "T-1" and composer.text_area.text == ""
        await pilot.press("3", *"for Dana", "ctrl+s")
        await settle(pilot)
        assert _texts(desk_db, "T-1") == ["Customer calling about the jug.", "for Dana"]
        assert _texts(desk_db, "T-2") == []
        await pilot.press("escape", "up")
        await settle(pilot)
        assert composer.ticket_id == "T-2" and composer.text_area.text == "for Omar"
        await pilot.press("down", "down")  # T-3: not mine, nothing can be sent to it
        await settle(pilot)
        assert composer.ticket_id is None
        await pilot.press("3", *"stray", "ctrl+s")
        await settle(pilot)
        assert _texts(desk_db, "T-3") == []


async def test_hints_name_the_remapped_keys(desk_db) -> None:
    from workspace.app import AgentLaunch, CareDeskApp

    keymap = {"composer.send": "ctrl+g", "workspace.resolve": "ctrl+e", "queue.claim": "space"}
    app = CareDeskApp(
        AgentLaunch(lambda: desk_db, fill_demo=False), keymap=keymap, show_clock=False
    )
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot, rows=4)
        assert "space (or n) claims it" in screen_text(app)
        await pilot.press("space")
        await settle(pilot)
        text = screen_text(app)
        assert "^e resolve" in text
        assert "^g send" in text
        await pilot.press("3", *"hi", "ctrl+g")
        await settle(pilot)
        assert _texts(desk_db, "T-2") == ["hi"]
        await pilot.press("escape", "f1")
        await pilot.pause()
        assert "space claims the contact" in screen_text(app)


async def test_a_refresh_that_lands_after_the_agent_moved_keeps_their_row(desk_db) -> None:
    from screens.queue_pane import QueuePane
    from workspace.queue import QueueFilter

    app = make_app(desk_db)
    async with app.run_test(size=(120, 35)) as pilot:
        table = await _ready(pilot)
        pane = app.screen.query_one(QueuePane)
        assert pane.bench is not None
        flt: QueueFilter = pane.queue_filter
        # A refresh read the queue while the cursor was on the first row, keeping that row...
        rows = pane.bench.reading.queue_page(flt, offset=0, limit=10)
        assert table.cursor == 0
        # ...and before it landed the agent moved down two rows.
        await pilot.press("down", "down")
        chosen = table.current
        assert chosen is not None and chosen.id == rows[2].id
        pane._loaded(flt, len(rows), 0, rows, 0, 0)  # as the refresh worker hands it over
        await settle(pilot)
        assert table.current is not None and table.current.id == chosen.id


async def test_the_held_timer_counts_on(desk_db) -> None:
    from datetime import timedelta

    from workspace.app import AgentLaunch, CareDeskApp

    now = [NOW]
    app = CareDeskApp(
        AgentLaunch(lambda: desk_db, fill_demo=False), clock=lambda: now[0], show_clock=False
    )
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot, rows=4)
        await pilot.press("n")
        await _ready(pilot)
        assert "Yours for 0s" in screen_text(app)
        now[0] = NOW + timedelta(minutes=2, seconds=14)
        await pilot.pause(1.3)  # no key pressed, nothing reloaded: the bar ticks by itself
        bar = str(app.screen.query_one("#contact-bar").render())
        assert "Yours for 2m " in bar, bar


async def test_toasts_never_cover_the_reply_box(desk_db) -> None:
    from textual.widgets._toast import Toast

    for size in ((80, 24), (120, 35), (200, 60)):
        app = make_app(desk_db)
        async with app.run_test(size=size, notifications=True) as pilot:
            await _ready(pilot)
            await pilot.press("n")
            await _ready(pilot)
            for n in range(4):
                app.notify(f"Something happened, number {n}, told in a long enough sentence.")
            await settle(pilot)
            await pilot.pause(0.3)
            reply = app.screen.query_one(Composer).region
            toasts = [t.region for t in app.screen.query(Toast)]
            assert len(toasts) >= 4 and reply.area
            assert not any(t.overlaps(reply) for t in toasts), (size, toasts, reply)


async def test_a_wide_terminal_gives_the_queue_every_column(desk_db) -> None:
    app = make_app(desk_db)
    async with app.run_test(size=(200, 60)) as pilot:
        table = await _ready(pilot, rows=4)
        queue = app.screen.query_one("#queue-pane").region
        context = app.screen.query_one("#context-pane").region
        reply = app.screen.query_one("#resolution-pane").region
        assert queue.width >= 110 and queue.height >= 55  # the whole height, every column
        assert "VIEWING" in screen_text(app) and "TIER" in screen_text(app)
        assert context.x == reply.x and context.height > reply.height >= 12
        assert table.current is not None
