"""The plain-text report of `caredesk policy check`: pure, no app and no database."""

from __future__ import annotations

import re

import yaml

from workspace.policy import Policy
from workspace.policy_file import default_policy, parse_policy
from workspace.policy_report import policy_table

REPORT = policy_table(default_policy())
LINES = REPORT.splitlines()


def parse(text: str) -> Policy:
    return parse_policy(yaml.safe_load(text), "policy.yaml")


def table_rows(lines: list[str]) -> list[str]:
    """The heading and rows of the table of base rules: from `action` to the next blank line."""
    start = next(i for i, line in enumerate(lines) if line.startswith("action "))
    end = next((i for i in range(start, len(lines)) if not lines[i]), len(lines))
    return [line for line in lines[start:end] if not line.startswith("cannot be taken")]


def cells(row: str) -> list[tuple[int, str]]:
    """Each cell of a row with its start offset; cells are separated by two or more spaces."""
    return [(m.start(), m.group()) for m in re.finditer(r"\S+(?: \S+)*", row)]


def row_of(action: str, lines: list[str] = LINES) -> list[str]:
    row = next(line for line in table_rows(lines) if line.startswith(f"{action} "))
    return [text for _, text in cells(row)]


def test_the_header_counts_what_the_policy_holds() -> None:
    assert LINES[0] == (
        "policy version 1, currency USD: 6 actions, 1 tier override, 1 role override, 1 guarantee"
    )


def test_the_discount_row_shows_every_part_of_its_base_rule() -> None:
    assert row_of("discount") == [
        "discount",
        "25.00 / 20% of order",
        "100.00",
        "300.00, 15 grants",
        "2 in 90 days",
        "-",
        "-",
        "yes",
    ]
    assert row_of("refund")[1:7] == [
        "150.00 / 100% of order",
        "1000.00",
        "-",
        "-",
        "delivered, returned",
        "30",
    ]
    assert row_of("store_credit")[3] == "400.00"
    assert row_of("cancel_order")[1:] == ["-", "-", "-", "-", "pending", "-", "no"]


def test_rows_follow_the_order_of_actions() -> None:
    names = [cells(row)[0][1] for row in table_rows(LINES)]
    assert names == [
        "action",
        "discount",
        "refund",
        "replacement",
        "store_credit",
        "reship",
        "cancel_order",
    ]


def test_every_table_row_starts_its_cells_at_the_same_offsets() -> None:
    rows = table_rows(LINES)
    heading = [offset for offset, _ in cells(rows[0])]
    assert len(heading) == 8
    for row in rows[1:]:
        assert [offset for offset, _ in cells(row)] == heading, row
    assert all(line == line.rstrip() for line in LINES)


def test_overrides_and_guarantees_are_listed_by_full_key_path() -> None:
    assert "  tiers.gold.discount.limit.amount            40.00" in LINES
    assert "  tiers.gold.discount.limit.percent_of_order  30%" in LINES
    assert "  roles.senior.discount.limit.amount  50.00" in LINES
    assert (
        "  guarantees.two_day_shipping  late by >= 1 day: store_credit up to 10.00, "
        "without approval, outside the budget"
    ) in LINES
    assert "cannot be taken" not in REPORT


def test_a_minimal_policy_has_one_row_and_no_sections() -> None:
    policy = parse(
        """
        version: 1
        currency: EUR
        actions:
          refund: {limit: {amount: 12.5, percent_of_order: 12.50}}
        """
    )
    lines = policy_table(policy).splitlines()
    assert lines[0] == (
        "policy version 1, currency EUR: 1 action, 0 tier overrides, 0 role overrides, 0 guarantees"
    )
    assert [cells(row)[0][1] for row in table_rows(lines)] == ["action", "refund"]
    assert row_of("refund", lines) == [
        "refund",
        "12.50 / 12.5% of order",
        "-",
        "-",
        "-",
        "-",
        "-",
        "no",
    ]
    assert lines[-1] == (
        "cannot be taken: discount, replacement, store_credit, reship, cancel_order"
    )


def test_an_action_missing_from_the_policy_cannot_be_taken() -> None:
    policy = parse(
        """
        version: 1
        currency: USD
        actions:
          discount: {limit: {amount: 5}}
          refund: {}
          replacement: {}
          store_credit: {}
          reship: {}
        """
    )
    lines = policy_table(policy).splitlines()
    assert "cannot be taken: cancel_order" in lines
    assert not any(row.startswith("cancel_order") for row in table_rows(lines))


def test_an_override_shows_each_leaf_and_says_when_it_changes_nothing() -> None:
    policy = parse(
        """
        version: 1
        currency: USD
        actions:
          refund: {limit: {amount: 100}, order_status: [delivered]}
        tiers:
          "gold\\e]52;c;aGk=\\a": {}
        roles:
          lead:
            refund:
              requires_reason: false
              limit: {amount: 100.00}
              order_status: [shipped, delivered]
              per_customer: {count: 1, days: 30}
        """
    )
    lines = policy_table(policy).splitlines()
    assert "customers of tier gold^[]52;c;aGk=^G:" in lines
    assert "  (nothing changes)" in lines
    assert "  roles.lead.refund.requires_reason     no" in lines
    assert "  roles.lead.refund.limit.amount        100.00  (same as actions.refund)" in lines
    assert "  roles.lead.refund.order_status        shipped, delivered" in lines
    assert "  roles.lead.refund.per_customer.count  1" in lines
    assert not any("\x1b" in line or "\x07" in line for line in lines)
