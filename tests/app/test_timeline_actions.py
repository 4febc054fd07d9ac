"""Actions on the customer's timeline, in the workspace: a supervisor's decision shows in the
agent's history as it is made, in another workspace; every name and reason is literal and
inert in the list and in full."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from screens.entry import EntryScreen
from storage import action_queries
from storage.engine import Database
from storage.models import Agent
from storage.uow import unit_of_work
from tests.app.conftest import make_app, settle, until
from tests.app.screen import assert_inert, screen_text, terminal_output
from tests.factories import NOW, add_agents, add_customer, add_order, add_ticket
from tests.hostile import INLINE_CASES, load_hostile_cases
from widgets.timeline import Timeline
from workspace.action_entries import ActionEvent
from workspace.action_view import ActionRequest
from workspace.agents import AgentRecord
from workspace.policy_file import default_policy
from workspace.text import one_line
from workspace.workbench import Workbench

POLICY = default_policy()


def _request(db: Database) -> int:
    """Alex holds T-1 for a gold customer and asked for a discount over their limit."""
    (alex,) = add_agents(db, "alex")
    add_agents(db, "jordan", role="supervisor")
    add_customer(db, "C-1", "Dana Whitfield", "gold")
    add_order(db, "W-C-1", "C-1", placed=NOW - timedelta(days=6))
    add_ticket(db, "T-1", "C-1", holder=alex.id, subject="Cracked jug")
    asked = NOW - timedelta(minutes=5)
    desk = Workbench.open(db, alex, POLICY, clock=lambda: asked)
    request = ActionRequest(
        kind="discount",
        customer_id="C-1",
        order_id="W-C-1",
        amount="50",
        reason="parcel two weeks late",
        ticket_id="T-1",
    )
    record = desk.actions.take(request).record
    assert record.status == "requested", record.verdict_reason
    return record.id


def _kinds(timeline: Timeline) -> list[str]:
    return [e.kind for e in timeline.entries]


async def test_a_denial_in_another_workspace_shows_in_the_agents_timeline(
    sqlite_db: Database,
) -> None:
    """Jordan denies in a workspace of his own; Alex's timeline shows the denial, and why, at
    its top, and the request below it says where it stands, without a reload."""
    request = _request(sqlite_db)
    agent_app = make_app(sqlite_db, "alex")
    supervisor_app = make_app(sqlite_db, "jordan")
    async with agent_app.run_test(size=(160, 40)) as agent:
        await settle(agent)
        timeline = agent_app.screen.query_one(Timeline)
        assert _kinds(timeline) == [ActionEvent.REQUESTED, "order_placed"]
        asked = timeline.entries[0]
        assert asked.text.startswith(
            f"Discount #{request} requested by Alex, 50.00 USD on order W-C-1: "
            "parcel two weeks late\n"
        )
        assert asked.tone == "waiting"
        async with supervisor_app.run_test(size=(160, 40)) as supervisor:
            await settle(supervisor)
            await supervisor.press("p")
            await settle(supervisor)
            await supervisor.press("d")
            await settle(supervisor)
            await supervisor.press(*"not on a first delay", "enter")
            await settle(supervisor)
        await until(agent, lambda: ActionEvent.DENIED in _kinds(timeline))
        await settle(agent)
        assert _kinds(timeline) == [
            ActionEvent.DENIED,
            ActionEvent.REQUESTED,
            "order_placed",
        ]
        denied, asked = timeline.entries[:2]
        assert denied.text.startswith(
            f"Discount #{request} denied by Jordan: not on a first delay\n"
        )
        assert asked.tone == "refused"
        assert asked.text.endswith("\nNow: denied by Jordan: not on a first delay")
        shown = screen_text(agent_app)
        assert f"ACTION EVENT Discount #{request} denied by Jordan: not on a first delay" in shown
        # In full: the decision, then the request it answers.
        await agent.press("2", "home", "enter")
        await settle(agent)
        assert isinstance(agent_app.screen, EntryScreen)
        full = screen_text(agent_app)
        assert "ACTION · event · Jordan · #1 · contact T-1" in full
        assert "Requested by Alex, 50.00 USD on order W-C-1: parcel two weeks late" in full


def _people(db: Database, i: int, text: str) -> tuple[AgentRecord, int]:
    """An agent and a supervisor named with `text` (names come from the agent directory)."""
    ids = []
    with unit_of_work(db) as s:
        for name, role in ((f"kim-{i:02d}", "agent"), (f"sup-{i:02d}", "supervisor")):
            agent = Agent(name=name, display_name=text[:200], role=role)
            s.add(agent)
            s.flush()
            assert agent.id is not None
            ids.append(agent.id)
    return AgentRecord(ids[0], f"kim-{i:02d}", text[:200], "agent"), ids[1]


def _plant(db: Database, cases: list[tuple[str, str]]) -> None:
    """One customer; per case, a discount asked for by an agent named with it, with it as
    the reason, decided (denied or approved) by a supervisor named with it, with it as the
    reason. Stored directly: the policy's caps would refuse most of them."""
    add_agents(db, "alex")
    add_customer(db, "C-1", "Dana Whitfield", "gold")
    add_order(db, "W-C-1", "C-1", placed=NOW - timedelta(days=60))
    add_ticket(db, "T-1", "C-1")
    for i, (_kind, text) in enumerate(cases):
        agent, supervisor = _people(db, i, text)
        approved = i % 2 == 0
        with unit_of_work(db) as s:
            action_queries.insert_action(
                s,
                {
                    "ref": f"R-{i}",
                    "kind": "discount",
                    "customer_id": "C-1",
                    "order_id": "W-C-1",
                    "ticket_id": "T-1",
                    "agent_id": agent.id,
                    "amount": Decimal("50.00"),
                    "currency": "USD",
                    "reason": text,
                    "verdict": "needs_approval",
                    "rule": "tiers.gold.discount.limit.amount",
                    "verdict_reason": "Discounts over 40.00 USD need a supervisor.",
                    "policy_hash": "0123456789abcdef",
                    "status": "executed" if approved else "denied",
                    "requested_at": NOW - timedelta(minutes=2 * i + 1),
                    "decided_at": NOW - timedelta(minutes=2 * i),
                    "decided_by": supervisor,
                    "decision_reason": text,
                    "executed_at": NOW - timedelta(minutes=2 * i) if approved else None,
                },
            )


