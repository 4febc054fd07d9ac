"""Reading scenario and answers files (specs/scenario.md) into the replay model.

YAML 1.2 through ruamel's round-trip loader, so `no` stays text, `1:30` is not 90 and every
value keeps its line. A file with any problem is refused whole, listing every problem with its
line and key path, as `workspace.policy_file` does for policies: a trainer fixes a file in one go.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from workspace.errors import InputRejected, Problem
from workspace.policy import Policy, known_tiers
from workspace.policy_file import load_policy, parse_policy
from workspace.replay.model import (
    FORMAT_VERSION,
    AmountRange,
    Answers,
    Contact,
    Expect,
    ExpectedAction,
    ForbiddenAction,
    HistoryEntry,
    Scenario,
    ScenarioAgent,
    ScenarioCustomer,
    ScenarioItem,
    ScenarioOrder,
    Step,
    StepKind,
    Turn,
)
from workspace.replay.yaml_input import (  # the limits, as this module's own too
    MAX_BYTES as MAX_BYTES,
)
from workspace.replay.yaml_input import (
    MAX_DEPTH as MAX_DEPTH,
)
from workspace.replay.yaml_input import (
    MAX_OFFSET as MAX_OFFSET,
)
from workspace.replay.yaml_input import (
    MAX_PROBLEMS as MAX_PROBLEMS,
)
from workspace.replay.yaml_input import (
    At,
    Reader,
    action_kind,
    any_text,
    day,
    disposition,
    identifier,
    key_text,
    line_of,
    moment,
    money,
    parse_offset,
    parse_yaml,
    plain,
    positive_money,
    positive_offset,
    printable,
    quantity,
    read_text,
    shown,
    text_value,
    word_of,
)
from workspace.vocabulary import ActionKind, Channel, OrderStatus, Role

DEFAULT_NOW = datetime(2026, 1, 1, 9, tzinfo=UTC)
"""The clock of a scenario that names no moment at all."""
_OPEN = re.compile(r"history/\d{1,9}", re.ASCII)
_DIRECTIONS = ("inbound", "outbound")
_STEP_KINDS: tuple[StepKind, ...] = ("open", "reply", "action", "resolve")
_ACTION_ONLY = ("order", "items", "amount", "reason")

_TOP = (
    "scenario", "id", "title", "policy", "agent", "now",
    "customer", "orders", "history", "contact", "expect",
)  # fmt: skip
_REQUIRED = ("scenario", "id", "title", "policy", "customer", "contact")
_CUSTOMER = ("id", "name", "email", "phone", "tier", "since")
_ORDER = ("id", "placed_at", "status", "promised_by", "delivered_at", "items")
_ITEM = ("sku", "name", "price", "quantity")
_HISTORY = ("at", "channel", "direction", "text", "subject", "author")
_NO_POLICY = Policy(1, "", MappingProxyType({}), MappingProxyType({}), MappingProxyType({}), {})
"""Stands in for a policy that did not load, in a scenario refused for it."""
_EXPECT = ("actions", "forbidden", "disposition", "review_history", "reply_phrases_any", "within")


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario file; `InputRejected` names the file and every problem."""
    return scenario_from_text(read_text(path), path)


def scenario_from_text(text: str, path: Path) -> Scenario:
    """Validate a scenario's text, read from `path` (named in messages; a relative `policy:` is
    found next to it)."""
    return read_scenario(parse_yaml(text, path, "scenario"), path)


def read_scenario(root: At, path: Path) -> Scenario:
    """Validate a scenario's parsed mapping (`root`, as `parse_yaml` gives it, or built in
    Python) read from `path`; `InputRejected` names the file and every problem."""
    reader = Reader(path)
    _refuse_newer(root, path)
    top = reader.fields(root, _TOP, _REQUIRED)
    orders = _orders(reader, top.get("orders"))
    history = tuple(_entry(reader, at) for at in reader.items(top.get("history"), "messages"))
    scenario = Scenario(
        version=reader.check(top.get("scenario"), _format, FORMAT_VERSION),
        id=reader.check(top.get("id"), identifier, ""),
        title=reader.check(top.get("title"), text_value, ""),
        policy=_policy(reader, top.get("policy")),
        customer=_customer(reader, top.get("customer")),
        contact=_contact(reader, top.get("contact")),
        now=reader.optional(top.get("now"), moment) or _default_now(orders, history),
        agent=_agent(reader, top.get("agent")),
        orders=orders,
        history=history,
        expect=_expect(reader, top.get("expect"), _by_id(orders), len(history)),
        source=path,
    )
    _check_tier(reader, top.get("customer"), scenario)
    reader.done()
    return scenario


