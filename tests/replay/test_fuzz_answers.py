"""The answers-file loader never crashes: any text or bytes either load or are refused with
`InputRejected`, every problem one line naming the file, line and key path."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzzing import (
    HUGE,
    NON_FINITE_TEXT,
    NON_FINITE_YAML,
    Raw,
    assert_refusal,
    fuzz_settings,
    hostile_text,
    mutations,
    pairs,
    to_data,
    to_yaml,
)
from workspace.errors import InputRejected
from workspace.replay.loading import answers_from_text, load_answers, read_answers
from workspace.replay.yaml_input import At

GOOD = """\
scenario: late-blender
steps:
  - {at: 5s, open: history/2}
  - {at: 30s, reply: "I'm so sorry."}
  - {at: 75s, action: store_credit, order: W1001, amount: 10.00, reason: late}
  - {at: 90s, resolve: resolved}
"""
DOC = {
    "scenario": "late-blender",
    "trainee": "Sam",
    "steps": [
        {"at": "5s", "open": "history/2"},
        {"at": 30, "reply": "sorry"},
        {"at": "1m", "action": "replacement", "order": "W1", "items": ["S-1"], "reason": ""},
        {"at": "75s", "action": "store_credit", "order": "W1", "amount": Raw("10.00")},
        {"at": "90s", "resolve": "resolved"},
    ],
}
"""Answers that load: the fuzz test mutates them as parsed values and as YAML text."""
NAME = "trainee.answers.yaml"


def refused(text: str) -> list[str]:
    with pytest.raises(InputRejected) as refusal:
        answers_from_text(text, Path(NAME))
    assert_refusal(refusal.value, NAME)
    return [str(p) for p in refusal.value.problems]


def test_the_good_answers_load() -> None:
    assert len(answers_from_text(GOOD, Path(NAME)).steps) == 4


def test_a_key_given_twice_is_named_with_its_path_and_both_lines() -> None:
    text = GOOD.replace("{at: 90s, resolve: resolved}", "{at: 90s, at: 95s, resolve: resolved}")
    assert refused(text) == [
        "trainee.answers.yaml:6: steps[3].at: is not valid YAML: duplicate key 'at'"
        " (first on line 6)"
    ]


def test_nesting_deeper_than_the_limit_is_refused_at_its_path() -> None:
    (problem,) = refused(GOOD + "trainee: " + "[" * 100 + "]" * 100 + "\n")
    assert problem == (
        f"trainee.answers.yaml:7: trainee{'[0]' * 39}: is not valid YAML:"
        " nested more than 40 levels deep"
    )


@pytest.mark.parametrize("sign", ["", "-"])
def test_an_integer_of_thousands_of_digits_is_refused_at_its_line(sign: str) -> None:
    value = sign + HUGE
    (problem,) = refused(GOOD.replace("at: 30s", f"at: {value}"))
    assert problem == (
        "trainee.answers.yaml:4: steps[1].at: is not valid YAML: cannot read"
        f" {len(value)} characters (Exceeds the limit (4300 digits) for integer string conversion)"
    )


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("amount: 10.00", "amount: 1e15", "amount: expected an amount >= 0"),
        ("amount: 10.00", f"amount: {2**63}", "amount: expected an amount >= 0"),
        ("at: 75s", f"at: {2**63}", "at: expected a time from the start like 45s"),
        ("at: 75s", "at: 9999999h", "at: expected a time from the start like 45s"),
    ],
)
def test_a_number_beyond_its_field_is_refused(field: str, value: str, expected: str) -> None:
    problems = refused(GOOD.replace(field, value))
    assert problems[0].startswith(f"trainee.answers.yaml:5: steps[2].{expected}")


@pytest.mark.parametrize("token", [*NON_FINITE_YAML, *(f'"{t}"' for t in NON_FINITE_TEXT)])
def test_every_non_finite_number_is_refused(token: str) -> None:
    (problem,) = refused(GOOD.replace("amount: 10.00", f"amount: {token}"))
    assert problem.startswith("trainee.answers.yaml:5: steps[2].amount: expected an amount >= 0")


def test_bad_bytes_an_empty_file_and_a_non_mapping_are_each_named(tmp_path: Path) -> None:
    bad = tmp_path / NAME
    bad.write_bytes(GOOD.encode() + b"trainee: \xff\n")
    with pytest.raises(InputRejected) as refusal:
        load_answers(bad)
    assert [str(p) for p in refusal.value.problems] == [f"{NAME}: is not UTF-8 text"]
    assert refused("") == [f"{NAME}: is empty; expected a answers file"]
    assert refused("- 1\n") == [f"{NAME}:1: expected a mapping (key: value lines), got [1]"]
    assert refused("hi\n") == [f"{NAME}:1: expected a mapping (key: value lines), got 'hi'"]


@fuzz_settings
@given(
    st.one_of(
        mutations(pairs(DOC)).map(to_data),
        mutations(pairs(DOC)).map(to_yaml),
        hostile_text,
        st.binary(max_size=100),
    )
)
def test_fuzz_answers(
    tmp_path_factory: pytest.TempPathFactory, data: dict[str, object] | str | bytes
) -> None:
    """Near-valid answers mutated (as values and as text), random text and random bytes."""
    path = tmp_path_factory.getbasetemp() / NAME
    try:
        if isinstance(data, dict):
            read_answers(At(data, "", 1), path)
        elif isinstance(data, str):
            answers_from_text(data, path)
        else:
            path.write_bytes(data)
            load_answers(path)
    except InputRejected as refusal:
        assert_refusal(refusal, path.name)
