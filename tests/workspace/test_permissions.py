"""The permission matrix, cell by cell, on the real use cases: each of the six actors tries
each use case on a real database, and it is allowed (the effect happens) or refused
(CareDesk's error, or the database's grants, and nothing changed) as the matrix says.

The floor's roles work on SQLite, where a use case that names its agent is trusted to; the
administrator there is whoever runs `caredesk agent`, who is no agent. What only a proven
login can be refused (the team, the policy, the monitor), and the monitor's login, which
the grants stop from writing, are tried on PostgreSQL. Each database is built once.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError

from storage.engine import Database, make_reader
from storage.logins import refusal
from storage.testing import fresh_sqlite
from storage.uow import read_session
from tests.conftest import postgres_unavailable, require_postgres
from tests.factories import NOW, add_agents, add_customer, add_order, add_ticket
from tests.pg_roles import Server, server
from workspace import permissions
from workspace.action_view import ActionRequest
from workspace.actions import Actions
from workspace.agents import AgentRecord, sign_in
from workspace.approvals import Approvals
from workspace.desk import Desk
from workspace.errors import CareDeskError, NotPermitted
from workspace.monitor import open_monitor
from workspace.permissions import Actor, UseCase
from workspace.policy_file import DEFAULT_POLICY, default_policy
from workspace.policy_store import install, installed
from workspace.replay.answers_file import Files
from workspace.replay.loading import load_scenario
from workspace.replay.session import ReplaySession
from workspace.replay.shipped import LIBRARY
from workspace.replay.world import ScenarioClock, build_world
from workspace.supervision import Supervision
from workspace.team import Team, members

README = Path(__file__).resolve().parents[2] / "README.md"

#: The matrix as the product documents it (PRODUCT.md, the README), written out here so
#: that a cell flipped in `permissions.TABLE` fails its own test.
#:             agent senior supervisor trainer monitor administrator
DOCUMENTED = {
    "claim": "Y Y Y Y - -",
    "reply": "Y Y Y Y - -",
    "act": "Y Y Y Y - -",
    "approve": "- - Y - - -",
    "deny": "- - Y - - -",
    "withdraw": "Y Y Y Y - -",
    "policy install": "- - - - - Y",
    "agent admin": "- - - - - Y",
    "reassign": "- - Y - - -",
    "replay": "Y Y Y Y - -",
    "monitor": "- - Y - Y Y",
}

FLOOR = (Actor.AGENT, Actor.SENIOR, Actor.SUPERVISOR, Actor.TRAINER)
ON_THE_FLOOR = (
    UseCase.CLAIM,
    UseCase.REPLY,
    UseCase.ACT,
    UseCase.APPROVE,
    UseCase.DENY,
    UseCase.WITHDRAW,
    UseCase.REASSIGN,
)
"""Use cases that work as an agent of the team: the agent is named, so SQLite can try them."""

ADMINISTRATOR = "ops"
"""Who runs `caredesk agent` on the SQLite file: its owner, no agent of the team."""


def documented(actor: Actor, use_case: UseCase) -> bool:
    return DOCUMENTED[use_case.value].split()[list(Actor).index(actor)] == "Y"


# -- the worlds, built once ---------------------------------------------------------------


@dataclass
class World:
    """A database with one agent per floor role, a requester and a customer per cell."""

    db: Database
    agents: dict[str, AgentRecord]
    """By role, and `requester` (an agent who asks for approvals)."""
    serial: Iterator[int] = field(default_factory=itertools.count)

    def fresh(self, tag: str) -> tuple[str, str, str]:
        """A new customer with an order and an open contact: (customer, order, contact)."""
        n = next(self.serial)
        customer, order, contact = f"C-{tag}{n}", f"W-{tag}{n}", f"T-{tag}{n}"
        add_customer(self.db, customer, "Dana Whitfield", "standard")
        add_order(
            self.db,
            order,
            customer,
            placed=NOW - timedelta(days=10),
            delivered=NOW - timedelta(days=5),
        )
        add_ticket(self.db, contact, customer)
        return customer, order, contact


@pytest.fixture(scope="module")
def floor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    db = fresh_sqlite(tmp_path_factory.mktemp("floor"))
    agents = {role: add_agents(db, f"{role}1", role=role)[0] for role in FLOOR}
    agents["requester"] = add_agents(db, "requester", role="agent")[0]
    yield World(db, agents)
    db.dispose()


@dataclass
class Pg:
    """A PostgreSQL schema with a login for each actor."""

    server: Server
    world: World
    logins: dict[Actor, str]


@pytest.fixture(scope="module")
def pg() -> Iterator[Pg | None]:
    if postgres_unavailable() is not None:
        yield None  # each PostgreSQL test skips, or fails under CI
        return
    with server() as made:
        agents = {role: made.agent(role, role) for role in FLOOR}
        agents["requester"] = made.agent("requester", "agent")
        logins = {Actor(role): agents[role].name for role in FLOOR}
        logins[Actor.MONITOR] = made.login("wallboard", "monitor")
        logins[Actor.ADMINISTRATOR] = made.login("boss", "admin")
        yield Pg(made, World(made.db, agents), logins)


def postgres(pg: Pg | None) -> Pg:
    require_postgres()
    assert pg is not None
    return pg


# -- trying: refused is CareDesk's error or the grants', and changes nothing ---------------


def attempt(run: Callable[[], object], effect: Callable[[], object]) -> bool:
    """Run `run`: True when it did what it is for (`effect` changed), False when CareDesk or
    the database's grants refused it and `effect` did not change."""
    before = effect()
    try:
        run()
    except (CareDeskError, DBAPIError) as error:
        if isinstance(error, DBAPIError) and refusal(error) is None:
            raise  # the database failed; it did not refuse
        assert effect() == before, "refused, yet something changed"
        return False
    assert effect() != before, "allowed, yet nothing happened"
    return True


