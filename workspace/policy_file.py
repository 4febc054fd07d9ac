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
from workspace.yaml_safe import strict_loader

_ACTIONS = tuple(ActionKind)
_ORDER_STATUSES = tuple(OrderStatus)

MAX_BYTES = 1024 * 1024
"""Policy files over 1 MB are refused unread."""

DEFAULT_POLICY = Path(__file__).with_name("default_policy.yaml")
"""The policy CareDesk ships with (the example in the policy specification)."""

_CURRENCY = re.compile(r"[A-Z]{3}")


class _Bad(Exception):
    """A value that is not what its key expects; the message says what was."""


_NoAliasLoader = strict_loader("a policy file")  # aliases, repeated keys, deep nesting


def _money(value: object) -> Decimal:
    expected = f"expected a decimal amount >= 0 with at most 2 decimals, got {value!r}"
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _Bad(expected)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise _Bad(expected) from None
    exponent = amount.as_tuple().exponent
    if not amount.is_finite() or amount < 0 or (isinstance(exponent, int) and exponent < -2):
        raise _Bad(expected)
    return to_money(amount)


def _percent(value: object) -> Decimal:
    try:
        percent = _money(value)
    except _Bad:
        percent = Decimal(-1)
    if not 0 <= percent <= 100:
        raise _Bad(f"expected a percentage from 0 to 100, got {value!r}")
    return percent


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _Bad(f"expected a whole number >= 1, got {value!r}")
    return value


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise _Bad(f"expected true or false, got {value!r}")
    return value


def _statuses(value: object) -> tuple[str, ...]:
    known = ", ".join(_ORDER_STATUSES)
    if not isinstance(value, list) or not value or any(v not in _ORDER_STATUSES for v in value):
        raise _Bad(f"expected a list of order states from {known}, got {value!r}")
    return tuple(str(v) for v in value)


_Check = Callable[[object], Leaf]
_RULE: dict[str, _Check | dict[str, _Check]] = {
    "requires_reason": _flag,
    "limit": {"amount": _money, "percent_of_order": _percent},
    "approval": {"up_to_amount": _money},
    "budget": {"amount": _money, "count": _count},
    "per_customer": {"count": _count, "days": _count},
    "order_status": _statuses,
    "order_age_days": _count,
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
            self.problem(path, f"expected a mapping of {what}, got {value!r}")
            return {}
        for key in value:
            if not isinstance(key, str):
                self.problem(path, f"expected text keys, got {key!r}")
        return {k: v for k, v in value.items() if isinstance(k, str)}

    def known(self, data: Mapping[str, object], path: str, keys: Collection[str]) -> None:
        """Report every key of `data` that is not one of `keys`."""
        for key in data:
            if key not in keys:
                at = f"{path}.{key}" if path else key
                self.problem(at, f"unknown key; expected one of {', '.join(keys)}")

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
            at = f"{path}.{name}"
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
            name: MappingProxyType(self.actions(rules, f"{path}.{name}", base))
            for name, rules in data.items()
        }

    def guarantee(self, name: str, value: object, base: Mapping[str, Layer]) -> Guarantee | None:
        path = f"guarantees.{name}"
        data = self.mapping(value, path, "when and grants")
        self.known(data, path, ("when", "grants"))
        when = self.mapping(data.get("when"), f"{path}.when", "conditions")
        grants = self.mapping(data.get("grants"), f"{path}.grants", "what is granted")
        self.known(when, f"{path}.when", ("late_by_days",))
        self.known(grants, f"{path}.grants", ("action", "amount"))
        before = len(self.problems)
        late = self.required(when, f"{path}.when.late_by_days", _count)
        amount = self.required(grants, f"{path}.grants.amount", _money)
        action = grants.get("action")
        if action not in base:
            allowed = ", ".join(base) or "nothing"
            self.problem(
                f"{path}.grants.action",
                f"expected an action under actions ({allowed}), got {action!r}",
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
        reader.problem("", f"expected a mapping with version, currency and actions, got {data!r}")
        raise InputRejected(source, reader.problems)
    top = reader.mapping(data, "", "sections")
    reader.known(top, "", ("version", "currency", "actions", "tiers", "roles", "guarantees"))
    for key in ("version", "currency", "actions"):
        if key not in top:
            reader.problem(key, "is required")
    version, currency = top.get("version"), top.get("currency")
    if "version" in top and (isinstance(version, bool) or version != 1):
        reader.problem("version", f"expected 1, got {version!r}")
    if "currency" in top and not (isinstance(currency, str) and _CURRENCY.fullmatch(currency)):
        reader.problem("currency", f"expected a three-letter currency code (USD), got {currency!r}")
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
    except UnicodeDecodeError:
        raise refuse("is not UTF-8 text") from None
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise refuse(f"is over {MAX_BYTES} bytes; a policy file may be at most 1 MB")
    return text


def policy_from_text(text: str, path: Path) -> Policy:
    """Validate the text of a policy (read from `path`, or stored under that name)."""

    def refuse(message: str, where: str = path.name) -> InputRejected:
        return InputRejected(str(path), [Problem(where=where, field=None, message=message)])

    try:
        data = yaml.load(text, Loader=_NoAliasLoader)  # a SafeLoader that refuses aliases
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{path.name}:{mark.line + 1}" if mark is not None else path.name
        raise refuse(f"is not valid YAML: {error.problem or error.context}", where) from None
    except yaml.YAMLError as error:
        raise refuse(f"is not valid YAML: {error}") from None
    try:
        return parse_policy(data, path.name)
    except InputRejected as rejected:
        raise InputRejected(str(path), rejected.problems) from None


def default_policy() -> Policy:
    """The policy CareDesk ships with, used until an operations manager supplies one."""
    return load_policy(DEFAULT_POLICY)
