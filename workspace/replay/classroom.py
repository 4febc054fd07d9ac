"""A class of trainees: every answers file in a folder scored against its scenario, in one
table, so a trainer sees which lesson the class missed.

An answers file names its scenario by id; the scenarios are looked for in the folder itself,
in the folders the trainer adds, and in the library CareDesk ships. A file that is not an
answers file, or names a scenario nowhere to be found, is listed with the reason, never
skipped in silence.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workspace.errors import InputRejected
from workspace.replay.loading import load_answers, load_scenario
from workspace.replay.model import Scenario
from workspace.replay.scoring import WEIGHTS, Report, score
from workspace.replay.shipped import shipped

ANSWERS_GLOB = "*.answers.yaml"
"""What a replay names its answers files; the class report reads these."""


@dataclass(frozen=True)
class Scored:
    """One trainee's answers, scored."""

    file: Path
    report: Report

    @property
    def kinds(self) -> Counter[str]:
        return Counter(f.kind for f in self.report.findings)


@dataclass
class Classroom:
    """Every answers file of a folder: those scored, and those that could not be."""

    scored: list[Scored] = field(default_factory=list)
    refused: list[tuple[Path, str]] = field(default_factory=list)

    def missed(self) -> Counter[str]:
        """For each finding kind, how many trainees got it at least once."""
        return Counter(kind for s in self.scored for kind in set(s.kinds))

    def as_json(self) -> dict[str, Any]:
        return {
            "trainees": [
                {
                    "file": str(s.file),
                    "trainee": s.report.trainee,
                    "scenario": s.report.scenario,
                    "score": s.report.score,
                    "passed": s.report.passed,
                    "findings": dict(sorted(s.kinds.items())),
                }
                for s in self.scored
            ],
            "missed": dict(self.missed().most_common()),
            "refused": [{"file": str(f), "reason": why} for f, why in self.refused],
        }


def _scenarios(folders: Iterable[Path]) -> tuple[dict[str, Scenario], list[Path]]:
    """Every scenario found, by id (the first found wins: the trainer's before the shipped),
    and the files that were refused (not scenarios, or broken ones)."""
    found: dict[str, Scenario] = {}
    refused: list[Path] = []
    files = [p for folder in folders for p in sorted(folder.glob("*.yaml"))]
    for path in [*files, *shipped()]:
        if path.name.endswith(".answers.yaml"):
            continue
        try:
            scenario = load_scenario(path)
        except InputRejected:
            refused.append(path)
            continue
        found.setdefault(scenario.id, scenario)
    return found, refused


def score_folder(folder: Path, scenario_folders: Iterable[Path] = ()) -> Classroom:
    """Score every answers file in `folder`, by name."""
    scenarios, broken = _scenarios([folder, *scenario_folders])
    hint = ""
    if broken:
        names = ", ".join(p.name for p in broken[:3]) + (" ..." if len(broken) > 3 else "")
        hint = f"; refused as scenarios: {names} (`caredesk scenario check` says why)"
    room = Classroom()
    for path in sorted(folder.glob(ANSWERS_GLOB)):
        try:
            answers = load_answers(path)
            scenario = scenarios.get(answers.scenario)
            if scenario is None:
                room.refused.append((path, f"no scenario {answers.scenario!r} was found{hint}"))
                continue
            room.scored.append(Scored(path, score(scenario, answers)))
        except InputRejected as refused:
            room.refused.append((path, str(refused).splitlines()[-1].strip()))
    return room


def table(room: Classroom) -> list[str]:
    """Trainee, scenario, score, passed, and the findings by kind; then how many trainees
    got each kind of finding, the most missed lesson first."""
    from workspace.text import one_line

    rows = [("TRAINEE", "SCENARIO", "SCORE", "PASSED", "FINDINGS")]
    for s in room.scored:
        r = s.report
        kinds = ", ".join(f"{k} {n}" if n > 1 else k for k, n in sorted(s.kinds.items()))
        rows.append(
            (
                one_line(r.trainee or s.file.stem),
                one_line(r.scenario),
                str(r.score),
                "yes" if r.passed else "no",
                kinds or "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = (
        []
        if len(rows) == 1
        else [
            "  ".join(c.ljust(w) for c, w in zip(row[:4], widths, strict=True)) + "  " + row[4]
            for row in rows
        ]
    )
    missed = room.missed()
    if missed:
        lines += ["", "missed by the class (trainees):"]
        lines += [f"  {kind:<22} {n}" for kind, n in missed.most_common() if kind in WEIGHTS]
    for path, why in room.refused:
        lines.append(f"{one_line(str(path))}: not scored: {one_line(why)}")
    return lines