def holder(db: Database, contact: str) -> int | None:
    from storage import contact_writes

    with read_session(db) as s:
        found = contact_writes.holder(s, contact)
    assert found is not None
    return found.holder_id


def status(db: Database, action_id: int) -> str:
    from storage import action_queries

    with read_session(db) as s:
        row = action_queries.get_action(s, action_id)
    assert row is not None
    return str(row.status)


def interactions(db: Database, contact: str) -> int:
    from sqlalchemy import text

    with db.read.connect() as conn:
        query = text("SELECT count(*) FROM interaction WHERE ticket_id = :t")
        return int(conn.execute(query, {"t": contact}).scalar_one())


def executed(db: Database, customer: str) -> int:
    from sqlalchemy import text

    with db.read.connect() as conn:
        query = text("SELECT count(*) FROM action WHERE customer_id = :c AND status = 'executed'")
        return int(conn.execute(query, {"c": customer}).scalar_one())


def ask(world: World, who: AgentRecord, customer: str, order: str) -> int:
    """A 30.00 discount above the agent's and senior's limits: it waits for a supervisor."""
    request = ActionRequest(
        kind="discount", customer_id=customer, order_id=order, amount="30", reason="late"
    )
    record = Actions(world.db, who, default_policy(), lambda: NOW).take(request).record
    assert record.status == "requested"
    return record.id


def on_the_floor(use_case: UseCase, world: World, db: Database, me: AgentRecord) -> bool:
    """`me` tries `use_case` through `db` (their own database handle, or another login's)."""
    customer, order, contact = world.fresh(use_case.value[:2])
    other = world.agents["requester"]

    def clock() -> datetime:
        return NOW

    if use_case is UseCase.CLAIM:
        return attempt(
            lambda: Desk(db, me, clock).claim(contact), lambda: holder(world.db, contact)
        )
    if use_case is UseCase.REPLY:
        Desk(world.db, me, clock).claim(contact)  # held, through the owner's handle
        return attempt(
            lambda: Desk(db, me, clock).write(contact, "I am on it."),
            lambda: interactions(world.db, contact),
        )
    if use_case is UseCase.ACT:
        credit = ActionRequest(
            kind="store_credit", customer_id=customer, amount="5", reason="sorry for the wait"
        )
        return attempt(
            lambda: Actions(db, me, default_policy(), clock).take(credit),
            lambda: executed(world.db, customer),
        )
    if use_case in (UseCase.APPROVE, UseCase.DENY):
        asked = ask(world, other, customer, order)
        approvals = Approvals(db, me, clock)
        decide = approvals.approve if use_case is UseCase.APPROVE else approvals.deny
        done = attempt(lambda: decide(asked, "checked"), lambda: status(world.db, asked))
        assert status(world.db, asked) in ({"executed", "denied"} if done else {"requested"})
        return done
    if use_case is UseCase.WITHDRAW:
        asked = ask(world, me, customer, order)
        return attempt(
            lambda: Approvals(db, me, clock).withdraw(asked), lambda: status(world.db, asked)
        )
    assert use_case is UseCase.REASSIGN
    Desk(world.db, other, clock).claim(contact)
    return attempt(
        lambda: Supervision(db, me, clock).release(contact, "cover"),
        lambda: holder(world.db, contact),
    )


