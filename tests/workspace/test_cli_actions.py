"""`caredesk policy`, `caredesk act` and `caredesk audit verify`: outcomes on real databases."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, text

from storage.engine import Database
from storage.models import Action, AuditEntry
from storage.uow import read_session
from tests.factories import add_agents, add_customer, add_order
from workspace.cli import main
from workspace.cli.act import ACTION_CHOICES
from workspace.policy_file import DEFAULT_POLICY
from workspace.vocabulary import ActionKind

BROKEN_POLICY = """\
version: 1
currency: usd
actions:
  discount:
    limit: {amount: lots}
"""

STRICT_POLICY = """\
version: 1
currency: USD
actions:
  discount:
    limit: {amount: 10.00}
    approval: {up_to_amount: 100.00}
"""

JSON_KEYS = {
    "verdict",
    "rule",
    "reason",
    "headroom",
    "action_id",
    "status",
    "amount",
    "currency",
    "repeated",
}


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _shop(db: Database) -> str:
    """A supervisor, a standard customer and a delivered 200.00 order; returns the URL."""
    add_agents(db, "alex", role="supervisor")
    add_customer(db, "C-1", "Dana Whitfield", "standard")
    now = datetime.now(UTC)
    add_order(
        db, "W1", placed=now - timedelta(days=10), delivered=now - timedelta(days=5), price="200.00"
    )
    return db.url


def _act(url: str, *extra: str) -> list[str]:
    return ["act", "--db", url, "--customer", "C-1", "--order", "W1", "--reason", "late", *extra]


def _count(db: Database, column: object) -> int:
    with read_session(db) as s:
        return s.execute(select(func.count(column))).scalar_one()  # type: ignore[call-overload]


def _write(tmp_path: Path, body: str, name: str = "policy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def test_the_action_choices_are_the_policys_actions() -> None:
    assert tuple(ActionKind) == ACTION_CHOICES


# -- policy --------------------------------------------------------------------------------


def test_policy_check_of_the_default_file_prints_its_rules(capsys) -> None:
    code, out, err = _run(capsys, "policy", "check", str(DEFAULT_POLICY))
    assert code == 0 and err == ""
    assert out.startswith("policy version 1, currency USD: 6 actions")
    assert "discount" in out and "alone up to" in out
    assert out.splitlines()[-1] == f"{DEFAULT_POLICY}: valid"


def test_policy_check_of_a_broken_file_lists_every_problem(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path, BROKEN_POLICY)
    code, out, err = _run(capsys, "policy", "check", str(path))
    assert code == 2 and out == ""
    assert err.startswith(f"caredesk: {path}: refused")
    assert "policy.yaml:5: actions.discount.limit.amount:" in err and "'lots'" in err
    assert "currency" in err and "usd" in err


def test_policy_check_of_a_missing_file_is_one_clear_refusal(tmp_path: Path, capsys) -> None:
    code, out, err = _run(capsys, "policy", "check", str(tmp_path / "nope.yaml"))
    assert code == 2 and out == ""
    assert "nope.yaml" in err and "cannot be read" in err and "Traceback" not in err


def test_policy_show_prints_the_policy_in_effect(tmp_path: Path, monkeypatch, capsys) -> None:
    code, out, _ = _run(capsys, "policy", "show")
    assert code == 0 and "25.00 / 20% of order" in out
    assert out.splitlines()[-1].startswith(f"policy in effect: {DEFAULT_POLICY}")

    strict = _write(tmp_path, STRICT_POLICY)
    code, out, _ = _run(capsys, "policy", "show", "--policy", str(strict))
    assert code == 0 and "policy version 1, currency USD: 1 action" in out
    assert out.splitlines()[-1].startswith(f"policy in effect: {strict} (fingerprint ")

    monkeypatch.setenv("CAREDESK_POLICY", str(strict))
    code, out, _ = _run(capsys, "policy", "show")
    assert code == 0 and out.splitlines()[-1].startswith(f"policy in effect: {strict} ")


def test_a_broken_policy_refuses_the_workspace_before_anything_opens(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the workspace opened despite a broken policy")

    # Any path past the policy would build the App: make that fail the test, not start a TUI.
    monkeypatch.setitem(sys.modules, "workspace.app", SimpleNamespace(CareDeskApp=never))
    path = _write(tmp_path, BROKEN_POLICY)
    database = tmp_path / "c.db"
    code, out, err = _run(capsys, "--policy", str(path), "--db", f"sqlite:///{database}")
    assert code == 2 and out == ""
    assert "actions.discount.limit.amount" in err and "currency" in err
    assert not database.exists()


# -- act -----------------------------------------------------------------------------------


def test_act_within_limits_is_executed(db: Database, capsys) -> None:
    url = _shop(db)
    code, out, err = _run(capsys, *_act(url, "--action", "discount", "--amount", "20"))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("allow: ")
    assert lines[0].endswith("(rule actions.discount.limit.amount)")
    assert lines[1] == "action #1: executed"
    assert lines[2] == (
        "headroom before this action: budget 300.00 and 15 grants left this month; "
        "2 grants left for this customer"
    )
    with read_session(db) as s:
        assert s.execute(select(Action.status, Action.amount)).one() == ("executed", 20)
    assert _count(db, AuditEntry.id) == 3


def test_act_above_the_limit_waits_for_approval(sqlite_db: Database, capsys) -> None:
    url = _shop(sqlite_db)
    code, out, _ = _run(capsys, *_act(url, "--action", "discount", "--amount", "60"))
    assert code == 3
    lines = out.splitlines()
    assert lines[0].startswith("needs_approval: discount of 60.00 is above the 25.00")
    assert lines[0].endswith("(rule actions.discount.limit.amount)")
    assert lines[1] == "action #1: waiting for a supervisor's approval"


def test_act_above_the_approval_band_is_denied(sqlite_db: Database, capsys) -> None:
    url = _shop(sqlite_db)
    code, out, _ = _run(capsys, *_act(url, "--action", "discount", "--amount", "150"))
    assert code == 4
    assert out.startswith("deny: ") and "action #1: denied" in out
    with read_session(sqlite_db) as s:
        assert s.execute(select(Action.status)).scalar_one() == "denied"


def test_act_json_is_one_object_with_money_as_strings(sqlite_db: Database, capsys) -> None:
    url = _shop(sqlite_db)
    code, out, _ = _run(capsys, *_act(url, "--action", "discount", "--amount", "60", "--json"))
    assert code == 3
    result = json.loads(out)
    assert set(result) == JSON_KEYS
    assert result["headroom"] == {
        "budget_amount_left": "300.00",
        "budget_count_left": 15,
        "per_customer_left": 2,
    }
    assert (result["verdict"], result["rule"]) == (
        "needs_approval",
        "actions.discount.limit.amount",
    )
    assert (result["status"], result["amount"], result["currency"]) == ("requested", "60.00", "USD")
    assert result["action_id"] == 1 and result["repeated"] is False
    assert "60.00" in result["reason"]


def test_act_under_a_policy_file_uses_it(sqlite_db: Database, tmp_path: Path, capsys) -> None:
    url = _shop(sqlite_db)
    strict = _write(tmp_path, STRICT_POLICY)
    argv = _act(url, "--action", "discount", "--amount", "20", "--policy", str(strict), "--json")
    code, out, _ = _run(capsys, *argv)
    assert code == 3 and json.loads(out)["rule"] == "actions.discount.limit.amount"
    assert json.loads(out)["headroom"] == {
        "budget_amount_left": None,
        "budget_count_left": None,
        "per_customer_left": None,
    }


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ("--action", "discount", "--amount", "abc"),
            "caredesk: --amount: 'abc' is not an amount; expected an amount such as 20 or 19.99",
        ),
        (("--action", "refund"), "caredesk: --amount: type an amount"),
        (("--action", "replacement", "--items", "XX-1"), "caredesk: --items: order W1 has no item"),
        (("--action", "reship", "--amount", "5"), "caredesk: --amount: "),
        (
            ("--action", "discount", "--amount", "5", "--json", "--customer", "C-9"),
            "caredesk: --customer: customer C-9 does not exist",
        ),
    ],
)
def test_act_bad_input_names_the_option_and_stores_nothing(
    sqlite_db: Database, capsys, argv: tuple[str, ...], expected: str
) -> None:
    url = _shop(sqlite_db)
    code, out, err = _run(capsys, *_act(url, *argv))
    assert code == 2 and out == ""
    assert err.startswith(expected) and err.count("\n") == 1
    assert _count(sqlite_db, Action.id) == 0 and _count(sqlite_db, AuditEntry.id) == 0


def test_act_with_the_same_key_twice_acts_once(sqlite_db: Database, capsys) -> None:
    url = _shop(sqlite_db)
    argv = _act(url, "--action", "discount", "--amount", "60", "--json", "--key", "line-7")
    first_code, first, _ = _run(capsys, *argv)
    again_code, again, _ = _run(capsys, *argv)
    assert first_code == again_code == 3
    first_result, again_result = json.loads(first), json.loads(again)
    assert first_result["repeated"] is False and again_result["repeated"] is True
    assert again_result["action_id"] == first_result["action_id"]
    assert _count(sqlite_db, Action.id) == 1

    code, out, _ = _run(capsys, *argv[:-3], "--key", "line-7")
    assert code == 3 and "a repeat of --key line-7: nothing new was done" in out
    assert "headroom now: " in out
    assert _count(sqlite_db, Action.id) == 1


def test_act_refuses_an_overlong_key(sqlite_db: Database, capsys) -> None:
    url = _shop(sqlite_db)
    with pytest.raises(SystemExit) as exit_:
        main(_act(url, "--action", "discount", "--amount", "5", "--key", "k" * 65))
    assert exit_.value.code == 2 and "--key" in capsys.readouterr().err


# -- audit ---------------------------------------------------------------------------------


def test_audit_verify_finds_an_entry_changed_by_hand(sqlite_db: Database, capsys) -> None:
    url = _shop(sqlite_db)
    assert _run(capsys, *_act(url, "--action", "discount", "--amount", "20"))[0] == 0
    code, out, err = _run(capsys, "audit", "verify", "--db", url)
    assert (code, err) == (0, "") and out == (
        "audit log intact: 3 entries checked, covering 1 action or follow-up as it stands\n"
    )

    with sqlite_db.write.begin() as conn:
        conn.execute(text("UPDATE audit_entry SET actor = 'mallory' WHERE id = 2"))
    code, out, err = _run(capsys, "audit", "verify", "--db", url)
    assert code == 1 and out == ""
    assert err.startswith("audit log broken at entry #2") and "mallory" in err


def test_audit_verify_of_a_database_without_schema_is_refused(tmp_path: Path, capsys) -> None:
    tmp_path.joinpath("empty.db").touch()
    code, _, err = _run(capsys, "audit", "verify", "--db", f"sqlite:///{tmp_path / 'empty.db'}")
    assert code == 2 and "no CareDesk schema" in err
