"""Reading a policy file: safe YAML, a size cap, no aliases, and every mistake named by key path.

A file with any problem is refused whole, listing them all; no half-loaded policy is ever used.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType

import yaml

from storage.money import to_money
from workspace.errors import InputRejected, Problem
from workspace.policy import Guarantee, Layer, Leaf, Policy
from workspace.vocabulary import ActionKind, OrderStatus
from workspace.yaml_safe import join, node_paths, refusal, strict_loader

_ACTIONS = tuple(ActionKind)
_ORDER_STATUSES = tuple(OrderStatus)

MAX_BYTES = 1024 * 1024
"""Policy files over 1 MB are refused unread."""

DEFAULT_POLICY = Path(__file__).with_name("default_policy.yaml")
"""The policy CareDesk ships with (the example in the policy specification)."""

_CURRENCY = re.compile(r"[A-Z]{3}")

MAX_MONEY = Decimal("999999999999.99")
"""The largest amount a policy names: what an import's money columns hold."""

MAX_COUNT = 2**63 - 1
"""The largest count (grants in a budget or per customer): a 64-bit integer column's."""

MAX_DAYS = 36_525
"""The longest span in days (`order_age_days`, `per_customer.days`, `late_by_days`): a century;
a longer one would overflow the date arithmetic that applies it."""


class _Bad(Exception):
    """A value that is not what its key expects; the message says what was."""


_NoAliasLoader = strict_loader("a policy file")  # aliases, repeated keys, deep nesting


def _shown(value: object) -> str:
    """A value as a message quotes it: escaped, and short however long the value is."""
    try:
        text = repr(value)
    except ValueError:  # an int too long for str(): PyYAML refuses those, parse_policy may not
        return "a number of thousands of digits"
    return text if len(text) <= 60 else f"{text[:57]}..."


def _money(value: object) -> Decimal:
    expected = (
        f"expected a decimal amount >= 0 (at most {MAX_MONEY}) with at most 2 decimals,"
        f" got {_shown(value)}"
    )
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _Bad(expected)
    if isinstance(value, int) and not 0 <= value <= MAX_MONEY:
        raise _Bad(expected)  # before str(): an int of thousands of digits has none
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise _Bad(expected) from None
    exponent = amount.as_tuple().exponent
    if not amount.is_finite() or not 0 <= amount <= MAX_MONEY:
        raise _Bad(expected)
    if isinstance(exponent, int) and exponent < -2:
        raise _Bad(expected)
    return to_money(amount)


def _percent(value: object) -> Decimal:
    try:
        percent = _money(value)
    except _Bad:
        percent = Decimal(-1)
    if not 0 <= percent <= 100:
        raise _Bad(f"expected a percentage from 0 to 100, got {_shown(value)}")
    return percent


