"""Reading scenario and answers files: the spec's example in full, each kind of mistake named
by file, line and key path, and no input text that raises anything but `InputRejected`."""

from __future__ import annotations

import copy
import io
import shutil
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from workspace.errors import InputRejected
from workspace.policy_file import DEFAULT_POLICY
from workspace.replay.loading import (
    answers_from_text,
    load_answers,
    load_scenario,
    scenario_from_text,
)
from workspace.replay.model import (
    AmountRange,
    ExpectedAction,
    ForbiddenAction,
    HistoryEntry,
    Step,
    Turn,
)
from workspace.replay.yaml_input import parse_offset

SCENARIO = """\
scenario: 1                       # format version
id: late-blender
title: Two-day guarantee missed, jug cracked
policy: policy.yaml
agent: {name: trainee, role: agent}
now: 2026-11-07T09:00:00Z

customer:
  id: C-1001
  name: Dana Whitfield
  email: dana.whitfield@example.com
  phone: "+1 555 0100"
  tier: gold
  since: 2019-04-02

orders:
  - id: W1001
    placed_at: 2026-11-01T09:00:00Z
    status: delivered
    promised_by: 2026-11-03
    delivered_at: 2026-11-05T15:00:00Z
    items:
      - {sku: BL-200, name: Countertop blender, price: 129.00, quantity: 1}

history:
  - at: 2026-11-04T10:02:00Z
    channel: chat
    direction: inbound
    text: My blender was supposed to arrive yesterday. Where is it?
  - at: 2026-11-04T10:05:00Z
    channel: chat
    direction: outbound
    author: sam
    text: So sorry! It is with the carrier and should arrive tomorrow.
  - at: 2026-11-06T08:40:00Z
    channel: email
    direction: inbound
    subject: Blender arrived with a cracked jug
    text: It finally came, two days late, and the jug is cracked.

contact:
  channel: call
  subject: Cracked jug, late delivery
  turns:
    - at: 0s
      customer: Hi, I've written twice already about my blender.
    - at: 40s
      customer: Can you just send me a new one?
    - after_action: replacement
      customer: Thank you, that's all I wanted.

expect:
  actions:
    - action: replacement
      order: W1001
      items: [BL-200]
    - action: store_credit
      order: W1001
      amount: {min: 10.00, max: 10.00}
  forbidden:
    - action: refund
  disposition: resolved
  review_history: [2]
  reply_phrases_any: ["sorry", "apolog", "I hear you"]
  within: 8m
"""

ANSWERS = """\
scenario: late-blender
trainee: alex
steps:
  - {at: 5s, open: history/2}
  - {at: 30s, reply: "I'm so sorry, that should never happen."}
  - {at: 60s, action: replacement, order: W1001, items: [BL-200], reason: cracked jug}
  - {at: 75s, action: store_credit, order: W1001, amount: 10.00, reason: two-day guarantee missed}
  - {at: 90s, resolve: resolved}
"""

MINIMAL = """\
scenario: 1
id: minimal
title: Nothing happened before
policy: policy.yaml
customer: {id: C-1, name: Sam}
contact:
  channel: chat
  subject: Hello
  turns:
    - {at: 0s, customer: Hi}
"""

INLINE_POLICY = """\
policy:
  version: 1
  currency: USD
  actions:
    store_credit:
      limit: {amount: 20.00}
"""


def write(tmp_path: Path, text: str, name: str = "late.yaml") -> Path:
    """The scenario text in a file, next to the policy CareDesk ships (as policy.yaml)."""
    shutil.copyfile(DEFAULT_POLICY, tmp_path / "policy.yaml")
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path: Path, text: str) -> list[str]:
    """Every problem of a scenario file, as the user reads it (`late.yaml:12: field: ...`)."""
    with pytest.raises(InputRejected) as rejected:
        load_scenario(write(tmp_path, text))
    assert rejected.value.source.endswith("late.yaml")
    return [str(problem) for problem in rejected.value.problems]


