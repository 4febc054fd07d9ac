"""The command line: clear messages and exit status 2 for what a user can get wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.migrate import HEAD
from workspace.cli import main

SPEC_LINES = [
    '{"type": "customer", "id": "C-1001", "name": "Dana Whitfield", "tier": "gold", '
    '"since": "2019-04-02"}',
    '{"type": "ticket", "id": "T-1", "customer": "C-1001", "channel": "email", '
    '"subject": "Cracked jug", "opened_at": "2026-11-06T08:40:00Z", "priority": "high", '
    '"status": "open"}',
]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_the_commands(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for command in ("db", "demo", "import", "export", "--agent", "--db"):
        assert command in out


def test_db_upgrade_import_export_and_status(tmp_path: Path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert _run(capsys, "db", "upgrade", "--db", url)[1].startswith("upgraded from empty")
    assert "already at" in _run(capsys, "db", "upgrade", "--db", url)[1]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(SPEC_LINES) + "\n", encoding="utf-8")
    code, out, _ = _run(capsys, "import", str(source), "--db", url)
    assert code == 0 and "1 customers" in out and "1 tickets" in out
    code, out, err = _run(capsys, "export", "--db", url)
    assert code == 0 and out.count("\n") == 2 and "exported 2 records" in err
    assert '"id": "C-1001"' in out
    assert f"schema {HEAD}" in _run(capsys, "db", "status", "--db", url)[1]


def test_a_bad_file_imports_nothing_and_names_each_line(tmp_path: Path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    source = tmp_path / "bad.jsonl"
    source.write_text(SPEC_LINES[0] + "\n{not json\n", encoding="utf-8")
    code, out, err = _run(capsys, "import", str(source), "--db", url)
    assert code == 2 and out == ""
    assert "bad.jsonl:2: not valid JSON" in err and "nothing was changed" in err
    code, out, _ = _run(capsys, "export", "--db", url)
    assert code == 0 and out == ""


def test_demo_only_fills_an_empty_database(tmp_path: Path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    code, out, _ = _run(
        capsys, "demo", "--customers", "5", "--contacts", "4", "--interactions", "20", "--db", url
    )
    assert code == 0 and "5 customers" in out and "20 interactions" in out
    code, _, err = _run(capsys, "demo", "--db", url)
    assert code == 2 and "already has data" in err


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://nobody@127.0.0.1/x", "'mysql' is not supported"),
        ("not a url", "cannot use the database"),
        ("postgresql://nobody@127.0.0.1:1/none", "Connection refused"),
        ("sqlite:///:memory:", "needs a file"),
    ],
)
def test_unusable_databases_are_one_clear_line(capsys, url: str, expected: str) -> None:
    code, _, err = _run(capsys, "db", "status", "--db", url)
    assert code == 2
    assert err.startswith("caredesk: ") and expected in err and "Traceback" not in err


def test_bad_settings_name_the_variable(monkeypatch, capsys) -> None:
    monkeypatch.setenv("CAREDESK_KEYMAP", "not json")
    code, _, err = _run(capsys, "db", "status", "--db", "sqlite:///unused.db")
    assert code == 2 and err.startswith("caredesk: CAREDESK_KEYMAP")


def test_export_to_a_missing_folder_is_one_line_and_leaves_nothing(tmp_path: Path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert _run(capsys, "db", "upgrade", "--db", url)[0] == 0
    code, _, err = _run(capsys, "export", "--db", url, "-o", str(tmp_path / "no" / "x.jsonl"))
    assert code == 2 and err.startswith("caredesk: No such file or directory")
    assert not (tmp_path / "no").exists()


def test_export_into_a_closed_pipe_stops_quietly(tmp_path: Path) -> None:
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'c.db'}"
    main(["demo", "--db", url])  # megabytes of JSON: far more than a pipe buffers
    reader = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.readline()"], stdin=subprocess.PIPE
    )
    writer = subprocess.run(
        [sys.executable, "-m", "workspace.cli", "export", "--db", url],
        stdout=reader.stdin,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
    )
    reader.wait(timeout=10)
    assert "Traceback" not in writer.stderr
    assert writer.returncode == 141


def test_a_newer_database_schema_is_refused_by_name(tmp_path: Path, capsys) -> None:
    from sqlalchemy import text

    from storage.engine import make_database

    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert _run(capsys, "db", "upgrade", "--db", url)[0] == 0
    db = make_database(url)
    with db.write.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    db.dispose()
    code, _, err = _run(capsys, "db", "upgrade", "--db", url)
    assert code == 2
    assert "schema 0099 is newer than this CareDesk knows" in err and "Traceback" not in err