def _check_tier(reader: Reader, customer: At | None, scenario: Scenario) -> None:
    """The customer's tier must be one the scenario's policy knows, as an import asks."""
    tiers = known_tiers(scenario.policy)
    if customer is None or not scenario.policy.actions or scenario.customer.tier in tiers:
        return
    line = line_of(customer.value, "tier", customer.line)
    known = ", ".join(sorted(tiers))
    reader.problem(
        line,
        "customer.tier",
        f"{scenario.customer.tier!r} is not a tier the policy knows; expected one of {known}",
    )


def _refuse_newer(root: At, path: Path) -> None:
    """A newer format is refused alone: its other keys may be right in a newer CareDesk."""
    assert isinstance(root.value, dict)
    version = root.value.get("scenario")
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        message = (
            f"is a newer scenario format ({shown(version)}) than this CareDesk reads"
            f" ({FORMAT_VERSION});"
            " upgrade CareDesk to play it"
        )
        where = f"{path.name}:{line_of(root.value, 'scenario', root.line)}"
        raise InputRejected(str(path), [Problem(where=where, field="scenario", message=message)])


def _format(value: object) -> int:
    if isinstance(value, bool) or value != FORMAT_VERSION:
        raise ValueError(f"expected {FORMAT_VERSION} (the scenario format), got {shown(value)}")
    return FORMAT_VERSION


def _policy(reader: Reader, at: At | None) -> Policy:
    """The policy named by path (next to the scenario) or written inline; its problems are
    this file's, at `policy`."""
    if at is not None and isinstance(at.value, dict):
        return _inline_policy(reader, at)
    name = reader.check(at, text_value, None)
    if at is None or name is None:
        return _NO_POLICY
    try:
        return load_policy(reader.path.parent / name)
    except InputRejected as rejected:
        for problem in rejected.problems:
            reader.problem(at.line, at.path, printable(str(problem).strip()))
    except Exception as error:  # noqa: BLE001 - the policy reader is not ours to trust on odd files
        message = f"{shown(name)} cannot be read as a policy ({type(error).__name__})"
        reader.problem(at.line, at.path, message)
    return _NO_POLICY


def _inline_policy(reader: Reader, at: At) -> Policy:
    try:
        return parse_policy(plain(at.value), reader.path.name)
    except InputRejected as rejected:
        for problem in rejected.problems:
            field = f"{at.path}.{problem.field}" if problem.field else at.path
            reader.problem(_line_in(at, problem.field), field, problem.message)
    except Exception as error:  # noqa: BLE001 - the policy reader is not ours to trust on odd values
        reader.problem(at.line, at.path, f"cannot be read as a policy ({type(error).__name__})")
    return _NO_POLICY


def _line_in(at: At, keypath: str | None) -> int:
    """The line of the deepest key of a dotted path found under `at`."""
    line, node = at.line, at.value
    for key in (keypath or "").split("."):
        if not isinstance(node, dict) or key not in node:
            break
        line, node = line_of(node, key, line), node[key]
    return line


def _agent(reader: Reader, at: At | None) -> ScenarioAgent:
    if at is None or at.value is None:
        return ScenarioAgent()
    found = reader.fields(at, ("name", "role"))
    return ScenarioAgent(
        name=reader.check(found.get("name"), text_value, "trainee"),
        role=reader.check(found.get("role"), word_of(Role), "agent"),
    )


