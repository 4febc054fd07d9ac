"""An answers file written by a replay reads back as the same answers (to the second)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from workspace.replay.answers_file import answers_text, write_atomically
from workspace.replay.loading import answers_from_text
from workspace.replay.model import Answers, Step


def test_every_kind_of_step_reads_back(tmp_path: Path) -> None:
    answers = Answers(
        "late-blender",
        (
            Step(timedelta(seconds=5.7), "open", open="history/2"),
            Step(timedelta(seconds=30), "reply", reply="Sorry!\n\x1b[31m[bold]no[/]"),
            Step(
                timedelta(seconds=60),
                "action",
                action="replacement",
                order="W1001",
                items=("BL-200",),
                reason="cracked jug",
            ),
            Step(
                timedelta(seconds=75),
                "action",
                action="store_credit",
                order="W1001",
                amount=Decimal("10.00"),
                reason="",
            ),
            Step(timedelta(minutes=2), "resolve", resolve="resolved"),
        ),
        trainee="Robin",
    )
    file = tmp_path / "a.answers.yaml"
    write_atomically(file, answers_text(answers))
    back = answers_from_text(file.read_text(), file)
    assert back.trainee == "Robin" and back.scenario == "late-blender"
    assert back.steps[0].at == timedelta(seconds=5)  # whole seconds
    assert back.steps[1:] == answers.steps[1:]
    assert not (tmp_path / "a.answers.yaml.part").exists()


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_any_reply_reads_back_literally(reply: str) -> None:
    if not reply.strip() or "\x00" in reply or any(0xD800 <= ord(c) <= 0xDFFF for c in reply):
        return  # the desk sends no empty reply; a file holds no NUL or lone surrogate
    answers = Answers("s", (Step(timedelta(0), "reply", reply=reply),))
    back = answers_from_text(answers_text(answers), Path("a.yaml"))
    assert back.steps[0].reply == reply, json.dumps(reply)
