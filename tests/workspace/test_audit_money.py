"""The money is under the audit chain: `caredesk audit verify` names an amount or a status
changed in SQL, an emptied log and a forged entry; the audit key comes from the settings."""

from __future__ import annotations

import json
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session

from storage.engine import Database
from storage.uow import unit_of_work
from tests.factories import NOW, add_agents, add_customer, add_order
from workspace.action_view import ActionRequest
from workspace.audit_check import (
    audit_key,
    checkpoint,
    load_checkpoint,
    verify_against,
    verify_in,
)
from workspace.audit_seal import key_for
from workspace.cli import main
from workspace.errors import CareDeskError
from workspace.policy_file import default_policy
from workspace.workbench import Workbench


def _shop(db: Database) -> Workbench:
    (alex,) = add_agents(db, "alex")
    add_customer(db, "C-1", "Dana Whitfield", "standard")
    add_order(
        db, "W1", placed=NOW - timedelta(days=10), delivered=NOW - timedelta(days=5), price="200.00"
    )
    return Workbench.open(db, alex, default_policy(), clock=lambda: NOW)


def _discount(amount: str) -> ActionRequest:
    return ActionRequest(
        kind="discount", customer_id="C-1", order_id="W1", amount=amount, reason="late parcel"
    )


def _sql(db: Database, statement: str, **params: object) -> None:
    """As someone with the database in hand: on PostgreSQL a superuser who switched the
    append-only triggers off."""
    with unit_of_work(db) as s:
        if not db.is_sqlite:
            s.execute(text("SET LOCAL session_replication_role = replica"))
        s.execute(text(statement), params)


def _verify(capsys: pytest.CaptureFixture[str], db: Database, *extra: str) -> tuple[int, str]:
    code = main(["audit", "verify", "--db", db.url, *extra])
    out, err = capsys.readouterr()
    return code, out + err


def test_an_amount_multiplied_in_sql_is_named(db: Database, capsys) -> None:
    bench = _shop(db)
    action = bench.actions.take(_discount("20")).record.id
    assert _verify(capsys, db)[0] == 0
    _sql(db, "UPDATE action SET amount = amount * 100 WHERE id = :id", id=action)
    code, said = _verify(capsys, db)
    assert code == 1
    assert f'audit log does not cover action #{action}: its amount is "2000.00"' in said
    assert 'says "20.00"' in said and len(said.strip().splitlines()) == 1


def test_a_status_set_outside_caredesk_is_named(db: Database, capsys) -> None:
    bench = _shop(db)
    waiting = bench.actions.take(_discount("30")).record
    assert waiting.status == "requested"
    _sql(db, "UPDATE action SET status = 'executed' WHERE id = :id", id=waiting.id)
    code, said = _verify(capsys, db)
    assert code == 1 and f'action #{waiting.id}: its status is "executed"' in said


def test_an_emptied_log_fails_and_names_the_first_action(db: Database, capsys) -> None:
    bench = _shop(db)
    first = bench.actions.take(_discount("20")).record.id
    bench.actions.take(_discount("5"))
    _sql(db, "DELETE FROM audit_entry")
    code, said = _verify(capsys, db)
    assert code == 1
    assert f"audit log does not cover action #{first}: no audit entry records it" in said


def test_a_forged_chained_entry_is_named_by_its_seal(sqlite_db: Database, capsys) -> None:
    from storage.audit import append_audit

    bench = _shop(sqlite_db)
    action = bench.actions.take(_discount("20")).record.id
    with unit_of_work(sqlite_db) as s:  # chained as CareDesk chains, but without the key
        forged = append_audit(
            s,
            at=NOW,
            actor="jordan",
            action="action.approve",
            entity="action",
            entity_id=str(action),
            after={"status": "approved"},
        )
    code, said = _verify(capsys, sqlite_db)
    assert code == 1
    assert f"audit log broken at entry #{forged}" in said and "it is not sealed" in said


def test_another_key_is_named_by_its_id(sqlite_db: Database, capsys, monkeypatch) -> None:
    bench = _shop(sqlite_db)
    bench.actions.take(_discount("20"))
    wrote = audit_key(sqlite_db).id
    monkeypatch.setenv("CAREDESK_AUDIT_KEY", "another-team-key-entirely")
    code, said = _verify(capsys, sqlite_db)
    assert code == 1 and f"sealed with audit key '{wrote}', not with this one" in said