def _customer(reader: Reader, at: At | None) -> ScenarioCustomer:
    found = reader.fields(at, _CUSTOMER, ("id", "name"))
    return ScenarioCustomer(
        id=reader.check(found.get("id"), key_text, ""),
        name=reader.check(found.get("name"), text_value, ""),
        email=reader.optional(found.get("email"), text_value),
        phone=reader.optional(found.get("phone"), text_value),
        tier=reader.check(found.get("tier"), text_value, "standard"),
        since=reader.optional(found.get("since"), day),
    )


def _orders(reader: Reader, at: At | None) -> tuple[ScenarioOrder, ...]:
    seen: set[str] = set()
    return tuple(_order(reader, item, seen) for item in reader.items(at, "orders"))


def _order(reader: Reader, at: At, seen: set[str]) -> ScenarioOrder:
    found = reader.fields(at, _ORDER, ("id", "placed_at", "status", "items"))
    order_id = _unique(reader, found.get("id"), seen, "order id")
    skus: set[str] = set()
    items = reader.items(found.get("items"), "items (sku, name, price)", empty=False)
    return ScenarioOrder(
        id=order_id,
        placed_at=reader.check(found.get("placed_at"), moment, DEFAULT_NOW),
        status=reader.check(found.get("status"), word_of(OrderStatus), OrderStatus.PENDING.value),
        items=tuple(_item(reader, item, skus) for item in items),
        promised_by=reader.optional(found.get("promised_by"), day),
        delivered_at=reader.optional(found.get("delivered_at"), moment),
    )


def _by_id(orders: Iterable[ScenarioOrder]) -> dict[str, ScenarioOrder]:
    """Orders by id; of two with one id (a problem already noted) the first."""
    found: dict[str, ScenarioOrder] = {}
    for order in orders:
        found.setdefault(order.id, order)
    return found


def _unique(reader: Reader, at: At | None, seen: set[str], what: str) -> str:
    """Text that no earlier sibling used."""
    value = reader.check(at, key_text, "")
    if at is not None and value and value in seen:
        reader.problem(at.line, at.path, f"{what} {value!r} is used twice; each must be unique")
    seen.add(value)
    return value


def _item(reader: Reader, at: At, skus: set[str]) -> ScenarioItem:
    found = reader.fields(at, _ITEM, ("sku", "name", "price"))
    return ScenarioItem(
        sku=_unique(reader, found.get("sku"), skus, "sku"),
        name=reader.check(found.get("name"), text_value, ""),
        price=reader.check(found.get("price"), money, Decimal("0.00")),
        quantity=reader.check(found.get("quantity"), quantity, 1),
    )


def _direction(value: object) -> Literal["inbound", "outbound"]:
    if value == "inbound":
        return "inbound"
    if value == "outbound":
        return "outbound"
    raise ValueError(f"expected one of {', '.join(_DIRECTIONS)}, got {shown(value)}")


def _entry(reader: Reader, at: At) -> HistoryEntry:
    found = reader.fields(at, _HISTORY, ("at", "channel", "direction", "text"))
    return HistoryEntry(
        at=reader.check(found.get("at"), moment, DEFAULT_NOW),
        channel=reader.check(found.get("channel"), word_of(Channel), Channel.CHAT.value),
        direction=reader.check(found.get("direction"), _direction, "inbound"),
        text=reader.check(found.get("text"), text_value, ""),
        subject=reader.optional(found.get("subject"), text_value),
        author=reader.optional(found.get("author"), text_value),
    )


def _contact(reader: Reader, at: At | None) -> Contact:
    found = reader.fields(at, ("channel", "subject", "turns"), ("channel", "subject", "turns"))
    turns = reader.items(found.get("turns"), "turns (customer, and at or after_action)", False)
    return Contact(
        channel=reader.check(found.get("channel"), word_of(Channel), Channel.CHAT.value),
        subject=reader.check(found.get("subject"), text_value, ""),
        turns=tuple(_turn(reader, turn) for turn in turns),
    )


def _turn(reader: Reader, at: At) -> Turn:
    found = reader.fields(at, ("customer", "at", "after_action"), ("customer",))
    reader.one_of(at, found, ("at", "after_action"))
    return Turn(
        customer=reader.check(found.get("customer"), text_value, ""),
        at=reader.optional(found.get("at"), parse_offset),
        after_action=reader.optional(found.get("after_action"), action_kind),
    )


