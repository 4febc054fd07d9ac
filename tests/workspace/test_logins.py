"""On PostgreSQL the login is the agent: what each real login can do through CareDesk's use
cases and commands, and that the database refuses the rest even when the program is fooled."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from storage.engine import Database
from storage.models import Action, AuditEntry, Ticket
from storage.uow import read_session
from tests.factories import NOW, add_customer, add_order, add_ticket
from tests.pg_roles import Server, server
from workspace.action_view import ActionRequest
from workspace.actions import Actions
from workspace.agents import AgentRecord, sign_in
from workspace.approvals import Approvals
from workspace.boot import DatabaseUnavailable, open_workspace
from workspace.cli import main
from workspace.desk import Desk
from workspace.errors import NotAllowed, UnknownAgent
from workspace.policy_file import DEFAULT_POLICY, default_policy


@pytest.fixture
def pg() -> Iterator[Server]:
    with server() as made:
        yield made


@pytest.fixture
def floor(pg: Server) -> tuple[AgentRecord, AgentRecord, AgentRecord]:
    """Sam (an agent), Hana and Jordan (supervisors), each with a login; one customer, one
    order, one contact."""
    sam = pg.agent("sam", "agent")
    hana = pg.agent("hana", "supervisor")
    jordan = pg.agent("jordan", "supervisor")
    add_customer(pg.db, "C-1", "Dana Whitfield", "standard")
    add_order(pg.db, "W1", placed=NOW - timedelta(days=10), delivered=NOW - timedelta(days=5))
    add_ticket(pg.db, "T-1")
    return sam, hana, jordan


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _ask(pg: Server, agent: AgentRecord) -> int:
    """A 30.00 discount `agent` asks for from their own login: it waits for a supervisor."""
    request = ActionRequest(
        kind="discount", customer_id="C-1", order_id="W1", amount="30", reason="two weeks late"
    )
    db = pg.open(agent.name)
    record = Actions(db, agent, default_policy(), lambda: NOW).take(request).record
    assert record.status == "requested"
    return record.id


def _status(db: Database, action_id: int) -> str:
    with read_session(db) as s:
        return str(s.execute(select(Action.status).where(Action.id == action_id)).scalar_one())  # type: ignore[arg-type]


def _actors(db: Database, action: str) -> list[str]:
    with read_session(db) as s:
        rows = s.execute(select(AuditEntry.actor).where(AuditEntry.action == action)).scalars()
        return list(rows)


def test_the_login_is_the_agent_and_nobody_else(pg: Server, floor) -> None:
    sam, hana, _ = floor
    as_sam = pg.open(sam.name)
    me = sign_in(as_sam, None)
    assert (me.agent, me.login, me.proven, me.acting_for) == (sam, sam.name, True, False)
    assert sign_in(as_sam, sam.name).agent == sam
    with pytest.raises(NotAllowed, match="only an administrator works for someone else"):
        sign_in(as_sam, hana.name)
    with pytest.raises(NotAllowed, match="only an administrator"):
        open_workspace(as_sam, hana.name, fill_demo=False, clock=lambda: NOW)
    outsider = pg.open(pg.login("outsider"))  # a login in none of the schema's groups
    with pytest.raises(DatabaseUnavailable, match="can use no schema of"):
        open_workspace(outsider, None, fill_demo=False, clock=lambda: NOW)
    reader = pg.open(pg.login("reader", "monitor"))  # in a group, but no agent
    with pytest.raises(UnknownAgent, match="is not an agent of this database: an administrator"):
        open_workspace(reader, None, fill_demo=False, clock=lambda: NOW)


def test_an_agents_login_cannot_decide_through_the_use_case(pg: Server, floor) -> None:
    sam, hana, _ = floor
    asked = _ask(pg, hana)
    as_sam = pg.open(sam.name)
    with pytest.raises(NotAllowed, match="only a supervisor decides"):
        Approvals(as_sam, sam, lambda: NOW).approve(asked, "fine")
    # Even a program fooled into taking Sam for a supervisor gets no further: the database
    # checks the login itself.
    fooled = Approvals(as_sam, replace(sam, role="supervisor"), lambda: NOW)
    with pytest.raises(NotAllowed, match="the database refused: only a supervisor decides"):
        fooled.approve(asked, "fine")
    assert _status(pg.db, asked) == "requested"


def test_an_agents_login_cannot_decide_with_caredesk_approve(pg: Server, floor, capsys) -> None:
    sam, hana, _ = floor
    asked = _ask(pg, sam)
    code, out, err = _run(capsys, "approve", str(asked), "--reason", "ok", "--db", pg.url(sam.name))
    assert (code, out) == (4, "")
    assert err == "caredesk: only a supervisor decides requests; you are agent\n"
    code, _, err = _run(
        capsys, "approve", str(asked), "--reason", "ok", "--agent", hana.name,
        "--db", pg.url(sam.name),
    )  # fmt: skip
    assert code == 4 and "only an administrator works for someone else" in err
    code, out, err = _run(
        capsys, "approve", str(asked), "--reason", "ok", "--db", pg.url(hana.name)
    )
    assert (code, err) == (0, "") and out.startswith(f"approved: #{asked} Discount of 30.00")
    assert _status(pg.db, asked) == "executed"
    assert _actors(pg.db, "action.approve") == [hana.name]


def test_a_supervisor_cannot_decide_their_own_request(pg: Server, floor, capsys) -> None:
    _, hana, jordan = floor
    own = _ask(pg, hana)
    as_hana = pg.open(hana.name)
    with pytest.raises(NotAllowed, match="nobody approves their own request"):
        Approvals(as_hana, hana, lambda: NOW).approve(own, "mine")
    # Hana's login passing as Jordan in the program: the database still knows it is Hana's.
    fooled = Approvals(as_hana, replace(hana, id=jordan.id), lambda: NOW)
    with pytest.raises(NotAllowed, match="the database refused: nobody decides their own"):
        fooled.deny(own, "mine")
    code, _, err = _run(capsys, "deny", str(own), "--reason", "mine", "--db", pg.url(hana.name))
    assert code == 4 and "nobody approves their own request" in err
    assert _status(pg.db, own) == "requested"


def test_an_administrator_acting_for_a_supervisor_is_named_in_the_log(
    pg: Server, floor, capsys
) -> None:
    sam, hana, _ = floor
    asked = _ask(pg, sam)
    admin = pg.login("boss", "admin")
    code, _, err = _run(
        capsys, "deny", str(asked), "--reason", "no", "--agent", hana.name, "--db", pg.url(admin)
    )
    assert (code, err) == (0, "")
    assert _actors(pg.db, "action.deny") == [f"{admin} for {hana.name}"]
    # The superuser, named nobody, works for the first agent and is named too.
    me = sign_in(pg.db, None)
    assert me.acting_for and me.agent == sam and me.notice and "administrator" in me.notice


def test_only_an_administrator_installs_the_policy(
    pg: Server, floor, capsys, tmp_path: Path
) -> None:
    sam, hana, _ = floor
    for login in (sam.name, hana.name):
        code, out, err = _run(
            capsys, "policy", "install", str(DEFAULT_POLICY), "--db", pg.url(login)
        )
        assert code == 4
        assert err == "caredesk: the database refused: permission denied for table policy_version\n"
    admin = pg.login("boss", "admin")
    code, out, _ = _run(capsys, "policy", "install", str(DEFAULT_POLICY), "--db", pg.url(admin))
    assert code == 0 and "installed as the team's policy" in out
    # The record names the login the database proved, not a name typed on the command line.
    code, out, _ = _run(
        capsys,
        "policy",
        "install",
        str(DEFAULT_POLICY),
        "--agent",
        hana.name,
        "--db",
        pg.url(admin),
    )
    assert code == 0
    with read_session(pg.db) as s:
        by = s.execute(text("SELECT installed_by FROM policy_version ORDER BY id")).scalars()
        assert list(by) == [admin, f"{admin} for {hana.name}"]
    assert _actors(pg.db, "policy.install")[-2:] == [admin, f"{admin} for {hana.name}"]


def test_an_administrator_adds_people_whose_logins_then_work(pg: Server, capsys) -> None:
    admin = pg.login("boss", "admin")  # a member of the admin group, not a superuser
    kim = pg.name("kim")
    pg.made.append(kim)
    code, out, err = _run(
        capsys, "agent", "add", kim, "--name", "Kim Lee", "--role", "agent", "--db", pg.url(admin)
    )
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"added {kim} (Kim Lee) as agent",
        f"PostgreSQL login {kim}: created, in group {pg.group('agent')}, may log in",
        f"it has no password yet: set one with psql's \\password {kim}",
    ]
    assert sign_in(pg.open(kim), None).agent.name == kim
    code, out, _ = _run(capsys, "agent", "set", kim, "--role", "supervisor", "--db", pg.url(admin))
    assert code == 0 and f"in group {pg.group('supervisor')}" in out
    with pg.db.read.connect() as conn:
        groups = conn.execute(
            text(
                "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
                "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = :n"
            ),
            {"n": kim},
        ).scalars()
        assert list(groups) == [pg.group("supervisor")]
    code, out, _ = _run(capsys, "agent", "list", "--json", "--db", pg.url(admin))
    assert [p["id"] for p in json.loads(out)] == [kim]


def test_someone_let_go_cannot_log_in_and_their_contacts_go_back(pg: Server, floor, capsys) -> None:
    sam, _, _ = floor
    as_sam = pg.open(sam.name)
    assert Desk(as_sam, sam, clock=lambda: NOW).claim("T-1").claimed
    as_sam.dispose()
    code, out, _ = _run(
        capsys, "agent", "set", sam.name, "--active", "no", "--db", pg.url("postgres")
    )
    assert code == 0 and "1 contact they held went back to the queue: T-1" in out
    assert "may not log in" in out
    with read_session(pg.db) as s:
        assert s.execute(select(Ticket.assigned_agent_id)).scalar_one() is None
    with (
        pytest.raises(OperationalError, match="not permitted to log in"),
        pg.open(sam.name).read.connect(),
    ):
        pass


def test_only_an_administrator_changes_the_team(pg: Server, floor, capsys) -> None:
    sam, hana, _ = floor
    for login in (sam.name, hana.name):
        code, out, err = _run(
            capsys, "agent", "add", pg.name("eve"), "--name", "Eve", "--role", "supervisor",
            "--db", pg.url(login),
        )  # fmt: skip
        assert (code, out) == (4, "")
        assert err.startswith("caredesk: only an administrator changes the team")
        code, _, err = _run(
            capsys, "agent", "set", sam.name, "--role", "supervisor", "--db", pg.url(login)
        )
        assert code == 4
