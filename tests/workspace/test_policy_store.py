"""The team's policy is installed in the database: every machine decides by it, and a local
file that says something else is refused, so nobody loosens their own limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.engine import Database
from storage.models import Action, AuditEntry
from storage.uow import read_session
from tests.factories import NOW
from tests.workspace.test_cli_actions import STRICT_POLICY, _act, _run, _shop, _write
from workspace.policy import fingerprint
from workspace.policy_file import DEFAULT_POLICY, load_policy
from workspace.policy_store import PolicyConflict, effective_policy, install, installed

LOOSE_POLICY = STRICT_POLICY.replace("amount: 10.00", "amount: 90.00")


def test_without_an_installed_policy_the_local_one_decides(sqlite_db: Database, tmp_path) -> None:
    strict = load_policy(_write(tmp_path, STRICT_POLICY))
    assert installed(sqlite_db) is None
    assert effective_policy(sqlite_db, strict) is strict
    assert fingerprint(effective_policy(sqlite_db, None)) == fingerprint(
        load_policy(DEFAULT_POLICY)
    )


def test_the_installed_policy_decides_and_a_different_local_one_is_refused(
    db: Database, tmp_path: Path
) -> None:
    path = _write(tmp_path, STRICT_POLICY)
    policy, mark = install(db, path, by="jordan", at=NOW)
    assert mark == fingerprint(policy)
    assert fingerprint(effective_policy(db, None)) == mark
    same = load_policy(_write(tmp_path, STRICT_POLICY + "# a comment changes nothing\n", "b.yaml"))
    assert fingerprint(effective_policy(db, same)) == mark
    loose = load_policy(_write(tmp_path, LOOSE_POLICY, "loose.yaml"))
    with pytest.raises(PolicyConflict, match=f"fingerprint {mark}, by jordan"):
        effective_policy(db, loose)
    with read_session(db) as s:
        (entry,) = s.execute(select(AuditEntry.action, AuditEntry.actor, AuditEntry.after)).all()
    assert (entry[0], entry[1]) == ("policy.install", "jordan")
    assert json.loads(entry[2] or "{}") == {"fingerprint": mark, "source": "policy.yaml"}


def test_act_decides_by_the_installed_policy_on_every_machine(
    sqlite_db: Database, tmp_path: Path, capsys
) -> None:
    url = _shop(sqlite_db)
    code, out, _ = _run(
        capsys, "policy", "install", str(_write(tmp_path, STRICT_POLICY)), "--db", url
    )
    assert code == 0 and "installed as the team's policy" in out
    # No local file: the installed (strict) one decides, not the default.
    code, out, _ = _run(capsys, *_act(url, "--action", "discount", "--amount", "20", "--json"))
    assert code == 3 and json.loads(out)["rule"] == "actions.discount.limit.amount"
    # A looser local file is refused whole; nothing is stored.
    loose = _write(tmp_path, LOOSE_POLICY, "loose.yaml")
    argv = _act(url, "--action", "discount", "--amount", "20", "--policy", str(loose))
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == "" and "is refused" in err and "policy install" in err
    with read_session(sqlite_db) as s:
        hashes = s.execute(select(Action.policy_hash)).scalars().all()
    assert hashes == [fingerprint(load_policy(tmp_path / "policy.yaml"))]
    code, out, _ = _run(capsys, "policy", "show", "--db", url)
    assert code == 0 and "installed in the database from policy.yaml" in out


def test_a_bad_file_is_never_installed(sqlite_db: Database, tmp_path: Path, capsys) -> None:
    url = _shop(sqlite_db)
    bad = _write(tmp_path, "version: 1\ncurrency: USD\nactions: {discount: {limit: 5}}\n")
    code, _, err = _run(capsys, "policy", "install", str(bad), "--db", url)
    assert code == 2 and "actions.discount.limit" in err
    assert installed(sqlite_db) is None
