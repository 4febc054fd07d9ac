"""`caredesk replay report DIR`: a class's answers files scored in one table, and the lesson
the class missed most."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.replay.test_cli_replay import ANSWERS, SCENARIO, SHIPPED_POLICY
from workspace.cli import main


@pytest.fixture
def room(tmp_path: Path) -> Path:
    (tmp_path / "policy.yaml").write_text(SHIPPED_POLICY.read_text())
    (tmp_path / "late-blender.yaml").write_text(SCENARIO)
    (tmp_path / "ana.answers.yaml").write_text("trainee: Ana\n" + ANSWERS)
    skipped = ANSWERS.replace("  - {at: 5s, open: history/2}\n", "")
    (tmp_path / "ben.answers.yaml").write_text("trainee: Ben\n" + skipped)
    refund = "  - {at: 80s, action: refund, order: W1001, amount: 20.00, reason: sorry}\n"
    cold = skipped.replace("I'm so sorry, that", "That").replace(
        "  - {at: 90s", refund + "  - {at: 90s"
    )
    (tmp_path / "cy.answers.yaml").write_text("trainee: Cy\n" + cold)
    (tmp_path / "dee.answers.yaml").write_text("trainee: Dee\nscenario: nowhere\nsteps: []\n")
    (tmp_path / "eve.answers.yaml").write_text("scenario: late-blender\nsteps: [{at: 1:30}]\n")
    return tmp_path


def test_the_class_in_one_table(room: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "report", str(room)]) == 1  # two files could not be scored
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["TRAINEE", "SCENARIO", "SCORE", "PASSED", "FINDINGS"]
    rows = {line.split()[0]: line for line in lines[1:4]}
    assert rows["Ana"].split()[1:4] == ["late-blender", "100", "yes"]
    assert rows["Ben"].split()[2:] == ["90", "yes", "history_not_reviewed"]
    assert rows["Cy"].split()[2:4] == ["40", "no"]  # 100 - 40 forbidden - 10 - 10
    assert "forbidden_action" in rows["Cy"] and "no_empathy" in rows["Cy"]
    missed = lines[lines.index("missed by the class (trainees):") + 1 :]
    assert missed[0].split() == ["history_not_reviewed", "2"]
    said = "\n".join(lines)
    assert "dee.answers.yaml: not scored: no scenario 'nowhere' was found" in said
    assert "refused as scenarios: policy.yaml" in said  # a broken scenario would be named
    assert "eve.answers.yaml: not scored:" in said and "steps[0]" in said


def test_the_class_as_json(room: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "report", str(room), "--json"]) == 1
    found = json.loads(capsys.readouterr().out)
    by = {t["trainee"]: t for t in found["trainees"]}
    assert by["Ben"]["findings"] == {"history_not_reviewed": 1}
    assert by["Cy"]["passed"] is False
    assert found["missed"]["history_not_reviewed"] == 2
    assert len(found["refused"]) == 2


def test_an_empty_or_missing_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", "report", str(tmp_path)]) == 2
    assert "no answers file" in capsys.readouterr().err
    assert main(["replay", "report", str(tmp_path / "nope")]) == 2
    assert "not a folder" in capsys.readouterr().err