def refused_answers(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "answers.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputRejected) as rejected:
        load_answers(path)
    return [str(problem) for problem in rejected.value.problems]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# The spec's example ------------------------------------------------------------------


def test_the_spec_example_loads_with_every_value(tmp_path: Path) -> None:
    path = write(tmp_path, SCENARIO)
    scenario = load_scenario(path)
    assert (scenario.version, scenario.id, scenario.source) == (1, "late-blender", path)
    assert scenario.title == "Two-day guarantee missed, jug cracked"
    assert scenario.policy.currency == "USD" and "refund" in scenario.policy.actions
    assert (scenario.agent.name, scenario.agent.role) == ("trainee", "agent")
    assert scenario.now == utc(2026, 11, 7, 9) and scenario.now.tzinfo is UTC
    customer = scenario.customer
    assert (customer.id, customer.name, customer.phone) == (
        "C-1001",
        "Dana Whitfield",
        "+1 555 0100",
    )
    assert (customer.tier, customer.since) == ("gold", date(2019, 4, 2))
    (order,) = scenario.orders
    assert (order.id, order.status, order.promised_by) == ("W1001", "delivered", date(2026, 11, 3))
    assert order.placed_at == utc(2026, 11, 1, 9) and order.delivered_at == utc(2026, 11, 5, 15)
    (item,) = order.items
    assert (item.sku, item.name, item.quantity) == ("BL-200", "Countertop blender", 1)
    assert str(item.price) == "129.00" and order.total == Decimal("129.00")
    assert scenario.history[1] == HistoryEntry(
        at=utc(2026, 11, 4, 10, 5),
        channel="chat",
        direction="outbound",
        text="So sorry! It is with the carrier and should arrive tomorrow.",
        author="sam",
    )
    assert scenario.history[2].subject == "Blender arrived with a cracked jug"
    assert scenario.contact.channel == "call"
    assert scenario.contact.turns[1] == Turn(
        "Can you just send me a new one?", timedelta(seconds=40)
    )
    assert scenario.contact.turns[2].after_action == "replacement"
    assert scenario.contact.turns[2].at is None
    expect = scenario.expect
    assert expect.actions == (
        ExpectedAction("replacement", "W1001", ("BL-200",)),
        ExpectedAction(
            "store_credit", "W1001", (), AmountRange(Decimal("10.00"), Decimal("10.00"))
        ),
    )
    assert str(expect.actions[1].amount.min) == "10.00"  # type: ignore[union-attr]
    assert expect.forbidden == (ForbiddenAction("refund"),)
    assert (expect.disposition, expect.review_history) == ("resolved", (2,))
    assert expect.reply_phrases_any == ("sorry", "apolog", "I hear you")
    assert expect.within == timedelta(minutes=8)


def test_review_history_all_is_every_index(tmp_path: Path) -> None:
    text = SCENARIO.replace("review_history: [2]", "review_history: all")
    assert load_scenario(write(tmp_path, text)).expect.review_history == (0, 1, 2)


def test_a_single_amount_means_exactly_that(tmp_path: Path) -> None:
    text = SCENARIO.replace("amount: {min: 10.00, max: 10.00}", "amount: 10")
    (_, credit) = load_scenario(write(tmp_path, text)).expect.actions
    assert credit.amount == AmountRange(Decimal("10.00"), Decimal("10.00"))


def test_now_is_an_hour_after_the_latest_moment_named(tmp_path: Path) -> None:
    text = SCENARIO.replace("now: 2026-11-07T09:00:00Z\n", "")
    assert load_scenario(write(tmp_path, text)).now == utc(2026, 11, 6, 9, 40)


def test_a_file_naming_no_moment_starts_on_the_first_of_january(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, MINIMAL))
    assert scenario.now == utc(2026, 1, 1, 9)
    assert scenario.orders == () and scenario.history == () and scenario.expect.actions == ()
    assert (scenario.agent.role, scenario.customer.tier) == ("agent", "standard")


def test_times_with_an_offset_are_read_as_utc(tmp_path: Path) -> None:
    text = SCENARIO.replace("now: 2026-11-07T09:00:00Z", "now: 2026-11-07T10:30:00+01:30")
    assert load_scenario(write(tmp_path, text)).now == utc(2026, 11, 7, 9)


def test_an_inline_policy_loads(tmp_path: Path) -> None:
    text = MINIMAL.replace("policy: policy.yaml\n", INLINE_POLICY)
    policy = load_scenario(write(tmp_path, text)).policy
    assert policy.actions["store_credit"]["limit.amount"] == Decimal("20.00")