def test_a_checkpoint_is_signed_and_a_changed_one_refused(
    sqlite_db: Database, tmp_path: Path, capsys
) -> None:
    bench = _shop(sqlite_db)
    bench.actions.take(_discount("20"))
    path = tmp_path / "cp.json"
    path.write_text(checkpoint(sqlite_db).to_json(), encoding="utf-8")
    assert verify_against(sqlite_db, load_checkpoint(path)) is None
    body = json.loads(path.read_text(encoding="utf-8"))
    body["entries"] -= 1  # a forger who makes an old checkpoint fit a shortened log
    path.write_text(json.dumps(body), encoding="utf-8")
    assert "was not signed with this audit key" in (
        verify_against(sqlite_db, load_checkpoint(path)) or ""
    )
    del body["signature"]
    path.write_text(json.dumps(body), encoding="utf-8")
    code, said = _verify(capsys, sqlite_db, "--checkpoint", str(path))
    assert code == 1 and "is not signed: anyone could have written it" in said


def test_the_default_key_is_made_beside_the_database_for_its_owner(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CAREDESK_AUDIT_KEY")
    key = key_for(sqlite_db.write)
    file = Path(f"{sqlite_db.write.url.database}.key")
    assert file.exists() and stat.S_IMODE(file.stat().st_mode) == 0o600
    assert key.source == str(file) and len(file.read_text().strip()) == 64
    assert key_for(sqlite_db.write) is key  # read once


def test_the_key_comes_from_the_config_file(sqlite_db: Database, tmp_path: Path, monkeypatch):
    monkeypatch.delenv("CAREDESK_AUDIT_KEY")
    config = tmp_path / "config.toml"
    config.write_text('audit_key = "a-key-from-the-config-file"\n', encoding="utf-8")
    monkeypatch.setenv("CAREDESK_CONFIG", str(config))
    from_file = key_for(sqlite_db.write)
    monkeypatch.setenv("CAREDESK_AUDIT_KEY", "a-key-from-the-config-file")
    assert key_for(sqlite_db.write) == from_file
    assert str(config) in from_file.source
    assert "a-key-from" not in repr(from_file)


def test_a_short_key_is_refused_naming_where_it_came_from(sqlite_db: Database, monkeypatch):
    monkeypatch.setenv("CAREDESK_AUDIT_KEY", "short")
    with pytest.raises(
        CareDeskError, match="CAREDESK_AUDIT_KEY: the audit key must be at least 16"
    ):
        key_for(sqlite_db.write)


def test_the_issue_probe_all_changes_pass_no_more(sqlite_db: Database, capsys) -> None:
    """The probes that found the money outside the chain, run again: none passes."""
    bench = _shop(sqlite_db)
    ids = [bench.actions.take(_discount(a)).record.id for a in ("20", "5", "30")]
    probes = [
        ("UPDATE action SET amount = amount * 100 WHERE id = :id", {"id": ids[0]}),
        ("UPDATE action SET status = 'executed' WHERE id = :id", {"id": ids[2]}),
        ("DELETE FROM audit_entry", {}),
        (
            "DELETE FROM audit_entry WHERE entity = 'action' AND entity_id = :id",
            {"id": str(ids[1])},
        ),
    ]
    key = audit_key(sqlite_db)
    for statement, params in probes:
        with Session(sqlite_db.write) as s:
            s.execute(text(statement), params)
            assert not verify_in(s, key).ok, statement
            s.rollback()
    with Session(sqlite_db.write) as s:
        assert verify_in(s, key).ok  # each probe was undone: the log holds again


def test_the_plain_log_leaves_the_recorded_state_to_json(sqlite_db: Database, capsys) -> None:
    bench = _shop(sqlite_db)
    bench.actions.take(_discount("20"))
    assert main(["audit", "log", "--db", sqlite_db.url]) == 0
    plain = capsys.readouterr().out
    assert "action execute" in plain and "status: approved → executed" in plain
    assert "state:" not in plain
    assert main(["audit", "log", "--db", sqlite_db.url, "--json"]) == 0
    last = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert last["after"]["state"]["action"]["amount"] == "20.00" and last["seal"]


def test_no_key_is_made_for_a_log_sealed_with_another(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CAREDESK_AUDIT_KEY")
    # A copy of a sealed database without its key file: a key made now could only seal
    # entries nobody can verify, so the workspace and the deliverer are told what to set.
    import sqlite3

    from storage.engine import make_database

    _shop(sqlite_db).actions.take(_discount("20"))
    wrote = audit_key(sqlite_db).id
    source = Path(str(sqlite_db.write.url.database))
    copy = tmp_path / "moved" / "caredesk.db"
    copy.parent.mkdir()
    with sqlite3.connect(source) as here, sqlite3.connect(copy) as there:
        here.backup(there)  # the entries may still be in the write-ahead log
    moved = make_database(f"sqlite:///{copy}")
    try:
        with pytest.raises(CareDeskError, match=f"sealed with key {wrote}, and no audit key"):
            key_for(moved.write)
        assert not Path(f"{copy}.key").exists()
    finally:
        moved.dispose()
