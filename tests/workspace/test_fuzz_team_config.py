"""The team configuration loader never crashes: any text or bytes either load or are
refused with `InputRejected`, every problem one line naming the file, line and key path."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzzing import (
    HUGE,
    NON_FINITE_TEXT,
    NON_FINITE_YAML,
    assert_refusal,
    fuzz_settings,
    hostile_text,
    mutations,
    pairs,
    to_yaml,
)
from workspace.errors import InputRejected
from workspace.team_config import load_config, parse_config

GOOD = """\
version: 1
service_levels:
  chat:
    urgent: {first_response: 1m, resolution: 1h}
  email:
    low: {resolution: 3d}
escalation:
  roles: [senior]
"""
DOC = {
    "version": 1,
    "service_levels": {
        "chat": {"urgent": {"first_response": "1m", "resolution": "1h"}},
        "email": {"low": {"resolution": "3d"}},
    },
    "escalation": {"roles": ["senior"]},
}
NAME = "team.yaml"


def refused(text: str) -> list[str]:
    with pytest.raises(InputRejected) as refusal:
        parse_config(text, NAME)
    assert_refusal(refusal.value, NAME)
    return [str(p) for p in refusal.value.problems]


def test_the_good_configuration_loads() -> None:
    assert parse_config(GOOD, NAME).works_escalations("senior")


def test_a_key_given_twice_is_named_with_its_path_and_both_lines() -> None:
    text = GOOD.replace("  email:\n", "  email:\n    low: {resolution: 4d}\n")
    assert refused(text) == [
        "team.yaml:7: service_levels.email.low: appears twice (first on line 6)"
    ]


def test_nesting_deeper_than_64_is_refused_at_its_path() -> None:
    deep = "".join("  " * (i + 1) + f"k{i}:\n" for i in range(80))
    (problem,) = refused("service_levels:\n" + deep)
    assert problem.startswith("team.yaml:64: service_levels.k0.k1.")
    assert problem.endswith(".k61: is not valid YAML: nested more than 64 levels deep")


@pytest.mark.parametrize("value", [HUGE, "999999d", "9999999s", f"{2**63}s"])
def test_a_huge_duration_is_refused(value: str) -> None:
    (problem,) = refused(GOOD.replace("resolution: 3d", f"resolution: {value}"))
    assert problem.startswith("team.yaml:6: service_levels.email.low.resolution: expected ")


def test_a_huge_version_is_refused() -> None:
    (problem,) = refused(GOOD.replace("version: 1", f"version: {HUGE}"))
    assert problem == "team.yaml:1: version: expected 1, got '" + "9" * 56 + "..."


@pytest.mark.parametrize("token", [*NON_FINITE_YAML, *(f'"{t}"' for t in NON_FINITE_TEXT)])
def test_every_non_finite_number_is_refused(token: str) -> None:
    (problem,) = refused(GOOD.replace("resolution: 1h", f"resolution: {token}"))
    assert problem.startswith(
        "team.yaml:4: service_levels.chat.urgent.resolution: expected a duration with its unit"
    )
    (problem,) = refused(GOOD.replace("version: 1", f"version: {token}"))
    assert problem.startswith("team.yaml:1: version: expected 1, got ")


def test_bad_bytes_an_empty_file_and_a_non_mapping_are_each_named(tmp_path: Path) -> None:
    bad = tmp_path / NAME
    bad.write_bytes(b"version: 1\nescalation: \xff\n")
    with pytest.raises(InputRejected) as refusal:
        load_config(bad)
    assert [str(p) for p in refusal.value.problems] == ["team.yaml: is not UTF-8 text"]
    assert refused("") == ["team.yaml: is empty; expected service_levels, escalation or both"]
    assert refused("- 1\n") == ["team.yaml:1: expected a mapping of sections, got a list"]
    assert refused("hello\n") == ["team.yaml:1: expected a mapping of sections, got 'hello'"]


def test_a_hidden_character_in_a_key_is_shown_escaped_on_one_line() -> None:
    (problem,) = refused('"chat\\n\\u202e": 1\n')
    assert problem == (
        "team.yaml:1: 'chat\\n\\u202e': unknown key; expected one of version, service_levels,"
        " escalation"
    )


@fuzz_settings
@given(st.one_of(mutations(pairs(DOC)).map(to_yaml), hostile_text, st.binary(max_size=100)))
def test_fuzz_team_config(tmp_path_factory: pytest.TempPathFactory, data: str | bytes) -> None:
    """Near-valid configurations mutated, random text and random bytes."""
    path = tmp_path_factory.getbasetemp() / NAME
    try:
        if isinstance(data, str):
            parse_config(data, NAME)
        else:
            path.write_bytes(data)
            load_config(path)
    except InputRejected as refusal:
        assert_refusal(refusal, NAME)