def test_no_stays_text_and_markup_stays_literal(tmp_path: Path) -> None:
    text = MINIMAL.replace("name: Sam", "name: no").replace("customer: Hi", "customer: '[b]hi[/b]'")
    scenario = load_scenario(write(tmp_path, text))
    assert scenario.customer.name == "no"
    assert scenario.contact.turns[0].customer == "[b]hi[/b]"


# Malformed scenarios -----------------------------------------------------------------


def test_bad_yaml_syntax_names_the_line(tmp_path: Path) -> None:
    (problem,) = refused(tmp_path, MINIMAL.replace("subject: Hello", "subject: [Hello"))
    assert problem.startswith("late.yaml:") and "is not valid YAML" in problem


def test_a_missing_required_field_is_named(tmp_path: Path) -> None:
    problems = refused(tmp_path, SCENARIO.replace("  name: Dana Whitfield\n", ""))
    assert problems == ["late.yaml:8: customer.name: is required"]
    problems = refused(
        tmp_path, SCENARIO.replace("title: Two-day guarantee missed, jug cracked\n", "")
    )
    assert problems == ["late.yaml:1: title: is required"]


def test_an_unknown_key_names_the_known_ones(tmp_path: Path) -> None:
    (problem,) = refused(tmp_path, MINIMAL + "mood: grumpy\n")
    assert problem.startswith("late.yaml:11: mood: unknown key; expected one of scenario, id,")


def test_an_unknown_action_in_expect(tmp_path: Path) -> None:
    (problem,) = refused(tmp_path, SCENARIO.replace("- action: store_credit", "- action: hug"))
    assert problem.startswith("late.yaml:57: expect.actions[1].action: expected one of discount,")
    assert "got 'hug'" in problem


def test_an_order_in_expect_that_does_not_exist(tmp_path: Path) -> None:
    text = SCENARIO.replace("    - action: refund", "    - action: refund\n      order: W9")
    (problem,) = refused(tmp_path, text)
    assert (
        problem
        == "late.yaml:62: expect.forbidden[0].order: no order 'W9' in this scenario (orders: W1001)"
    )


def test_a_sku_not_in_the_order(tmp_path: Path) -> None:
    (problem,) = refused(tmp_path, SCENARIO.replace("items: [BL-200]", "items: [BL-300]"))
    assert problem == (
        "late.yaml:56: expect.actions[0].items[0]: no item 'BL-300' in order W1001 (items: BL-200)"
    )


def test_a_history_index_that_does_not_exist(tmp_path: Path) -> None:
    (problem,) = refused(tmp_path, SCENARIO.replace("review_history: [2]", "review_history: [3]"))
    assert problem == (
        "late.yaml:63: expect.review_history[0]: expected a history index (0 to 2), got 3"
    )


def test_a_policy_path_that_does_not_exist(tmp_path: Path) -> None:
    (problem,) = refused(tmp_path, MINIMAL.replace("policy.yaml", "missing.yaml"))
    assert problem == (
        "late.yaml:4: policy: missing.yaml: cannot be read (No such file or directory)"
    )


def test_a_policy_file_with_problems_keeps_their_text(tmp_path: Path) -> None:
    (tmp_path / "bad-policy.yaml").write_text("version: 1\ncurrency: USD\nactions: {hug: {}}\n")
    (problem,) = refused(tmp_path, MINIMAL.replace("policy.yaml", "bad-policy.yaml"))
    assert problem.startswith("late.yaml:4: policy: bad-policy.yaml:3: actions.hug: unknown key")


def test_an_inline_policy_that_does_not_load(tmp_path: Path) -> None:
    text = MINIMAL.replace("policy: policy.yaml\n", INLINE_POLICY.replace("20.00", "lots"))
    (problem,) = refused(tmp_path, text)
    assert problem.startswith("late.yaml:9: policy.actions.store_credit.limit.amount: expected")
    assert "got 'lots'" in problem


def test_a_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "late.yaml"
    path.write_bytes(b"scenario: 1\n\x00\x01\x02")
    with pytest.raises(InputRejected) as rejected:
        load_scenario(path)
    assert [str(p) for p in rejected.value.problems] == [
        "late.yaml: is binary (it contains NUL bytes), not a YAML text file"
    ]


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "late.yaml"
    path.write_bytes("title: café\n".encode("latin-1"))
    with pytest.raises(InputRejected, match=r"late.yaml: is not UTF-8 text"):
        load_scenario(path)


