"""`caredesk agent`, `caredesk approve` and `caredesk deny` on SQLite: outcomes, one clear
line for each refusal, and the exit status that says which it was."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from storage.engine import Database
from storage.models import Action, AuditEntry
from storage.uow import read_session
from tests.factories import add_agents, add_customer, add_order, add_ticket
from workspace.action_view import ActionRequest
from workspace.actions import Actions
from workspace.agents import AgentRecord
from workspace.cli import main
from workspace.policy_file import default_policy


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- caredesk agent -------------------------------------------------------------------------


def test_agent_add_list_and_set(sqlite_db: Database, capsys) -> None:
    url = sqlite_db.url
    code, out, err = _run(
        capsys, "agent", "add", "hana", "--name", "Hana Kowalski", "--role", "supervisor",
        "--email", "hana@example.com", "--db", url,
    )  # fmt: skip
    assert (code, out, err) == (0, "added hana (Hana Kowalski) as supervisor\n", "")
    assert (
        _run(capsys, "agent", "add", "sam", "--name", "Sam", "--role", "agent", "--db", url)[0] == 0
    )
    code, out, _ = _run(capsys, "agent", "set", "sam", "--role", "senior", "--db", url)
    assert (code, out) == (0, "sam (Sam): role agent -> senior\n")
    code, out, _ = _run(capsys, "agent", "set", "sam", "--role", "senior", "--db", url)
    assert (code, out) == (0, "sam (Sam): nothing changed\n")
    code, out, _ = _run(capsys, "agent", "list", "--db", url)
    assert out.splitlines() == [
        "ID    NAME           ROLE        EMAIL             ACTIVE",
        "hana  Hana Kowalski  supervisor  hana@example.com  yes",
        "sam   Sam            senior      -                 yes",
    ]
    code, out, _ = _run(capsys, "agent", "list", "--json", "--db", url)
    assert json.loads(out) == [
        {
            "id": "hana",
            "name": "Hana Kowalski",
            "role": "supervisor",
            "email": "hana@example.com",
            "active": True,
        },
        {"id": "sam", "name": "Sam", "role": "senior", "email": None, "active": True},
    ]
    with read_session(sqlite_db) as s:
        actions = s.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars().all()  # type: ignore[arg-type]
    assert actions == ["agent.add", "agent.add", "agent.set"]


def test_letting_someone_go_says_which_contacts_went_back(sqlite_db: Database, capsys) -> None:
    (sam,) = add_agents(sqlite_db, "sam")
    add_customer(sqlite_db)
    add_ticket(sqlite_db, "T-1", holder=sam.id)
    code, out, _ = _run(capsys, "agent", "set", "sam", "--active", "no", "--db", sqlite_db.url)
    assert (code, out) == (
        0,
        "sam (Sam): active yes -> no\n1 contact they held went back to the queue: T-1\n",
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["add", "two words", "--name", "X", "--role", "agent"], "an id has no spaces"),
        (["add", "x", "--name", "  ", "--role", "agent"], "give the name colleagues know"),
        (["add", "x", "--name", "X", "--role", "agent", "--email", "x"], "not an email address"),
        (["add", "alex", "--name", "A", "--role", "agent"], "'alex' is already on the team"),
        (["set", "zoe", "--role", "agent"], "no agent called 'zoe' in this database"),
        (["set", "alex"], "nothing to change: give --role, --name, --email or --active"),
    ],
)
def test_agent_bad_input_is_one_line_and_status_2(
    sqlite_db: Database, capsys, argv: list[str], message: str
) -> None:
    add_agents(sqlite_db, "alex")
    code, out, err = _run(capsys, "agent", *argv, "--db", sqlite_db.url)
    assert (code, out) == (2, "")
    assert err.startswith("caredesk: ") and message in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["add", "x", "--name", "X", "--role", "boss"], "argument --role: invalid choice: 'boss'"),
        (["set", "x", "--active", "maybe"], "argument --active: expected yes or no"),
        (["add", "x", "--role", "agent"], "the following arguments are required: --name"),
    ],
)
def test_agent_options_the_parser_refuses(capsys, argv: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["agent", *argv])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


# -- caredesk approve and deny ------------------------------------------------------------


@pytest.fixture
def floor(sqlite_db: Database) -> tuple[AgentRecord, AgentRecord, AgentRecord]:
    """Alex (an agent), Hana and Jordan (supervisors); a customer with a 200.00 order."""
    alex, _ = add_agents(sqlite_db, "alex", "x.unused")
    hana, jordan = add_agents(sqlite_db, "hana", "jordan", role="supervisor")
    add_customer(sqlite_db, "C-1", "Dana Whitfield", "standard")
    now = datetime.now(UTC)
    add_order(
        sqlite_db,
        "W1",
        placed=now - timedelta(days=10),
        delivered=now - timedelta(days=5),
        price="200.00",
    )
    return alex, hana, jordan


def _ask(db: Database, agent: AgentRecord) -> int:
    """A 30.00 discount above the agent's 25.00 limit: it waits for a supervisor."""
    request = ActionRequest(
        kind="discount", customer_id="C-1", order_id="W1", amount="30", reason="two weeks late"
    )
    record = Actions(db, agent, default_policy(), lambda: datetime.now(UTC)).take(request).record
    assert record.status == "requested"
    return record.id


