"""CareDesk's own YAML files (the policy, the team configuration) refuse a key given twice
and nesting no such file needs, at the line, instead of keeping the last key or ending in a
RecursionError."""

from __future__ import annotations

from pathlib import Path

import pytest

from workspace.errors import InputRejected
from workspace.policy_file import policy_from_text
from workspace.team_config import parse_config

TWICE = (
    "version: 1\nactions:\n  discount:\n    limit: {amount: 20.00}\n    limit: {amount: 5000.00}\n"
)
DEEP = "version: 1\nx:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(330))


def _policy(text: str) -> str:
    with pytest.raises(InputRejected) as refused:
        policy_from_text(text, Path("team.yaml"))
    (problem,) = refused.value.problems
    return f"{problem.where}: {problem.message}"


def test_a_policy_key_given_twice_is_refused_at_its_line() -> None:
    assert (
        _policy(TWICE)
        == "team.yaml:5: is not valid YAML: key 'limit' is given twice (first on line 4)"
    )


def test_a_policy_nested_hundreds_deep_is_refused_not_a_recursion_error() -> None:
    assert _policy(DEEP) == "team.yaml:65: is not valid YAML: nested more than 64 levels deep"


def test_a_team_configuration_nested_hundreds_deep_is_refused_too() -> None:
    with pytest.raises(InputRejected) as refused:
        parse_config(DEEP, "team-config.yaml")
    assert [p.message for p in refused.value.problems] == [
        "is not valid YAML: nested more than 64 levels deep"
    ]
