"""Writing an answers file (specs/scenario.md), as the loader reads it back.

A replay writes the trainee's answers as they go, and the report it shows at the end is the
score of the file as written and read back (`record`), so scoring that file headless later
gives exactly the report the trainee saw. Times are whole seconds from the contact's start.
"""

from __future__ import annotations

import io
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from workspace.replay.model import Answers, Scenario, Step


def _quoted(text: str) -> str:
    """Free text as a double-quoted YAML string: every character escaped that a plain one
    would fold or drop (a line separator, NEL, a tab, a trailing space)."""
    quoted: str = DoubleQuotedScalarString(text)
    return quoted


def _step(step: Step) -> dict[str, Any]:
    out: dict[str, Any] = {"at": f"{int(step.at.total_seconds())}s"}
    if step.kind == "open":
        out["open"] = step.open
    elif step.kind == "reply":
        out["reply"] = _quoted(step.reply or "")
    elif step.kind == "resolve":
        out["resolve"] = step.resolve
    else:
        out["action"] = step.action
        if step.order is not None:
            out["order"] = step.order
        if step.items:
            out["items"] = list(step.items)
        if step.amount is not None:
            out["amount"] = f"{step.amount:.2f}"
        out["reason"] = _quoted(step.reason)
    return out


def answers_text(answers: Answers) -> str:
    """The YAML of an answers file."""
    document: dict[str, Any] = {"scenario": answers.scenario}
    if answers.trainee is not None:
        document["trainee"] = _quoted(answers.trainee)
    document["steps"] = [_step(s) for s in answers.steps]
    yaml = YAML(typ="rt")  # keeps each step's keys in the order written: `at` first
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.allow_unicode = True
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` whole: a reader never sees half a file."""
    part = path.with_name(path.name + ".part")
    part.write_text(text, encoding="utf-8")
    os.replace(part, path)


def write_report(path: Path, report: dict[str, Any]) -> None:
    """The JSON report beside the answers."""
    write_atomically(path, json.dumps(report, ensure_ascii=False, indent=2) + "\n")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:40] or "trainee"


@dataclass(frozen=True)
class Files:
    """Where a replay writes: the answers as they go, and the report at the end."""

    answers: Path
    report: Path

    @classmethod
    def for_replay(cls, folder: Path, scenario: Scenario, trainee: str, started: datetime) -> Files:
        """`<scenario>-<trainee>-<UTC time>.answers.yaml` and `.report.json` in `folder`."""
        stem = f"{_slug(scenario.id)}-{_slug(trainee)}-{started.astimezone(UTC):%Y%m%dT%H%M%SZ}"
        return cls(folder / f"{stem}.answers.yaml", folder / f"{stem}.report.json")