def _status(db: Database, action_id: int) -> str:
    with read_session(db) as s:
        return str(s.execute(select(Action.status).where(Action.id == action_id)).scalar_one())  # type: ignore[arg-type]


def test_a_supervisor_approves_and_denies_headless(sqlite_db: Database, floor, capsys) -> None:
    alex, _, _ = floor
    first, second = _ask(sqlite_db, alex), _ask(sqlite_db, alex)
    url = sqlite_db.url
    code, out, err = _run(
        capsys, "approve", str(first), "--reason", "loyal customer", "--agent", "hana", "--db", url
    )
    assert (code, err) == (0, "")
    assert out == (
        f"approved: #{first} Discount of 30.00 USD for Dana Whitfield: executed, "
        "approved by Hana: loyal customer.\n"
    )
    code, out, _ = _run(
        capsys, "deny", f"#{second}", "--reason", "no", "--agent", "hana", "--db", url
    )
    assert code == 0 and out.startswith(f"denied: #{second} Discount of 30.00 USD")
    assert (_status(sqlite_db, first), _status(sqlite_db, second)) == ("executed", "denied")
    with read_session(sqlite_db) as s:
        audit = s.execute(
            select(AuditEntry.actor, AuditEntry.action).where(AuditEntry.actor == "hana")
        ).all()
    assert [tuple(a) for a in audit] == [
        ("hana", "action.approve"),
        ("hana", "action.execute"),
        ("hana", "action.deny"),
    ]


def test_refusals_exit_4_with_one_line(sqlite_db: Database, floor, capsys) -> None:
    alex, hana, _ = floor
    asked, own = _ask(sqlite_db, alex), _ask(sqlite_db, hana)
    url = sqlite_db.url

    def refused(*argv: str) -> str:
        code, out, err = _run(capsys, *argv, "--reason", "r", "--db", url)
        assert (code, out) == (4, "") and err.startswith("caredesk: ") and err.count("\n") == 1
        return err

    assert "only a supervisor decides requests; you are agent" in refused(
        "approve", str(asked), "--agent", "alex"
    )
    assert "nobody approves their own request" in refused("approve", str(own), "--agent", "hana")
    assert "there is no action #999" in refused("deny", "999", "--agent", "hana")
    assert (
        _run(capsys, "deny", str(asked), "--reason", "r", "--agent", "jordan", "--db", url)[0] == 0
    )
    assert "nothing changed, it was decided before" in refused(
        "approve", str(asked), "--agent", "hana"
    )
    _run(capsys, "agent", "set", "hana", "--active", "no", "--db", url)
    assert "'hana' no longer works here" in refused("deny", str(own), "--agent", "hana")
    assert _status(sqlite_db, own) == "requested"


def test_bad_input_to_a_decision_exits_2(sqlite_db: Database, floor, capsys) -> None:
    alex, _, _ = floor
    asked = _ask(sqlite_db, alex)
    url = sqlite_db.url
    code, out, err = _run(capsys, "approve", str(asked), "--reason", "  ", "--db", url)
    assert (code, out, err) == (2, "", "caredesk: --reason: give a reason for the decision\n")
    code, _, err = _run(
        capsys, "approve", str(asked), "--reason", "r", "--agent", "zoe", "--db", url
    )
    assert code == 2 and "no agent called 'zoe'" in err
    for bad in ("twelve", "0", "-3", "#", "1.5"):
        with pytest.raises(SystemExit) as exit_:
            main(["approve", bad, "--reason", "r", "--db", url])
        assert exit_.value.code == 2
        assert "expected an action's number such as 12" in capsys.readouterr().err
    assert _status(sqlite_db, asked) == "requested"