def _whole(most: int) -> Callable[[object], int]:
    def check(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
            raise _Bad(f"expected a whole number from 1 to {most}, got {_shown(value)}")
        return value

    return check


_count = _whole(MAX_COUNT)
_days = _whole(MAX_DAYS)


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise _Bad(f"expected true or false, got {_shown(value)}")
    return value


def _statuses(value: object) -> tuple[str, ...]:
    known = ", ".join(_ORDER_STATUSES)
    if not isinstance(value, list) or not value or any(v not in _ORDER_STATUSES for v in value):
        raise _Bad(f"expected a list of order states from {known}, got {_shown(value)}")
    return tuple(str(v) for v in value)


_Check = Callable[[object], Leaf]
_RULE: dict[str, _Check | dict[str, _Check]] = {
    "requires_reason": _flag,
    "limit": {"amount": _money, "percent_of_order": _percent},
    "approval": {"up_to_amount": _money},
    "budget": {"amount": _money, "count": _count},
    "per_customer": {"count": _count, "days": _days},
    "order_status": _statuses,
    "order_age_days": _days,
}
"""The keys of an action rule; a nested dict is a mapping of its own."""


class _Reader:
    """Walks a parsed policy, collecting every problem rather than stopping at the first."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.problems: list[Problem] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(where=self.where, field=path or None, message=message))

    def mapping(self, value: object, path: str, what: str) -> dict[str, object]:
        """`value` as a mapping with string keys (None reads as empty), or {} after a problem."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(path, f"expected a mapping of {what}, got {_shown(value)}")
            return {}
        for key in value:
            if not isinstance(key, str):
                self.problem(path, f"expected text keys, got {_shown(key)}")
        return {k: v for k, v in value.items() if isinstance(k, str)}

    def known(self, data: Mapping[str, object], path: str, keys: Collection[str]) -> None:
        """Report every key of `data` that is not one of `keys`."""
        for key in data:
            if key not in keys:
                self.problem(join(path, key), f"unknown key; expected one of {', '.join(keys)}")

    def layer(self, value: object, path: str) -> Layer:
        """One action rule, flattened to leaf paths (`limit.amount`)."""
        data = self.mapping(value, path, "rule keys")
        self.known(data, path, _RULE)
        flat: dict[str, Leaf] = {}
        for key, check in _RULE.items():
            if key not in data:
                continue
            if isinstance(check, dict):
                inner = self.mapping(data[key], f"{path}.{key}", f"{key} keys")
                if data[key] is None or data[key] == {}:
                    self.problem(f"{path}.{key}", f"expected one or more of {', '.join(check)}")
                self.known(inner, f"{path}.{key}", check)
                for name, leaf_check in check.items():
                    if name in inner:
                        self.leaf(flat, f"{key}.{name}", inner[name], path, leaf_check)
            else:
                self.leaf(flat, key, data[key], path, check)
        return MappingProxyType(flat)

    def leaf(
        self, flat: dict[str, Leaf], leaf: str, value: object, path: str, check: _Check
    ) -> None:
        try:
            flat[leaf] = check(value)
        except _Bad as bad:
            self.problem(f"{path}.{leaf}", str(bad))

    def actions(
        self, value: object, path: str, base: Mapping[str, Layer] | None
    ) -> dict[str, Layer]:
        """Rules by action name: the base `actions`, or one tier's or role's overrides."""
        data = self.mapping(value, path, "actions")
        self.known(data, path, _ACTIONS)
        rules: dict[str, Layer] = {}
        for name in (n for n in data if n in _ACTIONS):
            at = join(path, name)
            rules[name] = rule = self.layer(data[name], at)
            if base is not None and name not in base:
                self.problem(at, f"overrides {name}, which is not under actions")
            merged = {**(base or {}).get(name, {}), **rule}
            if "per_customer.count" in merged and "per_customer.days" in merged:
                continue
            if any(leaf.startswith("per_customer.") for leaf in merged):
                self.problem(f"{at}.per_customer", "expected both count and days")
        return rules

    def overrides(
        self, value: object, path: str, base: Mapping[str, Layer]
    ) -> dict[str, Mapping[str, Layer]]:
        data = self.mapping(value, path, "names")
        return {
            name: MappingProxyType(self.actions(rules, join(path, name), base))
            for name, rules in data.items()
        }

    def guarantee(self, name: str, value: object, base: Mapping[str, Layer]) -> Guarantee | None:
        path = join("guarantees", name)
        data = self.mapping(value, path, "when and grants")
        self.known(data, path, ("when", "grants"))
        when = self.mapping(data.get("when"), f"{path}.when", "conditions")
        grants = self.mapping(data.get("grants"), f"{path}.grants", "what is granted")
        self.known(when, f"{path}.when", ("late_by_days",))
        self.known(grants, f"{path}.grants", ("action", "amount"))
        before = len(self.problems)
        late = self.required(when, f"{path}.when.late_by_days", _days)
        amount = self.required(grants, f"{path}.grants.amount", _money)
        action = grants.get("action")
        if action not in base:
            allowed = ", ".join(base) or "nothing"
            self.problem(
                f"{path}.grants.action",
                f"expected an action under actions ({allowed}), got {_shown(action)}",
            )
        if len(self.problems) > before:
            return None
        assert isinstance(late, int) and isinstance(amount, Decimal) and isinstance(action, str)
        return Guarantee(name=name, late_by_days=late, action=ActionKind(action), amount=amount)

    def required(self, data: Mapping[str, object], path: str, check: _Check) -> Leaf | None:
        key = path.rsplit(".", 1)[1]
        if key not in data:
            self.problem(path, "is required")
            return None
        try:
            return check(data[key])
        except _Bad as bad:
            self.problem(path, str(bad))
            return None


def parse_policy(data: object, source: str) -> Policy:
    """A `Policy` from parsed YAML; raises `InputRejected` listing every problem, if any."""
    reader = _Reader(source)
    if not isinstance(data, dict):
        got = "nothing (the file is empty)" if data is None else _shown(data)
        reader.problem("", f"expected a mapping with version, currency and actions, got {got}")
        raise InputRejected(source, reader.problems)
    top = reader.mapping(data, "", "sections")
    reader.known(top, "", ("version", "currency", "actions", "tiers", "roles", "guarantees"))
    for key in ("version", "currency", "actions"):
        if key not in top:
            reader.problem(key, "is required")
    version, currency = top.get("version"), top.get("currency")
    if "version" in top and (isinstance(version, bool) or version != 1):
        reader.problem("version", f"expected 1, got {_shown(version)}")
    if "currency" in top and not (isinstance(currency, str) and _CURRENCY.fullmatch(currency)):
        wanted = f"expected a three-letter currency code (USD), got {_shown(currency)}"
        reader.problem("currency", wanted)
    actions = reader.actions(top.get("actions"), "actions", None)
    tiers = reader.overrides(top.get("tiers"), "tiers", actions)
    roles = reader.overrides(top.get("roles"), "roles", actions)
    promises = reader.mapping(top.get("guarantees"), "guarantees", "guarantees")
    guarantees = {name: reader.guarantee(name, value, actions) for name, value in promises.items()}
    if reader.problems:
        raise InputRejected(source, reader.problems)
    return Policy(
        version=1,
        currency=str(currency),
        actions=MappingProxyType(actions),
        tiers=MappingProxyType(tiers),
        roles=MappingProxyType(roles),
        guarantees=MappingProxyType({k: g for k, g in guarantees.items() if g is not None}),
    )


def load_policy(path: Path) -> Policy:
    """Read and validate a policy file; raises `InputRejected` naming the file and each problem."""
    return policy_from_text(read_policy_text(path), path)


def read_policy_text(path: Path) -> str:
    """The text of a policy file, refused unread when too large, not UTF-8 or unreadable."""

    def refuse(message: str) -> InputRejected:
        return InputRejected(str(path), [Problem(where=path.name, field=None, message=message)])

    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise refuse(f"is {size} bytes; a policy file may be at most {MAX_BYTES} bytes (1 MB)")
        text = path.read_bytes()[: MAX_BYTES + 1].decode("utf-8")
    except OSError as error:
        raise refuse(f"cannot be read ({error.strerror})") from None
    except ValueError as error:  # a name with a NUL in it, as a scenario's `policy:` may give
        if isinstance(error, UnicodeDecodeError):
            raise refuse("is not UTF-8 text") from None
        raise refuse(f"cannot be read ({error})") from None
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise refuse(f"is over {MAX_BYTES} bytes; a policy file may be at most 1 MB")
    return text


def policy_from_text(text: str, path: Path) -> Policy:
    """Validate the text of a policy (read from `path`, or stored under that name)."""

    try:
        loader = _NoAliasLoader(text)  # a SafeLoader refusing aliases, repeats, deep nesting
        try:
            root = loader.get_single_node()
            data = None if root is None else loader.construct_document(root)
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        line, key_path, reason = refusal(error)
        where = path.name if line is None else f"{path.name}:{line}"
        problem = Problem(where=where, field=key_path, message=f"is not valid YAML: {reason}")
        raise InputRejected(str(path), [problem]) from None
    try:
        return parse_policy(data, path.name)
    except InputRejected as rejected:
        lines = node_paths(root)
        problems = [_at_line(p, path.name, lines) for p in rejected.problems]
        raise InputRejected(str(path), problems) from None


def _at_line(problem: Problem, name: str, lines: dict[str, int]) -> Problem:
    """`problem` at the line of its key path (or of the nearest key above it) in the file."""
    field = problem.field or ""
    while field and field not in lines:
        field = field.rpartition(".")[0]
    if not field:
        return problem
    return Problem(where=f"{name}:{lines[field]}", field=problem.field, message=problem.message)


def default_policy() -> Policy:
    """The policy CareDesk ships with, used until an operations manager supplies one."""
    return load_policy(DEFAULT_POLICY)