def _expect(
    reader: Reader, at: At | None, orders: dict[str, ScenarioOrder], history: int
) -> Expect:
    if at is None or at.value is None:
        return Expect()
    found = reader.fields(at, _EXPECT)
    actions = reader.items(found.get("actions"), "actions (action, order, items, amount)")
    forbidden = reader.items(found.get("forbidden"), "actions (action, order)")
    return Expect(
        actions=tuple(_expected(reader, action, orders) for action in actions),
        forbidden=tuple(_forbidden(reader, action, orders) for action in forbidden),
        disposition=reader.optional(found.get("disposition"), disposition),
        review_history=_review(reader, found.get("review_history"), history),
        reply_phrases_any=reader.texts(found.get("reply_phrases_any"), "phrases", empty=False),
        within=reader.optional(found.get("within"), positive_offset),
    )


def _expected(reader: Reader, at: At, orders: dict[str, ScenarioOrder]) -> ExpectedAction:
    found = reader.fields(at, ("action", "order", "items", "amount"), ("action",))
    action = reader.check(found.get("action"), action_kind, None)
    order = _order_ref(reader, found.get("order"), orders)
    kind = ActionKind(action) if action is not None else None
    if "items" in found and kind is not None and not kind.takes_items:
        reader.problem(found["items"].line, found["items"].path, f"{kind} takes no items")
    if "items" in found and "order" not in found:
        reader.problem(found["items"].line, found["items"].path, "items need their order")
    if "amount" in found and kind is not None and not kind.typed_amount:
        typed = ", ".join(k for k in ActionKind if k.typed_amount)
        amount = found["amount"]
        reader.problem(amount.line, amount.path, f"{kind} has no amount (only {typed} do)")
    if kind is not None and kind.needs_order and "order" not in found:
        reader.problem(at.line, at.path, f"{kind} needs its order: expected order: <an order id>")
    if kind is not None and kind.takes_items and "items" not in found:
        reader.problem(at.line, at.path, f"{kind} needs its items: expected items: [<sku>, ...]")
    return ExpectedAction(
        action=action or "",
        order=order,
        items=_skus(reader, found.get("items"), orders.get(order or "")),
        amount=_range(reader, found.get("amount")),
    )


def _forbidden(reader: Reader, at: At, orders: dict[str, ScenarioOrder]) -> ForbiddenAction:
    found = reader.fields(at, ("action", "order"), ("action",))
    return ForbiddenAction(
        action=reader.check(found.get("action"), action_kind, ""),
        order=_order_ref(reader, found.get("order"), orders),
    )


def _order_ref(reader: Reader, at: At | None, orders: dict[str, ScenarioOrder]) -> str | None:
    """An order id that must be one of the scenario's orders."""
    order_id = reader.optional(at, text_value)
    if at is not None and order_id is not None and order_id not in orders:
        known = ", ".join(orders) or "none"
        reader.problem(
            at.line, at.path, f"no order {order_id!r} in this scenario (orders: {known})"
        )
    return order_id


def _skus(reader: Reader, at: At | None, order: ScenarioOrder | None) -> tuple[str, ...]:
    """Skus that must be items of `order` (when it is known)."""
    skus = []
    for item in reader.items(at, "skus", empty=False):
        sku = reader.check(item, text_value, "")
        known = [i.sku for i in order.items] if order is not None else []
        if sku and order is not None and sku not in known:
            message = f"no item {sku!r} in order {order.id} (items: {', '.join(known)})"
            reader.problem(item.line, item.path, message)
        skus.append(sku)
    return tuple(skus)


def _range(reader: Reader, at: At | None) -> AmountRange | None:
    """`{min, max}`, either optional, or one amount meaning exactly that."""
    if at is None or at.value is None:
        return None
    if not isinstance(at.value, dict):
        amount = reader.check(at, positive_money, None)
        return AmountRange(amount, amount)
    found = reader.fields(at, ("min", "max"))
    low = reader.optional(found.get("min"), positive_money)
    high = reader.optional(found.get("max"), positive_money)
    if not at.value:
        reader.problem(at.line, at.path, "expected min, max or both")
    if low is not None and high is not None and low > high:
        reader.problem(at.line, at.path, f"min {low} is above max {high}")
    return AmountRange(low, high)


