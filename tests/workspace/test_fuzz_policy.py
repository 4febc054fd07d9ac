"""The policy loader never crashes: any text or bytes either load or are refused with
`InputRejected`, every problem one line naming the file, its line and key path."""

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
from workspace.policy_file import load_policy, policy_from_text

GOOD = """\
version: 1
currency: USD
actions:
  discount:
    requires_reason: true
    limit: {amount: 25.00, percent_of_order: 20}
    approval: {up_to_amount: 100.00}
    budget: {amount: 300.00, count: 15}
    per_customer: {count: 2, days: 90}
  refund:
    order_status: [delivered]
    order_age_days: 30
    limit: {amount: 150.00}
tiers:
  gold:
    discount: {limit: {amount: 40.00}}
guarantees:
  two_day_shipping:
    when: {late_by_days: 1}
    grants: {action: discount, amount: 10.00}
"""

DOC = {
    "version": 1,
    "currency": "USD",
    "actions": {
        "discount": {
            "limit": {"amount": "25.00", "percent_of_order": 20},
            "budget": {"count": 15},
            "per_customer": {"count": 2, "days": 90},
        },
        "refund": {"order_status": ["delivered"], "order_age_days": 30},
    },
    "tiers": {"gold": {"discount": {"limit": {"amount": 40}}}},
    "guarantees": {"late": {"when": {"late_by_days": 1}, "grants": {"amount": 10}}},
}
"""A small policy that loads: each fuzz example mutates it (PyYAML reads ~100 KB/s)."""
PATH = Path("team-policy.yaml")


def refused(text: str) -> list[str]:
    with pytest.raises(InputRejected) as refusal:
        policy_from_text(text, PATH)
    assert_refusal(refusal.value, PATH.name)
    return [str(p) for p in refusal.value.problems]


def test_the_good_policy_loads() -> None:
    assert policy_from_text(GOOD, PATH).actions["discount"]["limit.amount"] == 25


def test_a_key_given_twice_is_named_with_its_path_and_both_lines() -> None:
    text = GOOD.replace(
        "    order_age_days: 30\n", "    order_age_days: 30\n    order_age_days: 9\n"
    )
    assert refused(text) == [
        "team-policy.yaml:13: actions.refund.order_age_days: is not valid YAML: "
        "key 'order_age_days' is given twice (first on line 12)"
    ]


def test_nesting_deeper_than_64_is_refused_at_its_path() -> None:
    deep = "".join("  " * (i + 1) + f"k{i}:\n" for i in range(80))
    (problem,) = refused("version: 1\nx:\n" + deep)
    assert problem.startswith("team-policy.yaml:65: x.k0.k1.")
    assert problem.endswith(".k61: is not valid YAML: nested more than 64 levels deep")


@pytest.mark.parametrize("sign", ["", "-"])
def test_an_integer_of_thousands_of_digits_is_refused_at_its_line(sign: str) -> None:
    value = sign + HUGE
    (problem,) = refused(GOOD.replace("amount: 300.00, count: 15", f"count: {value}"))
    assert problem == (
        "team-policy.yaml:8: actions.discount.budget.count: is not valid YAML: cannot read"
        f" a value of {len(value)} characters"
        " (Exceeds the limit (4300 digits) for integer string conversion)"
    )


def test_an_amount_beyond_what_money_holds_is_refused() -> None:
    (problem,) = refused(GOOD.replace("amount: 150.00", "amount: " + "9" * 40))
    assert problem.startswith(
        "team-policy.yaml:13: actions.refund.limit.amount: expected a decimal amount >= 0"
        " (at most 999999999999.99) with at most 2 decimals, got 99999"
    )


@pytest.mark.parametrize("field", ["count: 15", "days: 90"])
def test_a_count_or_days_beyond_their_bound_is_refused(field: str) -> None:
    name, _ = field.split(":")
    problem = refused(GOOD.replace(field, f"{name}: {2**63}"))[0]
    most = "9223372036854775807" if name == "count" else "36525"
    line = 8 if name == "count" else 9
    key = "budget.count" if name == "count" else "per_customer.days"
    assert problem == (
        f"team-policy.yaml:{line}: actions.discount.{key}: expected a whole number from 1 to"
        f" {most}, got {2**63}"
    )


@pytest.mark.parametrize("token", [*NON_FINITE_YAML, *(f'"{t}"' for t in NON_FINITE_TEXT)])
def test_every_non_finite_number_is_refused(token: str) -> None:
    (problem,) = refused(GOOD.replace("amount: 150.00", f"amount: {token}"))
    assert problem.startswith(
        "team-policy.yaml:13: actions.refund.limit.amount: expected a decimal amount >= 0"
    )


def test_bad_bytes_an_empty_file_and_a_non_mapping_are_each_named(tmp_path: Path) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_bytes(b"version: 1\ncurrency: \xff\n")
    with pytest.raises(InputRejected) as refusal:
        load_policy(bad)
    assert [str(p) for p in refusal.value.problems] == ["p.yaml: is not UTF-8 text"]
    assert refused("") == [
        "team-policy.yaml: expected a mapping with version, currency and actions,"
        " got nothing (the file is empty)"
    ]
    assert refused("- 1\n") == [
        "team-policy.yaml: expected a mapping with version, currency and actions, got [1]"
    ]
    assert refused("hello\n") == [
        "team-policy.yaml: expected a mapping with version, currency and actions, got 'hello'"
    ]


@fuzz_settings
@given(st.one_of(mutations(pairs(DOC)).map(to_yaml), hostile_text, st.binary(max_size=100)))
def test_fuzz_policy(tmp_path_factory: pytest.TempPathFactory, data: str | bytes) -> None:
    """Near-valid policies mutated, random text and random bytes."""
    path = tmp_path_factory.getbasetemp() / "fuzz-policy.yaml"
    try:
        if isinstance(data, str):
            policy_from_text(data, path)
        else:
            path.write_bytes(data)
            load_policy(path)
    except InputRejected as refusal:
        assert_refusal(refusal, path.name)


def test_a_key_given_twice_on_one_line_is_refused_too() -> None:
    text = GOOD.replace("limit: {amount: 150.00}", "limit: {amount: 150.00, amount: 9000.00}")
    assert refused(text) == [
        "team-policy.yaml:13: actions.refund.limit.amount: is not valid YAML: "
        "key 'amount' is given twice (first on line 13)"
    ]
