"""The scenario loader never crashes: any text or bytes either load or are refused with
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
from workspace.replay.loading import load_scenario, read_scenario, scenario_from_text
from workspace.replay.yaml_input import At

POLICY = "version: 1\ncurrency: USD\nactions:\n  store_credit:\n    limit: {amount: 20.00}\n"
GOOD = """\
scenario: 1
id: fuzz
title: A late order
policy: policy.yaml
customer: {id: C-1, name: Sam}
orders:
  - id: W1
    placed_at: 2026-11-01T09:00:00Z
    status: delivered
    items:
      - {sku: S-1, name: Blender, price: 129.00, quantity: 1}
contact:
  channel: chat
  subject: Hello
  turns:
    - {at: 0s, customer: Hi}
expect:
  actions:
    - {action: store_credit, order: W1, amount: {min: 10.00, max: 10.00}}
  within: 8m
"""
DOC = {
    "scenario": 1,
    "id": "fuzz",
    "title": "A late order",
    "policy": {
        "version": 1,
        "currency": "USD",
        "actions": {"store_credit": {"limit": {"amount": 20}, "budget": {"count": 3}}},
    },
    "customer": {"id": "C-1", "name": "Sam", "since": "2019-04-02"},
    "orders": [
        {
            "id": "W1",
            "placed_at": "2026-11-01T09:00:00Z",
            "status": "delivered",
            "items": [{"sku": "S-1", "name": "B", "price": Raw("129.00"), "quantity": 1}],
        }
    ],
    "history": [
        {"at": "2026-11-04T10:02:00Z", "channel": "chat", "direction": "inbound", "text": "?"}
    ],
    "contact": {"channel": "chat", "subject": "Hi", "turns": [{"at": "0s", "customer": "Hi"}]},
    "expect": {
        "actions": [{"action": "store_credit", "order": "W1", "amount": {"max": Raw("10.00")}}],
        "review_history": [0],
        "within": "8m",
    },
}
"""A scenario that loads: the fuzz test mutates it as parsed values (ruamel's round-trip
reader takes tens of milliseconds a document, too slow for thousands of examples)."""

TEXT = {
    "scenario": 1,
    "id": "fuzz",
    "title": "T",
    "policy": "policy.yaml",
    "customer": {"id": "C-1", "name": "Sam"},
    "orders": [{"id": "W1", "items": [{"sku": "S", "price": Raw("1.00"), "quantity": 1}]}],
    "contact": {"turns": [{"at": "0s"}]},
}
"""A short scenario (with problems) the fuzz test mutates as YAML text, for the reader itself."""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the scenarios' policy."""
    folder = tmp_path_factory.mktemp("scenarios")
    (folder / "policy.yaml").write_text(POLICY, encoding="utf-8")
    return folder


def refused(folder: Path, text: str) -> list[str]:
    with pytest.raises(InputRejected) as refusal:
        scenario_from_text(text, folder / "late.yaml")
    assert_refusal(refusal.value, "late.yaml")
    return [str(p) for p in refusal.value.problems]


def test_the_good_scenario_loads(folder: Path) -> None:
    assert scenario_from_text(GOOD, folder / "late.yaml").orders[0].items[0].price == 129


def test_a_key_given_twice_is_named_with_its_path_and_both_lines(folder: Path) -> None:
    text = GOOD.replace("    status: delivered\n", "    status: delivered\n    status: shipped\n")
    assert refused(folder, text) == [
        "late.yaml:10: orders[0].status: is not valid YAML: duplicate key 'status'"
        " (first on line 9)"
    ]


def test_nesting_deeper_than_the_limit_is_refused_at_its_path(folder: Path) -> None:
    deep = "".join("  " * (i + 1) + f"k{i}:\n" for i in range(80))
    (problem,) = refused(folder, GOOD + "x:\n" + deep)
    assert problem.startswith("late.yaml:60: x.k0.k1.")
    assert problem.endswith(".k37: is not valid YAML: nested more than 40 levels deep")