def _cases() -> list[tuple[str, str]]:
    """The shared corpus (the inline cases when it is missing), markup first."""
    cases = load_hostile_cases() or list(INLINE_CASES)
    return sorted(cases, key=lambda c: c[0] != "markup-bold")


async def test_hostile_names_and_reasons_on_the_timeline_are_inert(sqlite_db: Database) -> None:
    cases = _cases()
    _plant(sqlite_db, cases)
    app = make_app(sqlite_db, "alex")
    # Tall enough that every entry is on screen at once.
    async with app.run_test(size=(160, 6 * len(cases) + 30)) as pilot:
        await settle(pilot)
        timeline = app.screen.query_one(Timeline)
        assert len(timeline.entries) == 2 * len(cases) + 1  # and the order placed
        assert timeline.size.height >= len(timeline.entries)
        assert_inert(terminal_output(app))
        shown = screen_text(app)
        markup = "[bold red]Mallory[/bold red]"
        assert f"Discount #1 approved by {markup}: [bold red]M" in shown  # then cut
        for (kind, text), entry in zip(cases, timeline.entries[::2], strict=False):
            assert f" by {one_line(text[:200])}" in entry.text.partition("\n")[0], kind
    # In full, one at a time, the first case of each kind of attack (each costs a moment):
    # either entry of an action holds both names and both reasons, so the decision of one
    # and the request of the next.
    app = make_app(sqlite_db, "alex")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        timeline = app.screen.query_one(Timeline)
        seen: set[str] = set()
        for i, (kind, _text) in enumerate(cases):
            if (attack := kind.split("-")[0]) in seen:
                continue
            seen.add(attack)
            timeline.select_index(2 * i + len(seen) % 2)
            await pilot.press("enter")
            assert isinstance(app.screen, EntryScreen), kind
            assert_inert(terminal_output(app), kind)
            await pilot.press("escape")
        assert app.is_running


async def test_a_colleague_viewing_the_customer_sees_the_decision_too(
    sqlite_db: Database,
) -> None:
    """Sam has T-1 open (not held) when Jordan approves Alex's request: the decision reaches
    Sam's timeline as well, not only the requester's."""
    request = _request(sqlite_db)
    add_agents(sqlite_db, "sam")
    jordan = AgentRecord(2, "jordan", "Jordan", "supervisor")
    with unit_of_work(sqlite_db) as s:
        row = s.get(Agent, 2)
        assert row is not None and row.name == "jordan"
    colleague = make_app(sqlite_db, "sam")
    async with colleague.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        timeline = colleague.screen.query_one(Timeline)
        assert _kinds(timeline)[0] == ActionEvent.REQUESTED
        supervisor = Workbench.open(sqlite_db, jordan, POLICY, clock=lambda: NOW)
        assert supervisor.approvals.approve(request, "loyal customer").changed
        await until(pilot, lambda: ActionEvent.APPROVED in _kinds(timeline))


async def test_an_action_executed_at_once_reaches_a_colleagues_timeline(
    sqlite_db: Database,
) -> None:
    """No request waits for a store credit the policy allows: it is still announced, and a
    colleague with the customer open sees it on the timeline."""
    (alex,) = add_agents(sqlite_db, "alex")
    add_agents(sqlite_db, "sam")
    add_customer(sqlite_db, "C-1", "Dana Whitfield", "gold")
    add_ticket(sqlite_db, "T-1", "C-1", holder=alex.id, subject="Cracked jug")
    colleague = make_app(sqlite_db, "sam")
    async with colleague.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        timeline = colleague.screen.query_one(Timeline)
        assert ActionEvent.EXECUTED not in _kinds(timeline)
        desk = Workbench.open(sqlite_db, alex, POLICY, clock=lambda: NOW)
        taken = desk.actions.take(
            ActionRequest(
                kind="store_credit",
                customer_id="C-1",
                amount="10",
                reason="sorry for the wait",
                ticket_id="T-1",
            )
        )
        assert taken.record.status == "executed", taken.record.verdict_reason
        await until(pilot, lambda: ActionEvent.EXECUTED in _kinds(timeline))
