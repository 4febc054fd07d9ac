"""A replay's world: the scenario's customer, orders, history and contact in a throw-away
database; turns said on the scenario clock or after an action; and what the trainee did there
read back as answers that score as the trainee played."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.replay.test_cli_replay import SCENARIO, SHIPPED_POLICY
from workspace.action_view import ActionRequest
from workspace.agents import resolve_agent
from workspace.reading import Reading
from workspace.replay.loading import scenario_from_text
from workspace.replay.model import Scenario
from workspace.replay.scoring import score
from workspace.replay.world import TICKET, TRAINEE, ReplayWorld, ScenarioClock, build_world
from workspace.workbench import Workbench


@pytest.fixture
def scenario(tmp_path: Path) -> Scenario:
    (tmp_path / "policy.yaml").write_text(SHIPPED_POLICY.read_text())
    return scenario_from_text(SCENARIO, tmp_path / "late-blender.yaml")


@pytest.fixture
def world(scenario: Scenario, tmp_path: Path) -> Iterator[ReplayWorld]:
    made = build_world(scenario, tmp_path)
    yield made
    made.close()


def texts(world: ReplayWorld) -> list[str]:
    reading = Reading(world.db, "USD", lambda: world.scenario.now)
    return [entry.text for entry in reading.customer_context(world.customer_id, None).timeline]


def test_the_world_holds_the_scenario_and_the_first_turn(world: ReplayWorld) -> None:
    shown = texts(world)
    assert "Hi, I've written twice already about my blender." in shown
    assert "It finally came, two days late, and the jug is cracked." in shown
    assert "Can you just send me a new one?" not in shown  # at 40s
    assert world.said == [0]
    trainee = resolve_agent(world.db, TRAINEE)
    assert (trainee.display_name, trainee.role) == ("trainee", "agent")


def test_turns_come_on_the_clock_and_after_their_action(world: ReplayWorld) -> None:
    assert world.due(timedelta(seconds=39), set()) == []
    assert world.due(timedelta(seconds=40), set()) == [1]
    assert world.due(timedelta(seconds=40), {"replacement"}) == [1, 2]
    world.say([1], world.scenario.now + timedelta(seconds=40))
    world.say([1], world.scenario.now + timedelta(seconds=41))  # said once only
    assert texts(world).count("Can you just send me a new one?") == 1


def test_what_the_trainee_does_is_read_back_and_scores_as_played(world: ReplayWorld) -> None:
    at = [0.0]
    clock = ScenarioClock(world.scenario.now, monotonic=lambda: at[0])
    trainee = resolve_agent(world.db, TRAINEE)
    bench = Workbench.open(world.db, trainee, world.scenario.policy, clock)
    at[0] = 5
    world.open("H-2", clock())
    at[0] = 30
    bench.desk.write(TICKET, "I'm so sorry, that should never happen.")
    at[0] = 60
    replacement = ActionRequest(
        kind="replacement",
        customer_id=world.customer_id,
        order_id="W1001",
        ticket_id=TICKET,
        items=("BL-200",),
        reason="cracked jug",
    )
    assert bench.actions.take(replacement).record.verdict == "allow"
    assert world.taken() == {"replacement"}
    at[0] = 75
    credit = ActionRequest(
        kind="store_credit",
        customer_id=world.customer_id,
        order_id="W1001",
        ticket_id=TICKET,
        amount="10.00",
        reason="two-day guarantee missed",
    )
    assert bench.actions.take(credit).record.rule == "guarantees.two_day_shipping"
    at[0] = 90
    bench.desk.resolve(TICKET, "resolved")
    answers = world.answers("Robin")
    assert [(s.at.total_seconds(), s.kind) for s in answers.steps] == [
        (5, "open"),
        (30, "reply"),
        (60, "action"),
        (75, "action"),
        (90, "resolve"),
    ]
    report = score(world.scenario, answers)
    assert (report.score, report.passed, report.findings) == (100, True, ())
    assert [a.rule for a in report.actions] == [
        "actions.replacement.limit.amount",
        "guarantees.two_day_shipping",
    ]


def test_closing_removes_the_world(scenario: Scenario, tmp_path: Path) -> None:
    made = build_world(scenario, tmp_path)
    folder = made.directory
    assert (folder / "replay.db").exists()
    made.close()
    assert not folder.exists()


def test_live_verdicts_are_the_scored_ones_and_a_withdrawn_request_is_not_taken(
    world: ReplayWorld,
) -> None:
    at = [0.0]
    clock = ScenarioClock(world.scenario.now, monotonic=lambda: at[0])
    bench = Workbench.open(world.db, resolve_agent(world.db, TRAINEE), world.scenario.policy, clock)

    def take(kind: str, **what: object) -> str:
        at[0] += 10
        request = ActionRequest(
            kind=kind, customer_id=world.customer_id, ticket_id=TICKET, reason="r", **what
        )
        return bench.actions.take(request).record.verdict

    live = []
    live.append(take("discount", order_id="W1001", amount="60.00"))  # above the gold limit
    asked = bench.reading.customer_actions(world.customer_id)[0]
    bench.approvals.withdraw(asked.id)
    assert world.taken() == set()  # a request taken back is not waited on by any turn
    live.append(take("replacement", order_id="W1001", items=("BL-200",)))
    live.append(take("replacement", order_id="W1001", items=("BL-200",)))  # once an order
    live.append(take("store_credit", order_id="W1001", amount="10.00"))
    assert live == ["needs_approval", "allow", "deny", "allow"]
    report = score(world.scenario, world.answers("Robin"))
    assert [a.verdict for a in report.actions] == live[1:]  # the withdrawn one is not there
    assert "missing_action" not in {f.kind for f in report.findings}
    assert world.taken() == {"replacement", "store_credit"}


@pytest.mark.parametrize("how", ["escalated", "pending"])
def test_an_escalation_or_a_parking_ends_when_the_trainee_let_go(
    world: ReplayWorld, how: str
) -> None:
    at = [0.0]
    clock = ScenarioClock(world.scenario.now, monotonic=lambda: at[0])
    bench = Workbench.open(world.db, resolve_agent(world.db, TRAINEE), world.scenario.policy, clock)
    at[0] = 90
    bench.desk.resolve(TICKET, how)
    at[0] = 400  # read back much later: the time is the database's, not the reader's
    (last,) = [s for s in world.answers("Robin", closed_at=clock()).steps if s.kind == "resolve"]
    assert (last.resolve, last.at) == (how, timedelta(seconds=90))
