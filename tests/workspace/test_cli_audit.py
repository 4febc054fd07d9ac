"""`caredesk audit checkpoint` and `caredesk audit verify --checkpoint`: outcomes on real
databases, with the log tampered with by hand as someone with database access would."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.audit import append_audit, entry_hash
from storage.engine import Database
from storage.models import AuditEntry
from storage.uow import read_session, unit_of_work
from workspace.audit_check import audit_key, load_checkpoint
from workspace.cli import main

START = datetime(2026, 11, 20, 14, 3, 11, 123456, tzinfo=UTC)
HASH = "a" * 64


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _append(db: Database, n: int, *, actor: str = "alex") -> list[int]:
    """`n` entries a minute apart, after those already there; their ids in order."""
    with read_session(db) as s:
        already = s.execute(text("SELECT count(*) FROM audit_entry")).scalar_one()
    ids = []
    with unit_of_work(db) as s:
        for i in range(already, already + n):
            entry_id = append_audit(
                s,
                at=START + timedelta(minutes=i),
                actor=actor,
                action="claim",
                entity="ticket",
                entity_id=f"T-{i + 1}",
                after={"holder": actor},
            )
            ids.append(entry_id)
    return ids


def _sql(db: Database, statement: str, **params: object) -> None:
    """Tamper with the log by hand; on PostgreSQL as a superuser who first switched off the
    triggers that keep it append-only (what its hash chain is there to catch)."""
    with unit_of_work(db) as s:
        if not db.is_sqlite:
            s.execute(text("SET LOCAL session_replication_role = replica"))
        s.execute(text(statement), params)


def _hash(db: Database, entry_id: int) -> str:
    with read_session(db) as s:
        digest = s.execute(
            text("SELECT hash FROM audit_entry WHERE id = :id"), {"id": entry_id}
        ).scalar_one()
    assert isinstance(digest, str)
    return digest


def _checkpoint(capsys: pytest.CaptureFixture[str], db: Database, path: Path) -> None:
    code, out, err = _run(capsys, "audit", "checkpoint", "--db", db.url, "-o", str(path))
    assert (code, out) == (0, ""), err
    assert err.startswith("audit checkpoint: ")


def _verify(capsys: pytest.CaptureFixture[str], db: Database, *extra: str) -> tuple[int, str, str]:
    return _run(capsys, "audit", "verify", "--db", db.url, *extra)


def test_a_checkpoint_records_the_head_of_the_log(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _append(db, 3)
    path = tmp_path / "cp.json"
    _checkpoint(capsys, db, path)
    written = json.loads(path.read_text(encoding="utf-8"))
    signature = written.pop("signature")
    assert written == {
        "entries": 3,
        "head_id": ids[2],
        "head_hash": _hash(db, ids[2]),
        "at": "2026-11-20T14:05:11.123456Z",
    }
    # Signed with the audit key, over the four fields.
    key = audit_key(db)
    assert signature == key.sign(load_checkpoint(path).signed_text())
    assert not list(tmp_path.glob(".*partial"))


def test_a_checkpoint_goes_to_standard_output_without_a_file(
    sqlite_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _append(sqlite_db, 1)
    code, out, err = _run(capsys, "audit", "checkpoint", "--db", sqlite_db.url)
    assert code == 0
    assert json.loads(out)["head_id"] == ids[0]
    assert (
        err
        == f"audit checkpoint: 1 entry up to #{ids[0]} (hash {_hash(sqlite_db, ids[0])[:12]}…)\n"
    )


def test_the_checkpoint_still_holds_after_more_entries(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _append(db, 3)
    path = tmp_path / "cp.json"
    _checkpoint(capsys, db, path)
    _append(db, 2)
    code, out, err = _verify(capsys, db, "--checkpoint", str(path))
    assert (code, err) == (0, "")
    assert out == (
        "audit log intact: 5 entries checked\n"
        f"the checkpoint {path} (taken at 2026-11-20 14:05:11 UTC) holds: entry #{ids[2]} "
        f"still has hash {_hash(db, ids[2])[:12]}… with at least 3 entries up to it\n"
    )


def test_entries_deleted_from_the_end_are_found_only_with_the_checkpoint(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _append(db, 5)
    path = tmp_path / "cp.json"
    _checkpoint(capsys, db, path)
    head_hash = _hash(db, ids[4])
    _sql(db, "DELETE FROM audit_entry WHERE id IN (:a, :b)", a=ids[3], b=ids[4])

    # Why the checkpoint exists: what remains of the chain still chains.
    assert _verify(capsys, db) == (0, "audit log intact: 3 entries checked\n", "")

    code, out, err = _verify(capsys, db, "--checkpoint", str(path))
    assert (code, out) == (1, "")
    assert err == (
        f"audit log broken: entries after #{ids[2]} are missing or were replaced: "
        f"the checkpoint {path} (taken at 2026-11-20 14:07:11 UTC) recorded #{ids[4]} "
        f"with hash {head_hash[:12]}…, which is gone\n"
    )


def test_a_tail_replaced_with_a_recomputed_chain_is_found(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _append(db, 4)
    path = tmp_path / "cp.json"
    _checkpoint(capsys, db, path)
    with read_session(db) as s:
        last = s.get(AuditEntry, ids[3])
        assert last is not None
        s.expunge(last)
    forged_after = '{"holder": "mallory"}'
    forged = entry_hash(
        last.prev_hash,
        last.at,
        last.actor,
        last.action,
        last.entity,
        last.entity_id,
        last.before,
        forged_after,
    )
    _sql(
        db,
        'UPDATE audit_entry SET "after" = :after, hash = :hash WHERE id = :id',
        after=forged_after,
        hash=forged,
        id=ids[3],
    )
    assert _verify(capsys, db)[0] == 0

    code, out, err = _verify(capsys, db, "--checkpoint", str(path))
    assert (code, out) == (1, "")
    assert f"recorded #{ids[3]} with hash {last.hash[:12]}…, which is gone" in err
    assert f"(#{ids[3]} now has hash {forged[:12]}…)" in err


def test_a_tail_deleted_and_written_again_through_the_chain_is_found(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _append(db, 4)
    path = tmp_path / "cp.json"
    _checkpoint(capsys, db, path)
    head_hash = _hash(db, ids[3])
    _sql(db, "DELETE FROM audit_entry WHERE id >= :id", id=ids[2])
    _append(db, 3, actor="mallory")
    assert _verify(capsys, db) == (0, "audit log intact: 5 entries checked\n", "")

    code, out, err = _verify(capsys, db, "--checkpoint", str(path))
    assert (code, out) == (1, "")
    # PostgreSQL numbers the new entries on; SQLite reuses the deleted ids for them.
    assert err.startswith(
        f"audit log broken: entries after #{ids[1]} are missing or were replaced: "
        if db.url.startswith("postgresql")
        else f"audit log broken: entry #{ids[3]} was replaced, perhaps with entries before it: "
    )
    assert f"recorded #{ids[3]} with hash {head_hash[:12]}…, which is gone" in err


def test_a_broken_chain_and_a_lost_head_are_both_reported(
    sqlite_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _append(sqlite_db, 4)
    path = tmp_path / "cp.json"
    _checkpoint(capsys, sqlite_db, path)
    _sql(sqlite_db, "DELETE FROM audit_entry WHERE id = :id", id=ids[3])
    _sql(sqlite_db, "UPDATE audit_entry SET actor = 'mallory' WHERE id = :id", id=ids[1])
    code, out, err = _verify(capsys, sqlite_db, "--checkpoint", str(path))
    assert (code, out) == (1, "")
    first, second = err.splitlines()
    assert first.startswith(f"audit log broken at entry #{ids[1]}")
    assert second.startswith(f"audit log broken: entries after #{ids[2]} are missing")


def test_a_broken_log_is_not_checkpointed(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _append(db, 3)
    _sql(db, "UPDATE audit_entry SET actor = 'mallory' WHERE id = :id", id=ids[1])
    path = tmp_path / "cp.json"
    code, out, err = _run(capsys, "audit", "checkpoint", "--db", db.url, "-o", str(path))
    assert (code, out) == (1, "")
    assert err.startswith(f"audit log broken at entry #{ids[1]}")
    assert err.endswith("; no checkpoint was written\n")
    assert not path.exists()
    assert not list(tmp_path.glob(".*partial"))


def test_an_empty_log_is_not_checkpointed(
    sqlite_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "audit", "checkpoint", "--db", sqlite_db.url)
    assert (code, out) == (2, "")
    assert err == "caredesk: the audit log is empty: there is no head to checkpoint yet\n"


def _good() -> dict[str, object]:
    return {"entries": 3, "head_id": 3, "head_hash": HASH, "at": "2026-11-20T14:05:11Z"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", "line 1, column 1: not JSON: Expecting value"),
        ("[1, 2]", "expected one JSON object with entries, head_id, head_hash, at"),
        ({**_good(), "head_hash": "1a2b"}, 'head_hash: expected 64 hex characters, got "1a2b"'),
        ({**_good(), "head_hash": "g" * 64}, "head_hash: expected 64 hex characters"),
        ({**_good(), "head_hash": 7}, "head_hash: expected 64 hex characters, got 7"),
        ({**_good(), "entries": "3"}, 'entries: expected a whole number from 1, got "3"'),
        ({**_good(), "entries": True}, "entries: expected a whole number from 1, got true"),
        ({**_good(), "entries": 2.5}, "entries: expected a whole number from 1, got 2.5"),
        ({**_good(), "head_id": 0}, "head_id: expected a whole number from 1, got 0"),
        ({**_good(), "head_id": 2**63}, "head_id: expected a whole number from 1"),
        ({**_good(), "at": "yesterday"}, "at: expected an ISO 8601 time with its zone"),
        ({**_good(), "at": "2026-11-20T14:05:11"}, "(no zone)"),
        ({k: v for k, v in _good().items() if k != "head_hash"}, "head_hash: missing"),
        ({**_good(), "note": "hi"}, '"note": not a checkpoint field'),
        ('{"entries": NaN, "head_id": 3}', "NaN is not a number"),
        ('{"entries": 3, "entries": 4}', '"entries" appears twice'),
        ('{"entries": 1' + "0" * 5000 + "}", "not a checkpoint: "),
        ("x" * (64 * 1024 + 1), "over 64 KB, not a checkpoint"),
    ],
)
def test_a_malformed_checkpoint_is_refused_naming_the_file_and_field(
    sqlite_db: Database,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    body: str | dict[str, object],
    expected: str,
) -> None:
    path = tmp_path / "cp.json"
    path.write_text(body if isinstance(body, str) else json.dumps(body), encoding="utf-8")
    code, out, err = _verify(capsys, sqlite_db, "--checkpoint", str(path))
    assert (code, out) == (2, "")
    assert err.startswith(f"caredesk: {path}: ")
    assert expected in err
    assert len(err.splitlines()) == 1


def test_a_missing_checkpoint_file_is_refused(
    sqlite_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "nowhere.json"
    code, out, err = _verify(capsys, sqlite_db, "--checkpoint", str(path))
    assert (code, out) == (2, "")
    assert err == f"caredesk: {path}: cannot read the checkpoint: No such file or directory\n"


def test_hostile_text_in_a_checkpoint_reaches_the_terminal_inert(
    sqlite_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cp.json"
    hostile = "\x1b]52;c;cm0gLXJmIH4=\x07\u202egnp.exe\x9b"
    for body in ({**_good(), hostile: 1}, {**_good(), "head_hash": hostile}):
        path.write_text(json.dumps(body), encoding="utf-8")
        code, _, err = _verify(capsys, sqlite_db, "--checkpoint", str(path))
        assert code == 2
        assert "<U+202E>" in err and "<U+009B>" in err
        assert not any(ch in err for ch in "\x1b\x07\u202e\x9b")


def test_invalid_utf8_in_a_checkpoint_is_refused(
    sqlite_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cp.json"
    path.write_bytes(b'{"entries": "\xff"}')
    code, _, err = _verify(capsys, sqlite_db, "--checkpoint", str(path))
    assert (code, err) == (2, f"caredesk: {path}: not UTF-8 text, not a checkpoint\n")


def test_the_help_says_to_keep_checkpoints_outside_the_database(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["audit", "checkpoint", "--help"])
    assert exit_.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "keep it outside the database" in out and "another host" in out
    with pytest.raises(SystemExit):
        main(["audit", "verify", "--help"])
    assert "--checkpoint FILE" in capsys.readouterr().out