@pytest.mark.parametrize("text", ["", "  \n\n", "# only a comment\n"])
def test_an_empty_file_is_refused(tmp_path: Path, text: str) -> None:
    (problem,) = refused(tmp_path, text)
    assert problem.startswith("late.yaml: ") and "expected a scenario" in problem


def test_a_newer_format_asks_for_an_upgrade_alone(tmp_path: Path) -> None:
    problems = refused(tmp_path, MINIMAL.replace("scenario: 1", "scenario: 2") + "future: yes\n")
    assert problems == [
        "late.yaml:1: scenario: is a newer scenario format (2) than this CareDesk reads (1);"
        " upgrade CareDesk to play it"
    ]


def test_an_older_or_odd_format_is_refused(tmp_path: Path) -> None:
    (problem,) = refused(tmp_path, MINIMAL.replace("scenario: 1", "scenario: '1'"))
    assert problem == "late.yaml:1: scenario: expected 1 (the scenario format), got '1'"


def test_a_time_without_a_zone_is_refused(tmp_path: Path) -> None:
    (problem,) = refused(
        tmp_path, SCENARIO.replace("09:00:00Z\n    status", "09:00:00\n    status")
    )
    assert problem == (
        "late.yaml:18: orders[0].placed_at: expected an ISO 8601 time with a zone, like"
        " 2026-11-07T09:00:00Z, got '2026-11-01T09:00:00'"
    )


def test_no_where_a_text_is_expected_is_the_text_no(tmp_path: Path) -> None:
    text = MINIMAL.replace("subject: Hello", "subject: no")
    assert load_scenario(write(tmp_path, text)).contact.subject == "no"
    (problem,) = refused(tmp_path, MINIMAL.replace("subject: Hello", "subject: 12"))
    assert (
        problem
        == "late.yaml:8: contact.subject: expected text, got 12 (put it in quotes to mean text)"
    )


def test_a_sexagesimal_offset_is_refused_not_read_as_90(tmp_path: Path) -> None:
    (problem,) = refused(tmp_path, MINIMAL.replace("at: 0s", "at: 1:30"))
    assert problem == (
        "late.yaml:10: contact.turns[0].at: expected a time from the start like 45s, 2m or 1h30m,"
        " got '1:30'"
    )


def test_every_problem_of_a_file_is_listed(tmp_path: Path) -> None:
    text = (
        SCENARIO.replace("price: 129.00", "price: 129.001")
        .replace("status: delivered", "status: lost")
        .replace("direction: outbound", "direction: sideways")
        .replace("within: 8m", "within: soon")
    )
    problems = refused(tmp_path, text)
    assert sorted(int(p.split(":")[1]) for p in problems) == [19, 23, 32, 65]
    (price,) = (p for p in problems if "price" in p)
    assert price.startswith("late.yaml:23: orders[0].items[0].price: expected an amount >= 0")


def test_a_turn_needs_exactly_one_of_at_and_after_action(tmp_path: Path) -> None:
    (problem,) = refused(tmp_path, MINIMAL.replace("{at: 0s, ", "{at: 0s, after_action: refund, "))
    assert problem == (
        "late.yaml:10: contact.turns[0]: expected exactly one of at, after_action,"
        " got at and after_action"
    )


def test_a_duplicate_key_is_refused(tmp_path: Path) -> None:
    (problem,) = refused(tmp_path, SCENARIO + "id: again\n")
    assert problem == ("late.yaml:66: id: is not valid YAML: duplicate key 'id' (first on line 2)")


def test_duplicate_skus_and_orders_are_refused(tmp_path: Path) -> None:
    twice = SCENARIO.replace(
        "quantity: 1}", "quantity: 1}\n      - {sku: BL-200, name: x, price: 1}"
    )
    twice = twice.replace(
        "\nhistory:",
        "\n  - {id: W1001, placed_at: 2026-11-01T09:00:00Z, "
        "status: pending, items: [{sku: A, name: a, price: 1}]}\nhistory:",
    )
    assert refused(tmp_path, twice) == [
        "late.yaml:24: orders[0].items[1].sku: sku 'BL-200' is used twice; each must be unique",
        "late.yaml:26: orders[1].id: order id 'W1001' is used twice; each must be unique",
    ]