@pytest.mark.parametrize("sign", ["", "-"])
def test_an_integer_of_thousands_of_digits_is_refused_at_its_line(folder: Path, sign: str) -> None:
    value = sign + HUGE
    (problem,) = refused(folder, GOOD.replace("quantity: 1", f"quantity: {value}"))
    assert problem == (
        "late.yaml:11: orders[0].items[0].quantity: is not valid YAML: cannot read"
        f" {len(value)} characters (Exceeds the limit (4300 digits) for integer string conversion)"
    )


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("price: 129.00", "price: 1e15", "price: expected an amount >= 0"),
        ("quantity: 1", f"quantity: {2**63}", "quantity: expected a whole number from 1 to"),
    ],
)
def test_a_number_beyond_its_field_is_refused(
    folder: Path, field: str, value: str, expected: str
) -> None:
    (problem,) = refused(folder, GOOD.replace(field, value))
    assert problem.startswith(f"late.yaml:11: orders[0].items[0].{expected}")


@pytest.mark.parametrize("token", [*NON_FINITE_YAML, *(f'"{t}"' for t in NON_FINITE_TEXT)])
def test_every_non_finite_number_is_refused(folder: Path, token: str) -> None:
    (problem,) = refused(folder, GOOD.replace("price: 129.00", f"price: {token}"))
    assert problem.startswith("late.yaml:11: orders[0].items[0].price: expected an amount >= 0")
    (problem,) = refused(folder, GOOD.replace("max: 10.00", f"max: {token}"))
    assert problem.startswith("late.yaml:19: expect.actions[0].amount.max: expected an amount")


def test_bad_bytes_an_empty_file_and_a_non_mapping_are_each_named(folder: Path) -> None:
    bad = folder / "late.yaml"
    bad.write_bytes(GOOD.encode() + b"title: \xff\n")
    with pytest.raises(InputRejected) as refusal:
        load_scenario(bad)
    assert [str(p) for p in refusal.value.problems] == ["late.yaml: is not UTF-8 text"]
    assert refused(folder, "") == ["late.yaml: is empty; expected a scenario"]
    assert refused(folder, "- 1\n") == [
        "late.yaml:1: expected a mapping (key: value lines), got [1]"
    ]
    assert refused(folder, "hi\n") == [
        "late.yaml:1: expected a mapping (key: value lines), got 'hi'"
    ]


def test_a_policy_path_with_hidden_characters_is_named_on_one_line(folder: Path) -> None:
    (problem,) = refused(folder, GOOD.replace("policy: policy.yaml", 'policy: "p\\n\\u202e.yaml"'))
    assert (
        problem
        == "late.yaml:4: policy: p\\n\\u202e.yaml: cannot be read (No such file or directory)"
    )


@fuzz_settings
@given(
    st.one_of(
        mutations(pairs(DOC)).map(to_data),
        mutations(pairs(DOC)).map(to_data),
        mutations(pairs(TEXT)).map(to_yaml),
        hostile_text,
        st.binary(max_size=100),
    )
)
def test_fuzz_scenario(folder: Path, data: dict[str, object] | str | bytes) -> None:
    """Near-valid scenarios mutated (as values and as text), random text and random bytes."""
    path = folder / "late.yaml"
    try:
        if isinstance(data, dict):
            read_scenario(At(data, "", 1), path)
        elif isinstance(data, str):
            scenario_from_text(data, path)
        else:
            path.write_bytes(data)
            load_scenario(path)
    except InputRejected as refusal:
        assert_refusal(refusal, path.name)


def test_ids_quoted_in_a_message_are_escaped_onto_one_line(folder: Path) -> None:
    (problem,) = refused(folder, GOOD.replace("  - id: W1", '  - id: "W\\e\\n1"'))
    assert problem == (
        "late.yaml:19: expect.actions[0].order: no order 'W1' in this scenario (orders: W\\x1b\\n1)"
    )
