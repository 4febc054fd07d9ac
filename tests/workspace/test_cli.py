"""The command line: the commands and the options each offers, read from the parser itself;
clear messages and exit status 2 for what a user can get wrong."""

from __future__ import annotations

import argparse
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
from sqlalchemy import select

from storage.migrate import HEAD
from storage.models import AuditEntry
from storage.uow import read_session
from workspace.cli import (
    act,
    agent,
    audit,
    build_parser,
    completion,
    config,
    contact,
    db,
    decide,
    demo,
    desk,
    export,
    importing,
    main,
    monitor,
    policy,
    report,
)
from workspace.policy_file import DEFAULT_POLICY

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


SHARED = {"--db", "--policy", "--agent"}
"""The options commands share; each offers those its run reads from the settings."""

OFFERS = {
    (): {"--db", "--policy", "--agent"},
    ("db",): {"--db"},
    ("demo",): {"--db"},
    ("agent",): set(),
    ("agent", "add"): {"--db"},
    ("agent", "list"): {"--db"},
    ("agent", "set"): {"--db"},
    ("import",): {"--db", "--policy", "--agent"},
    ("export",): {"--db"},
    ("policy",): set(),
    ("policy", "check"): set(),
    ("policy", "show"): {"--db", "--policy"},
    ("policy", "install"): {"--db", "--agent"},
    ("config",): set(),
    ("config", "check"): set(),
    ("config", "show"): {"--db"},
    ("config", "install"): {"--db", "--agent"},
    ("act",): {"--db", "--policy", "--agent"},
    ("approve",): {"--db", "--agent"},
    ("deny",): {"--db", "--agent"},
    ("contact",): set(),
    ("contact", "release"): {"--db", "--agent"},
    ("contact", "assign"): {"--db", "--agent"},
    ("deliver",): {"--db"},
    ("monitor",): {"--db", "--policy"},
    ("audit",): set(),
    ("audit", "verify"): {"--db"},
    ("audit", "checkpoint"): {"--db"},
    ("audit", "adopt"): {"--db", "--agent"},
    ("audit", "log"): {"--db", "--agent"},
    ("report",): {"--db", "--policy"},
    ("replay",): {"--db"},  # to refuse it with a reason: a replay never opens the team's
    ("scenario",): set(),
    ("scenario", "check"): set(),
    ("scenario", "list"): set(),
    ("scenario", "export"): {"--db"},
    ("completion",): set(),
}
"""Every parser of the command line, by the words that reach it, with the shared options it
offers."""

RUNS = [
    (["db", "status"], db),
    (["demo"], demo),
    (["agent", "add", "hana", "--name", "Hana", "--role", "supervisor"], agent),
    (["agent", "list"], agent),
    (["agent", "set", "hana", "--active", "no"], agent),
    (["import", "f.jsonl"], importing),
    (["export"], export),
    (["policy", "check", "p.yaml"], policy),
    (["policy", "show"], policy),
    (["policy", "install", "p.yaml"], policy),
    (["config", "check", "c.yaml"], config),
    (["config", "show"], config),
    (["config", "install", "c.yaml"], config),
    (["act", "--customer", "C-1", "--action", "discount", "--reason", "r"], act),
    (["approve", "12", "--reason", "r"], decide),
    (["deny", "#12", "--reason", "r"], decide),
    (["contact", "release", "T-1"], contact),
    (["contact", "assign", "T-1", "sam"], contact),
    (["monitor"], monitor),
    (["audit", "verify"], audit),
    (["audit", "checkpoint"], audit),
    (["audit", "adopt"], audit),
    (["audit", "log"], audit),
    (["report"], report),
    (["completion", "bash"], completion),
]
"""The least each command's line needs, and the module that runs it."""


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The parsers of `parser`'s commands by name; none when it takes no command."""
    found = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(found[0].choices) if found else {}


def _parser(*words: str) -> argparse.ArgumentParser:
    parser = build_parser()
    for word in words:
        parser = _commands(parser)[word]
    return parser


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions for option in action.option_strings}


def test_the_commands_are_exactly_these() -> None:
    assert list(_commands(_parser())) == [
        "db",
        "demo",
        "agent",
        "import",
        "export",
        "policy",
        "config",
        "act",
        "approve",
        "deny",
        "contact",
        "deliver",
        "monitor",
        "audit",
        "report",
        "replay",
        "scenario",
        "completion",
    ]
    assert set(_commands(_parser("policy"))) == {"check", "show", "install"}
    assert set(_commands(_parser("audit"))) == {"verify", "checkpoint", "adopt", "log"}
    assert set(_commands(_parser("agent"))) == {"add", "list", "set"}
    assert {words for words in OFFERS if words} == {
        (*above, name) for above in OFFERS for name in _commands(_parser(*above))
    }


@pytest.mark.parametrize("words", list(OFFERS), ids=lambda words: " ".join(words) or "caredesk")
def test_each_parser_offers_only_the_shared_options_it_uses(words: tuple[str, ...]) -> None:
    assert _options(_parser(*words)) & SHARED == OFFERS[words]


