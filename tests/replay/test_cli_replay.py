"""`caredesk replay` and `caredesk scenario`, as a trainer runs them: the spec's own example
scored from its answers file and by the autopilot, the checks, and what is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.replay.test_loading import SCENARIO  # the spec's own example, commented
from workspace.cli import main
from workspace.replay.shipped import shipped

ANSWERS = """\
scenario: late-blender
steps:
  - {at: 5s, open: history/2}
  - {at: 30s, reply: "I'm so sorry, that should never happen."}
  - {at: 60s, action: replacement, order: W1001, items: [BL-200], reason: cracked jug}
  - {at: 75s, action: store_credit, order: W1001, amount: 10.00, reason: two-day guarantee missed}
  - {at: 90s, resolve: resolved}
"""

SHIPPED_POLICY = Path(__file__).resolve().parents[2] / "workspace" / "default_policy.yaml"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "policy.yaml").write_text(SHIPPED_POLICY.read_text())
    (tmp_path / "late-blender.yaml").write_text(SCENARIO)
    (tmp_path / "answers.yaml").write_text(ANSWERS)
    return tmp_path


def test_the_specs_answers_score_100_as_json(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, answers = folder / "late-blender.yaml", folder / "answers.yaml"
    assert main(["replay", str(scenario), "--answers", str(answers), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["scenario"], report["score"], report["passed"], report["findings"]) == (
        "late-blender",
        100,
        True,
        [],
    )
    assert report["actions"][0] | {"reason": "", "at": ""} == {
        "action": "replacement",
        "order": "W1001",
        "amount": "129.00",
        "verdict": "allow",
        "rule": "actions.replacement.limit.amount",
        "reason": "",
        "at": "",
    }


def test_a_trainee_who_skips_the_history_sees_why(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = folder / "answers.yaml"
    answers.write_text(ANSWERS.replace("  - {at: 5s, open: history/2}\n", ""))
    assert main(["replay", str(folder / "late-blender.yaml"), "--answers", str(answers)]) == 0
    shown = capsys.readouterr().out
    assert "score 90 / 100 · passed" in shown
    assert "history_not_reviewed  -10  history entry 2 (email, 2026-11-06" in shown


def test_the_autopilot_scores_100(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(folder / "late-blender.yaml"), "--autopilot", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["score"], report["passed"]) == (100, True)


def test_a_replay_refuses_a_database(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = str(folder / "late-blender.yaml")
    assert main(["replay", scenario, "--autopilot", "--db", "sqlite:///team.db"]) == 2
    assert "never opens the team's database" in capsys.readouterr().err
    assert not (Path.cwd() / "team.db").exists()


def test_scenario_check_names_every_file_that_fails(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unsolvable = folder / "unsolvable.yaml"
    # A store credit of 900.00 is above its limit, and none goes to a supervisor.
    unsolvable.write_text(SCENARIO.replace("{min: 10.00, max: 10.00}", "{min: 900.00}"))
    broken = folder / "broken.yaml"
    broken.write_text(SCENARIO.replace("  channel: call\n", "  channel: fax\n"))
    files = [folder / "late-blender.yaml", unsolvable, broken]
    assert main(["scenario", "check", *map(str, files)]) == 1
    shown = capsys.readouterr().out
    assert "late-blender.yaml: ok, the autopilot scores 100" in shown
    assert "unsolvable.yaml: the autopilot scores" in shown
    assert "policy_denied" in shown
    assert "broken.yaml" in shown and "contact.channel" in shown
    assert "2 of 3 failed" in shown


def test_every_shipped_scenario_passes_the_check(capsys: pytest.CaptureFixture[str]) -> None:
    files = shipped()
    assert len(files) >= 12
    assert main(["scenario", "check", *map(str, files)]) == 0, capsys.readouterr().out


def test_scenario_list_shows_the_library(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenario", "list"]) == 0
    shown = capsys.readouterr().out
    assert all(path.name in shown for path in shipped())
    assert "refused" not in shown


def test_a_database_given_before_the_command_is_refused_too(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = str(folder / "late-blender.yaml")
    assert main(["--db", "sqlite:///team.db", "replay", scenario, "--autopilot"]) == 2
    assert "never opens the team's database" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["replay", "report"], "give the folder of answers files"),
        (["replay", "report", ".", "--autopilot"], "are for one scenario"),
        (["replay", "S", "--json"], "give --answers FILE or --autopilot"),
        (["replay", "S", "extra"], "only `replay report` takes a DIR"),
    ],
)
def test_loose_arguments_are_refused_in_one_line(
    folder: Path, capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    argv = [str(folder / "late-blender.yaml") if a == "S" else a for a in argv]
    assert main(argv) == 2
    assert said in capsys.readouterr().err


def test_json_on_a_terminal_is_ascii(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answers = folder / "answers.yaml"
    answers.write_text('trainee: "Eve\\u009b2J\\u202eevil"\n' + ANSWERS)
    scenario = str(folder / "late-blender.yaml")
    assert main(["replay", scenario, "--answers", str(answers), "--json"]) == 0
    out = capsys.readouterr().out
    assert out.isascii() and json.loads(out)["trainee"] == "Eve\u009b2J\u202eevil"
