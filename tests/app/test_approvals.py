"""The approval queue: a supervisor decides waiting requests with one key and a reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from screens.approvals import PAGE, ApprovalsScreen, DecisionReasonScreen
from storage.engine import Database
from storage.models import Action
from storage.uow import read_session
from tests.app.conftest import settle
from tests.app.screen import assert_inert, screen_text, terminal_output
from tests.factories import NOW, add_agents, add_customer, add_order
from tests.hostile import INLINE_CASES, load_hostile_cases
from workspace.action_view import ActionRequest
from workspace.agents import AgentRecord
from workspace.policy_file import default_policy
from workspace.workbench import Workbench

POLICY = default_policy()


class ApprovalsApp(App[None]):
    """Just the approval queue, as the supervisor sees it, on a frozen clock."""

    def __init__(self, db: Database, supervisor: AgentRecord) -> None:
        super().__init__()
        self.bench = Workbench.open(db, supervisor, POLICY, clock=lambda: NOW)

    def on_mount(self) -> None:
        bench = self.bench
        self.push_screen(ApprovalsScreen(bench.approvals, bench.reading, clock=lambda: NOW))


def _desk(db: Database, agent: AgentRecord, minutes_ago: int = 0) -> Workbench:
    at = NOW - timedelta(minutes=minutes_ago)
    return Workbench.open(db, agent, POLICY, clock=lambda: at)


def _shop(db: Database, cid: str = "C-1", name: str = "Dana Whitfield", tier: str = "silver"):
    add_customer(db, cid, name, tier)
    add_order(
        db,
        f"W-{cid}",
        cid,
        placed=NOW - timedelta(days=10),
        delivered=NOW - timedelta(days=5),
        price="200.00",
    )


def _ask(desk: Workbench, cid: str = "C-1", reason: str = "parcel two weeks late") -> int:
    request = ActionRequest(
        kind="discount", customer_id=cid, order_id=f"W-{cid}", amount="30", reason=reason
    )
    record = desk.actions.take(request).record
    assert record.status == "requested"
    return record.id


@pytest.fixture
def people(sqlite_db: Database) -> tuple[AgentRecord, AgentRecord]:
    """Alex, an agent, and Jordan, a supervisor; one customer with one order."""
    (alex,) = add_agents(sqlite_db, "alex")
    (jordan,) = add_agents(sqlite_db, "jordan", role="supervisor")
    _shop(sqlite_db)
    return alex, jordan


def _status(db: Database, action_id: int) -> tuple[str, int | None, str | None]:
    with read_session(db) as s:
        row = s.execute(
            select(Action.status, Action.decided_by, Action.decision_reason).where(
                Action.id == action_id  # type: ignore[arg-type]
            )
        ).one()
    return row[0], row[1], row[2]


def _screen(app: App[None]) -> ApprovalsScreen:
    screen = app.screen
    assert isinstance(screen, ApprovalsScreen)
    return screen


def _listed(app: App[None]) -> list[int]:
    return [r.id for r in _screen(app).records]


def _messages(app: App[None]) -> list[str]:
    return [n.message for n in app._notifications]


async def _decide(pilot: Pilot[None], key: str, reason: str) -> None:
    await pilot.press(key)
    await pilot.pause()
    assert isinstance(pilot.app.screen, DecisionReasonScreen)
    await pilot.press(*reason)
    await pilot.press("enter")
    await settle(pilot)


async def test_approving_executes_the_request_with_the_reason(
    sqlite_db: Database, people: tuple[AgentRecord, AgentRecord]
) -> None:
    alex, jordan = people
    first = _ask(_desk(sqlite_db, alex, 40))
    second = _ask(_desk(sqlite_db, alex, 5))
    app = ApprovalsApp(sqlite_db, jordan)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await settle(pilot)
        assert _listed(app) == [first, second]  # oldest first
        assert _screen(app).title == "Approvals · 2 waiting"
        await _decide(pilot, "a", "loyal customer")
        assert _status(sqlite_db, first) == ("executed", jordan.id, "loyal customer")
        assert _status(sqlite_db, second)[0] == "requested"
        assert _listed(app) == [second]
        assert _screen(app).current is not None and _screen(app).current.id == second
        assert any(
            m.startswith(f"Approved #{first}: discount of 30.00 USD for Dana Whitfield")
            and m.endswith("executed.")
            for m in _messages(app)
        )


async def test_denying_records_a_denial(
    sqlite_db: Database, people: tuple[AgentRecord, AgentRecord]
) -> None:
    alex, jordan = people
    action_id = _ask(_desk(sqlite_db, alex))
    app = ApprovalsApp(sqlite_db, jordan)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await settle(pilot)
        await _decide(pilot, "d", "already got a voucher")
        assert _status(sqlite_db, action_id) == ("denied", jordan.id, "already got a voucher")
        assert _listed(app) == []
        assert f"Denied #{action_id}: discount of 30.00 USD for Dana Whitfield." in _messages(app)
        assert "No requests are waiting." in screen_text(app)
        assert _screen(app).title == "Approvals · 0 waiting"


async def test_escape_in_the_reason_box_changes_nothing(
    sqlite_db: Database, people: tuple[AgentRecord, AgentRecord]
) -> None:
    alex, jordan = people
    action_id = _ask(_desk(sqlite_db, alex))
    app = ApprovalsApp(sqlite_db, jordan)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, DecisionReasonScreen)
        title = modal.query_one("#reason-title", Static).render()
        assert f"Approve #{action_id}: discount of 30.00 USD for Dana Whitfield" in str(title)
        await pilot.press("enter")  # an empty reason is not a decision
        await pilot.pause()
        assert app.screen is modal
        await pilot.press(*"maybe", "escape")
        await settle(pilot)
        assert isinstance(app.screen, ApprovalsScreen)
        assert _status(sqlite_db, action_id) == ("requested", None, None)
        assert _listed(app) == [action_id]


async def test_a_supervisor_cannot_approve_their_own_request(
    sqlite_db: Database, people: tuple[AgentRecord, AgentRecord]
) -> None:
    _alex, jordan = people
    own = _ask(_desk(sqlite_db, jordan))
    app = ApprovalsApp(sqlite_db, jordan)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await settle(pilot)
        assert _listed(app) == [own]
        assert "Your own request: another supervisor decides it." in screen_text(app)
        await _decide(pilot, "a", "fine by me")
        assert "nobody approves their own request" in _messages(app)
        assert _status(sqlite_db, own) == ("requested", None, None)
        assert _listed(app) == [own]


async def test_a_request_withdrawn_meanwhile_changes_nothing(
    sqlite_db: Database, people: tuple[AgentRecord, AgentRecord]
) -> None:
    alex, jordan = people
    desk = _desk(sqlite_db, alex)
    action_id = _ask(desk)
    app = ApprovalsApp(sqlite_db, jordan)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await settle(pilot)
        assert _listed(app) == [action_id]
        assert desk.approvals.withdraw(action_id).changed
        await _decide(pilot, "a", "ok then")
        assert f"#{action_id} was already withdrawn; nothing changed." in _messages(app)
        assert _status(sqlite_db, action_id)[0] == "withdrawn"
        assert _listed(app) == []


async def test_new_requests_appear_on_refresh(
    sqlite_db: Database, people: tuple[AgentRecord, AgentRecord]
) -> None:
    alex, jordan = people
    app = ApprovalsApp(sqlite_db, jordan)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "No requests are waiting." in screen_text(app)
        action_id = _ask(_desk(sqlite_db, alex))
        _screen(app).changed()  # what the live feed asks when a request changes
        await settle(pilot)
        assert _listed(app) == [action_id]
        assert "Dana Whitfield" in screen_text(app)
        assert _screen(app).title == "Approvals · 1 waiting"


async def test_a_refresh_keeps_the_cursor_on_its_request(
    sqlite_db: Database, people: tuple[AgentRecord, AgentRecord]
) -> None:
    alex, jordan = people
    add_customer(sqlite_db, "C-2", "Omar Haddad", "standard")
    add_order(sqlite_db, "W-C-2", "C-2", placed=NOW - timedelta(days=3), price="90.00")
    ids = [_ask(_desk(sqlite_db, alex, 30)), _ask(_desk(sqlite_db, alex, 20), cid="C-2")]
    app = ApprovalsApp(sqlite_db, jordan)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("down")
        assert _screen(app).current is not None and _screen(app).current.id == ids[1]
        await pilot.press("f5")
        await settle(pilot)
        assert _screen(app).current is not None and _screen(app).current.id == ids[1]
        assert app.screen.query_one(OptionList).has_focus


async def test_at_most_a_page_is_loaded_and_the_rest_counted(
    sqlite_db: Database, people: tuple[AgentRecord, AgentRecord]
) -> None:
    _alex, jordan = people
    more = 3
    for i in range(PAGE + more):
        if i % 8 == 0:  # an agent's monthly discount budget holds ten of these
            (agent,) = add_agents(sqlite_db, f"agent{i}")
        cid = f"C-x{i // 2}"  # two discounts per customer in 90 days at most
        if i % 2 == 0:
            _shop(sqlite_db, cid, f"Customer {i}", "standard")
        _ask(_desk(sqlite_db, agent, 500 - i), cid=cid)
    app = ApprovalsApp(sqlite_db, jordan)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert len(_listed(app)) == PAGE
        assert _screen(app).total == PAGE + more
        assert f"and {more} more waiting" in screen_text(app)
        assert _screen(app).title == f"Approvals · {PAGE + more} waiting"


async def test_hostile_names_and_reasons_show_literally(
    sqlite_db: Database, people: tuple[AgentRecord, AgentRecord]
) -> None:
    _alex, jordan = people
    cases = load_hostile_cases() or INLINE_CASES
    for i, (_kind, text) in enumerate(cases):
        if i % 8 == 0:  # an agent's monthly discount budget holds ten of these
            (agent,) = add_agents(sqlite_db, f"hostile{i}")
        cid = f"C-h{i}"
        _shop(sqlite_db, cid, text[:5000], "standard")
        _ask(_desk(sqlite_db, agent, len(cases) - i), cid=cid, reason=text)
    app = ApprovalsApp(sqlite_db, jordan)
    async with app.run_test(size=(160, len(cases) + 20)) as pilot:
        await settle(pilot)
        screen = _screen(app)
        assert len(screen.records) == len(cases)
        shown = screen_text(app)
        assert "[bold red]Mallory[/bold red]" in shown
        assert_inert(terminal_output(app))
        for _ in cases:
            detail = screen.query_one("#approvals-detail", Static)
            assert detail.size.height > 0
            assert_inert(terminal_output(app))
            await pilot.press("down")
            await pilot.pause()
        await pilot.press("home", "a")
        await pilot.pause()
        assert isinstance(app.screen, DecisionReasonScreen)
        assert "[bold red]Mallory[/bold red]" in screen_text(app)
        assert_inert(terminal_output(app))


def _fill_snapshot(db: Database) -> AgentRecord:
    """Three kinds of request, one of them the supervisor's own."""
    alex, sam = add_agents(db, "alex", "sam")
    (jordan,) = add_agents(db, "jordan", role="supervisor")
    _shop(db)
    add_customer(db, "C-2", "Omar Haddad", "standard")
    add_order(db, "W-C-2", "C-2", placed=NOW - timedelta(days=6), price="240.00")
    add_customer(db, "C-3", "Lena Fischer", "platinum")
    add_order(db, "W-C-3", "C-3", placed=NOW - timedelta(days=9), price="412.00")
    _ask(_desk(db, alex, 95), reason="Blender arrived two weeks late and the jug was cracked.")
    refund = ActionRequest(
        kind="refund", customer_id="C-2", order_id="W-C-2", amount="180", reason="Charged twice"
    )
    assert _desk(db, sam, 12).actions.take(refund).record.status == "requested"
    replacement = ActionRequest(
        kind="replacement",
        customer_id="C-3",
        order_id="W-C-3",
        items=("BL-200",),
        reason="Motor burnt out on first use",
    )
    assert _desk(db, jordan, 3).actions.take(replacement).record.status == "requested"
    return jordan


async def _snapshot_ready(pilot: Pilot[None]) -> None:
    await settle(pilot, rounds=3)


def test_snapshot(snap_compare, sqlite_db: Database) -> None:
    jordan = _fill_snapshot(sqlite_db)
    app = ApprovalsApp(sqlite_db, jordan)
    assert snap_compare(app, terminal_size=(100, 30), run_before=_snapshot_ready)