def replay(role: str, folder: Path) -> bool:
    """A trainee playing `role` in a shipped scenario: the replay runs and ends scored."""
    scenario = load_scenario(LIBRARY / "cracked-blender-repeat.yaml")
    scenario = replace(scenario, agent=replace(scenario.agent, role=role))
    files = Files(folder / f"{role}.answers.yaml", folder / f"{role}.report.json")
    try:
        world = build_world(scenario, folder)
    except CareDeskError:
        return False
    try:
        clock = ScenarioClock(scenario.now, monotonic=lambda: 0.0)
        try:
            session = ReplaySession(world, clock, "trainee", files)
        except CareDeskError:
            assert not files.answers.exists()
            return False
        session.finish()
        assert files.report.exists()
        return True
    finally:
        world.close()


# -- the tests ----------------------------------------------------------------------------

CELLS = [pytest.param(a, u, id=f"{u.value}-{a.value}") for u in UseCase for a in Actor]


@pytest.mark.parametrize(("actor", "use_case"), CELLS)
def test_each_cell(
    actor: Actor, use_case: UseCase, floor: World, pg: Pg | None, tmp_path: Path
) -> None:
    expected = permissions.allowed(actor, use_case)
    assert expected is documented(actor, use_case), "the table is not what is documented"
    assert try_cell(actor, use_case, floor, pg, tmp_path) is expected


def try_cell(actor: Actor, use_case: UseCase, floor: World, pg: Pg | None, tmp: Path) -> bool:
    if use_case is UseCase.REPLAY:
        return replay(actor.value, tmp)
    if use_case in ON_THE_FLOOR and actor in FLOOR:
        me = sign_in(floor.db, floor.agents[actor.value].name).agent
        return on_the_floor(use_case, floor, floor.db, me)
    if use_case in ON_THE_FLOOR and actor is Actor.ADMINISTRATOR:
        # The file's owner, as themselves: no agent, so the floor does not open to them.
        with pytest.raises(CareDeskError, match="no agent called"):
            sign_in(floor.db, ADMINISTRATOR)
        return False
    on = postgres(pg)
    login = on.logins[actor]
    if use_case in ON_THE_FLOOR:  # the monitor's login
        as_login = on.server.open(login)
        with pytest.raises(CareDeskError, match="not an agent"):
            sign_in(as_login, None)
        # Even naming a supervisor (as a forged program could), the grants refuse it.
        forged = on.world.agents[Actor.SUPERVISOR.value]
        if use_case is UseCase.WITHDRAW:
            forged = on.world.agents["requester"]
        return on_the_floor(use_case, on.world, as_login, forged)
    return by_login(actor, use_case, on, login, tmp)


def by_login(actor: Actor, use_case: UseCase, on: Pg, login: str, tmp: Path) -> bool:
    """The use cases a PostgreSQL login is proven for: the team, the policy, the monitor."""
    if use_case is UseCase.MONITOR:
        reader = make_reader(on.server.url(login))
        try:
            panels = open_monitor(reader, clock=lambda: NOW).depth()
        except NotPermitted as refused:
            assert actor.value in str(refused) and "opens the monitor" in str(refused)
            return False
        finally:
            reader.dispose()
        assert panels, "the monitor opened, yet read nothing"
        return True
    as_login = on.server.open(login)
    if use_case is UseCase.POLICY_INSTALL:
        stamp = NOW + timedelta(minutes=list(Actor).index(actor))

        def latest() -> Any:
            found = installed(on.server.db)
            return None if found is None else found[1].installed_at

        return attempt(lambda: install(as_login, DEFAULT_POLICY, by=login, at=stamp), latest)
    assert use_case is UseCase.AGENT_ADMIN
    newcomer = on.server.name(f"new{actor.value[:4]}")
    on.server.made.append(newcomer)  # its login, if made, is dropped with the schema's
    return attempt(
        lambda: Team(as_login).add(newcomer, "New Person", "agent"),
        lambda: len(members(on.server.db)),
    )


def test_a_refusal_names_the_role_and_the_use_case_in_words() -> None:
    with pytest.raises(NotPermitted) as refused:
        permissions.check("trainer", UseCase.APPROVE)
    assert str(refused.value) == "only a supervisor decides requests; you are trainer"
    assert (refused.value.actor, refused.value.use_case) == ("trainer", "approve")
    with pytest.raises(NotPermitted, match="only an administrator changes the team; your "):
        permissions.check("supervisor", UseCase.AGENT_ADMIN, who="your database login 'x'")
    with pytest.raises(NotPermitted, match=r"^only an agent, a senior, a supervisor or a "):
        permissions.check("cleaner", UseCase.CLAIM)


def test_every_role_of_the_team_is_an_actor() -> None:
    from workspace.vocabulary import Role

    assert {r.value for r in Role} == set(FLOOR)
    assert set(permissions.TABLE) == set(UseCase)


def test_the_readme_holds_the_table_the_matrix_renders() -> None:
    assert permissions.markdown() in README.read_text(encoding="utf-8")