def _review(reader: Reader, at: At | None, history: int) -> tuple[int, ...]:
    """History indexes to open: a list, or `all`."""
    if at is None or at.value is None:
        return ()
    if at.value == "all":
        return tuple(range(history))
    known = f"0 to {history - 1}" if history else "none: the scenario has no history"
    indexes: list[int] = []
    for item in reader.items(at, "history indexes (0-based), or all", empty=False):
        index = item.value
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < history:
            message = f"expected a history index ({known}), got {shown(index)}"
            reader.problem(item.line, item.path, message)
        elif index not in indexes:
            indexes.append(int(index))
    return tuple(indexes)


def _default_now(orders: Iterable[ScenarioOrder], history: Iterable[HistoryEntry]) -> datetime:
    """One hour after the latest moment the scenario names: the contact comes after them."""
    moments = [entry.at for entry in history]
    for order in orders:
        moments += [order.placed_at] + ([order.delivered_at] if order.delivered_at else [])
    if not moments:
        return DEFAULT_NOW
    try:
        return max(moments) + timedelta(hours=1)
    except OverflowError:
        return max(moments)


# Answers.

_STEP = ("at", *_STEP_KINDS, *_ACTION_ONLY)


def load_answers(path: Path) -> Answers:
    """Read and validate an answers file; `InputRejected` names the file and every problem."""
    return answers_from_text(read_text(path), path)


def answers_from_text(text: str, path: Path) -> Answers:
    """Validate an answers file's text on its own: whether it fits a scenario is the scorer's
    to say."""
    return read_answers(parse_yaml(text, path, "answers file"), path)


def read_answers(root: At, path: Path) -> Answers:
    """Validate an answers file's parsed mapping (`root`, as `parse_yaml` gives it, or built
    in Python) read from `path`; `InputRejected` names the file and every problem."""
    reader = Reader(path)
    top = reader.fields(root, ("scenario", "steps", "trainee"), ("scenario", "steps"))
    answers = Answers(
        scenario=reader.check(top.get("scenario"), identifier, ""),
        steps=_steps(reader, reader.items(top.get("steps"), "steps (at, and what was done)")),
        trainee=reader.optional(top.get("trainee"), text_value),
        source=path,
    )
    reader.done()
    return answers


def _steps(reader: Reader, items: list[At]) -> tuple[Step, ...]:
    """Every step, in the order they happened: a step before the previous one is a problem."""
    steps: list[Step] = []
    for at in items:
        step = _step(reader, at)
        if step is None:
            continue
        if steps and step.at < steps[-1].at:
            line = line_of(at.value, "at", at.line)
            reader.problem(
                line, f"{at.path}.at", "is before the previous step's; steps go in order"
            )
        steps.append(step)
    return tuple(steps)


def _step(reader: Reader, at: At) -> Step | None:
    found = reader.fields(at, _STEP, ("at",))
    kind = reader.one_of(at, found, _STEP_KINDS)
    for key in _ACTION_ONLY:
        if key in found and kind is not None and kind != "action":
            reader.problem(found[key].line, found[key].path, f"only an action step takes {key}")
    at_ = reader.check(found.get("at"), parse_offset, None)
    step = Step(
        at=at_ or timedelta(0),
        kind=kind or "open",
        open=reader.optional(found.get("open"), _open),
        reply=reader.optional(found.get("reply"), text_value),
        action=reader.optional(found.get("action"), action_kind),
        order=reader.optional(found.get("order"), text_value),
        items=reader.texts(found.get("items"), "skus"),
        amount=reader.optional(found.get("amount"), positive_money),
        reason=reader.optional(found.get("reason"), any_text) or "",
        resolve=reader.optional(found.get("resolve"), disposition),
    )
    return step if kind is not None and at_ is not None else None


def _open(value: object) -> str:
    if isinstance(value, str) and _OPEN.fullmatch(value):
        return str(value)
    raise ValueError(f"expected history/<index>, like history/2, got {shown(value)}")