@pytest.mark.parametrize("argv", [["db", "status"], ["demo"], ["export"], ["audit", "verify"]])
def test_a_command_without_a_policy_refuses_one(argv: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--policy", str(DEFAULT_POLICY)])
    assert exit_.value.code == 2
    assert "unrecognized arguments: --policy" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "module"), RUNS, ids=[" ".join(argv[:2]) for argv, _ in RUNS])
def test_each_command_runs_its_own_module(argv: list[str], module: ModuleType) -> None:
    assert build_parser().parse_args(argv).run is module.run


def test_no_command_is_the_workspace(monkeypatch) -> None:
    opened: list[str | None] = []

    class Launch:
        """Stands in for the workspace's launch: records who it opens for."""

        def __init__(self, *args: object, agent: str | None, **kwargs: object) -> None:
            opened.append(agent)

    class App:
        """Stands in for the workspace's App: shows nothing."""

        def __init__(self, launch: Launch, **kwargs: object) -> None:
            self.return_code = 0

        def run(self) -> None:
            pass

    fake = SimpleNamespace(CareDeskApp=App, AgentLaunch=Launch)
    monkeypatch.setitem(sys.modules, "workspace.app", fake)
    monkeypatch.setattr(desk, "on_terminal", lambda: True)
    assert main(["--agent", "sam", "--no-demo"]) == 0
    assert opened == ["sam"]


def test_without_a_terminal_the_workspace_says_it_needs_one(capsys) -> None:
    # Under pytest neither standard input nor output is a terminal, as in a pipe or cron.
    code, out, err = _run(capsys, "--no-demo")
    assert (code, out) == (2, "")
    assert err == f"caredesk: {desk.NEEDS_TERMINAL}\n"


def test_completion_scripts_come_from_the_parser(tmp_path: Path, capsys) -> None:
    code, script, err = _run(capsys, "completion", "bash")
    assert (code, err) == (0, "")
    for word in ("import", "export", "approve", "completion", "--no-demo"):
        assert word in script
    path = tmp_path / "caredesk.bash"
    path.write_text(script)
    done = subprocess.run(
        ["bash", "-c", f"source {path} && complete -p caredesk"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith(" caredesk")
    for shell in ("zsh", "tcsh"):
        code, script, _ = _run(capsys, "completion", shell)
        assert code == 0 and "import" in script


def test_version_prints_the_installed_version(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"caredesk {version('caredesk')}\n"


@pytest.mark.parametrize("words", list(OFFERS), ids=lambda words: " ".join(words) or "caredesk")
def test_each_command_explains_itself(words: tuple[str, ...], capsys) -> None:
    description = _parser(*words).description
    assert description
    with pytest.raises(SystemExit) as exit_:
        main([*words, "--help"])
    assert exit_.value.code == 0
    assert " ".join(description.split()) in " ".join(capsys.readouterr().out.split())


def test_help_imports_nothing_heavy() -> None:
    """`caredesk --help` answers at once: no database, settings or Textual stack loads."""
    heavy = ("sqlalchemy", "sqlmodel", "alembic", "psycopg", "pydantic", "pydantic_settings")
    heavy += ("platformdirs", "yaml", "textual", "rich", "httpx", "importlib.metadata")
    helps = [[*words, "--help"] for words in OFFERS]
    script = (
        "import contextlib, io, sys\n"
        "from workspace.cli import main\n"
        f"for argv in {helps!r}:\n"
        "    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "        main(argv)\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_policy_install_names_the_installer_in_the_audit_log(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    monkeypatch.setenv("CAREDESK_AGENT", "riley")
    assert _run(capsys, "policy", "install", str(DEFAULT_POLICY), "--db", url)[0] == 0
    argv = ("policy", "install", str(DEFAULT_POLICY), "--db", url, "--agent", "jordan")
    assert _run(capsys, *argv)[0] == 0
    assert _run(capsys, "--agent", "sam", *argv[:-2])[0] == 0
    from storage.engine import make_database

    database = make_database(url)
    try:
        with read_session(database) as s:
            actors = s.execute(select(AuditEntry.actor).order_by(AuditEntry.id)).scalars().all()
    finally:
        database.dispose()
    assert actors == ["riley", "jordan", "sam"]


def test_db_upgrade_import_export_and_status(tmp_path: Path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert _run(capsys, "db", "upgrade", "--db", url)[1].startswith("upgraded from empty")
    assert "already at" in _run(capsys, "db", "upgrade", "--db", url)[1]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(SPEC_LINES) + "\n", encoding="utf-8")
    code, out, _ = _run(capsys, "import", str(source), "--db", url)
    assert code == 0 and "1 customer," in out and "1 ticket," in out
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
    assert code == 2
    assert err == f"caredesk: cannot write {tmp_path / 'no' / 'x.jsonl'}: no such folder\n"
    assert not (tmp_path / "no").exists()


def test_export_into_a_closed_pipe_stops_quietly(tmp_path: Path) -> None:
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