def test_items_and_amounts_only_where_the_action_takes_them(tmp_path: Path) -> None:
    text = SCENARIO.replace("- action: store_credit", "- action: reship\n      items: [BL-200]")
    problems = refused(tmp_path, text)
    assert "late.yaml:58: expect.actions[1].items: reship takes no items" in problems
    assert any(
        p.startswith("late.yaml:60: expect.actions[1].amount: reship has no amount")
        for p in problems
    )


def test_aliases_big_files_and_lists_are_refused(tmp_path: Path) -> None:
    (problem,) = refused(
        tmp_path, MINIMAL.replace("title: Nothing", "title: &t Nothing") + "x: *t\n"
    )
    assert "anchors and aliases" in problem
    (problem,) = refused(tmp_path, MINIMAL + "#" * (1024 * 1024))
    assert "1 MB" in problem
    (problem,) = refused(tmp_path, "- a\n- list\n")
    assert problem.startswith("late.yaml:1: expected a mapping")


def test_a_yaml_1_1_directive_is_refused(tmp_path: Path) -> None:
    (problem,) = refused(tmp_path, "%YAML 1.1\n---\n" + MINIMAL)
    assert "only YAML 1.2 is read" in problem


# Relative times ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("45s", 45), ("2m", 120), ("1h30m", 5400), ("90s", 90), (0, 0), (75, 75), ("15", 15)],
)
def test_offsets(value: object, seconds: int) -> None:
    assert parse_offset(value) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    "value", ["1:30", "", "s", "-5s", "1.5m", "2 m", True, -1, 1.5, None, "5d"]
)
def test_bad_offsets_are_refused(value: object) -> None:
    with pytest.raises(ValueError, match="expected a time from the start like 45s"):
        parse_offset(value)


# Answers -----------------------------------------------------------------------------


def test_the_spec_answers_load(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(ANSWERS, encoding="utf-8")
    answers = load_answers(path)
    assert (answers.scenario, answers.trainee, answers.source) == ("late-blender", "alex", path)
    assert [step.kind for step in answers.steps] == ["open", "reply", "action", "action", "resolve"]
    assert answers.steps[0].history_index == 2
    assert answers.steps[2] == Step(
        at=timedelta(seconds=60),
        kind="action",
        action="replacement",
        order="W1001",
        items=("BL-200",),
        reason="cracked jug",
    )
    assert str(answers.steps[3].amount) == "10.00"
    assert answers.steps[4].resolve == "resolved" and answers.steps[4].at == timedelta(seconds=90)


def test_answers_with_no_steps_load() -> None:
    answers = answers_from_text("scenario: late-blender\nsteps: []\n", Path("a.yaml"))
    assert answers.steps == () and answers.trainee is None


def test_a_step_doing_two_things_is_refused(tmp_path: Path) -> None:
    text = ANSWERS.replace("{at: 90s, resolve", "{at: 90s, reply: bye, resolve")
    assert refused_answers(tmp_path, text) == [
        "answers.yaml:8: steps[4]: expected exactly one of open, reply, action, resolve,"
        " got reply and resolve"
    ]


def test_an_unknown_action_and_a_bad_offset_in_answers(tmp_path: Path) -> None:
    text = ANSWERS.replace("action: store_credit", "action: hug").replace("at: 5s", "at: 1:05")
    problems = refused_answers(tmp_path, text)
    assert problems[0] == (
        "answers.yaml:4: steps[0].at: expected a time from the start like 45s, 2m or 1h30m,"
        " got '1:05'"
    )
    assert problems[1].startswith("answers.yaml:7: steps[3].action: expected one of discount,")


def test_steps_going_back_in_time_are_refused(tmp_path: Path) -> None:
    problems = refused_answers(tmp_path, ANSWERS.replace("at: 75s", "at: 45s"))
    assert problems == [
        "answers.yaml:7: steps[3].at: is before the previous step's; steps go in order"
    ]


def test_answers_name_their_scenario_and_kinds_keep_their_keys(tmp_path: Path) -> None:
    text = ANSWERS.replace("scenario: late-blender\n", "").replace("open: history/2", "open: h2")
    text = text.replace("reply: \"I'm", "order: W1, reply: \"I'm")
    problems = refused_answers(tmp_path, text)
    assert problems == [
        "answers.yaml:1: scenario: is required",
        "answers.yaml:3: steps[0].open: expected history/<index>, like history/2, got 'h2'",
        "answers.yaml:4: steps[1].order: only an action step takes order",
    ]


# Nothing but InputRejected, whatever the text ----------------------------------------

FUZZ_PATH = Path("/nonexistent/caredesk-fuzz/scenario.yaml")
"""Where fuzzed files claim to come from: a relative `policy:` finds nothing there."""

_KEYS = [
    "scenario", "id", "title", "policy", "agent", "now", "customer", "orders", "history",
    "contact", "expect", "turns", "at", "after_action", "items", "sku", "price", "action",
    "order", "amount", "min", "max", "review_history", "steps", "open", "reply", "resolve",
    "version", "currency", "actions", "limit", "grants", "guarantees", "when",
]  # fmt: skip
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(["all", "1:30", "45s", "W1001", "2026-02-30", "2026-11-07T09:00:00Z", "1e400"]),
    st.dates().map(str),
)
_TREES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(_KEYS) | st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=30,
)


def _dumped(data: object) -> str:
    out = io.StringIO()
    YAML(typ="rt").dump(data, out)
    return out.getvalue()


def _paths(node: object, here: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every key path into a parsed file, its root first."""
    below: list[tuple[object, ...]] = [here]
    if isinstance(node, dict):
        for key, value in node.items():
            below += _paths(value, (*here, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            below += _paths(value, (*here, index))
    return below


def _grafted(text: str) -> st.SearchStrategy[str]:
    """`text` with one of its values, at any depth, swapped for a random tree: near misses
    reach every check, where random files mostly stop at the first key."""
    base = YAML(typ="safe").load(text)
    paths = _paths(base)[1:]

    def graft(index: int, tree: object) -> str:
        data = copy.deepcopy(base)
        *parents, last = paths[index]
        node = data
        for key in parents:
            node = node[key]
        node[last] = tree
        return _dumped(data)

    return st.builds(graft, st.integers(0, len(paths) - 1), _TREES)


_FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _only_rejected(text: str) -> None:
    for read in (scenario_from_text, answers_from_text):
        try:
            read(text, FUZZ_PATH)
        except InputRejected as rejected:
            assert rejected.problems and all(p.message for p in rejected.problems)


@_FUZZ
@given(st.text(max_size=300) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_any_text_is_read_or_rejected(text: str) -> None:
    _only_rejected(text)


@_FUZZ
@given(_TREES)
def test_any_yaml_structure_is_read_or_rejected(data: object) -> None:
    _only_rejected(_dumped(data))


@_FUZZ
@given(
    _grafted(SCENARIO.replace("policy: policy.yaml", INLINE_POLICY.rstrip())) | _grafted(ANSWERS)
)
def test_any_near_miss_is_read_or_rejected(text: str) -> None:
    _only_rejected(text)


def test_what_the_replay_could_not_store_is_refused_at_its_line(tmp_path: Path) -> None:
    """`scenario check` must not pass what the replay's world would refuse: an unknown tier,
    an id too long for the database, a NUL; nor an expected action it cannot take."""
    text = (
        SCENARIO.replace("tier: gold", "tier: diamond")
        .replace("id: W1001", f"id: W{'1' * 70}")
        .replace("customer: Can you just send me a new one?", 'customer: "a\\0b"')
        .replace("      items: [BL-200]\n", "")
    )
    problems = refused(tmp_path, text)
    joined = "\n".join(problems)
    assert "customer.tier: 'diamond' is not a tier the policy knows" in joined
    assert "orders[0].id: expected at most 64 characters, got 71" in joined
    assert "expected text without a NUL character" in joined
    assert "expect.actions[0]: replacement needs its items" in joined


def test_a_typed_amount_is_above_zero(tmp_path: Path) -> None:
    text = SCENARIO.replace("amount: {min: 10.00, max: 10.00}", "amount: {min: 0}")
    (problem,) = refused(tmp_path, text)
    assert "expect.actions[1].amount.min: expected an amount above 0" in problem
    steps = "scenario: s\nsteps:\n  - {at: 1s, action: refund, order: W1, amount: 0}\n"
    (problem,) = refused_answers(tmp_path, steps)
    assert "steps[0].amount: expected an amount above 0" in problem


def test_an_action_that_needs_an_order_names_it(tmp_path: Path) -> None:
    text = SCENARIO.replace(
        "    - action: replacement\n      order: W1001\n", "    - action: replacement\n"
    )
    problems = refused(tmp_path, text)
    assert any("expect.actions[0]: replacement needs its order" in p for p in problems)
