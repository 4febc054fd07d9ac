"""Reading scenario and answers files (specs/scenario.md) into the replay model.

YAML 1.2 through ruamel's round-trip loader, so `no` stays text, `1:30` is not 90 and every
value keeps its line. A file with any problem is refused whole, listing every problem with its
line and key path, as `workspace.policy_file` does for policies: a trainer fixes a file in one go.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, TypeVar

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer, ComposerError
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import AliasEvent

from storage.money import to_money
from workspace.errors import InputRejected, Problem
from workspace.policy import Policy
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
from workspace.vocabulary import ActionKind, Channel, Disposition, OrderStatus, Role

MAX_BYTES = 1024 * 1024
"""Scenario and answers files over 1 MB are refused unread."""

MAX_DEPTH = 40
"""Deeper nesting than any scenario needs is refused, so no walk can run out of stack."""

MAX_PROBLEMS = 100
"""A refusal lists this many problems and counts the rest, so a broken file stays readable."""

MAX_OFFSET = timedelta(days=366)
"""The longest relative time read; longer is surely a typo."""

DEFAULT_NOW = datetime(2026, 1, 1, 9, tzinfo=UTC)
"""The clock of a scenario that names no moment at all."""

_MONEY_CAP = Decimal(10) ** 12
_ID = re.compile(r"[A-Za-z0-9._-]+", re.ASCII)
_OFFSET = re.compile(r"(?:(\d{1,7})h)?(?:(\d{1,7})m)?(?:(\d{1,9})s)?", re.ASCII)
_OPEN = re.compile(r"history/\d{1,9}", re.ASCII)
_DIRECTIONS = ("inbound", "outbound")
_STEP_KINDS: tuple[StepKind, ...] = ("open", "reply", "action", "resolve")
_ACTION_ONLY = ("order", "items", "amount", "reason")

_T = TypeVar("_T")
_K = TypeVar("_K", bound=str)


# Values: each check takes what YAML produced and returns the model's value, or raises
# ValueError saying what was expected.


def _shown(value: object) -> str:
    """A value as a message quotes it: escaped, and short however long the value is."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _text(value: object) -> str:
    if isinstance(value, str) and value.strip():
        return str(value)  # a plain str, never ruamel's styled subclass
    if isinstance(value, str):
        raise ValueError("expected some text, got an empty string")
    hint = " (put it in quotes to mean text)" if isinstance(value, int | float) else ""
    raise ValueError(f"expected text, got {_shown(value)}{hint}")


def _any_text(value: object) -> str:
    """Text that may be empty (a reason nobody typed)."""
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {_shown(value)}")
    return str(value)


def _identifier(value: object) -> str:
    text = _text(value)
    if not _ID.fullmatch(text):
        raise ValueError(f"expected letters, digits, '-', '_' and '.' only, got {_shown(text)}")
    return text


def _word(words: Iterable[str]) -> Callable[[object], str]:
    """A check that the value is one of `words` (the members of a vocabulary)."""
    known = tuple(str(w) for w in words)

    def check(value: object) -> str:
        if isinstance(value, str) and value in known:
            return str(value)
        raise ValueError(f"expected one of {', '.join(known)}, got {_shown(value)}")

    return check


_action = _word(ActionKind)
_disposition = _word(Disposition)


def _moment(value: object) -> datetime:
    """An aware UTC datetime from ISO 8601 text with a zone."""
    expected = "expected an ISO 8601 time with a zone, like 2026-11-07T09:00:00Z"
    moment: datetime | None = value if isinstance(value, datetime) else None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            moment = None
    if moment is None or moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{expected}, got {_shown(value)}")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{expected}, got {_shown(value)}") from None


def _day(value: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected an ISO 8601 date, like 2026-11-03, got {_shown(value)}")


def _money(value: object) -> Decimal:
    """A Decimal to the cent; floats go through their text, so 129.0 is 129.00."""
    expected = f"expected an amount >= 0 with at most 2 decimals (like 129.00), got {_shown(value)}"
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(expected)
    if isinstance(value, int) and not 0 <= value < _MONEY_CAP:
        raise ValueError(expected)
    text = str(float(value)) if isinstance(value, float) else str(value).strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(expected) from None
    exponent = amount.as_tuple().exponent
    if not amount.is_finite() or not 0 <= amount < _MONEY_CAP:
        raise ValueError(expected)
    if isinstance(exponent, int) and exponent < -2:
        raise ValueError(expected)
    return to_money(amount)


def _quantity(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"expected a whole number >= 1, got {_shown(value)}")
    return int(value)


def parse_offset(value: object) -> timedelta:
    """A relative time (`45s`, `2m`, `1h30m`, or whole seconds) as a timedelta.

    Raises ValueError saying what was expected: `1:30` is refused rather than guessed at.
    """
    expected = f"expected a time from the start like 45s, 2m or 1h30m, got {_shown(value)}"
    seconds: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = int(value) if 0 <= value <= MAX_OFFSET.total_seconds() else None
    elif isinstance(value, str):
        text = value.strip()
        match = _OFFSET.fullmatch(text)
        if text.isascii() and text.isdigit() and len(text) <= 9:
            seconds = int(text)
        elif text and match:
            hours, minutes, secs = (int(part or 0) for part in match.groups())
            seconds = hours * 3600 + minutes * 60 + secs
    if seconds is None or seconds > MAX_OFFSET.total_seconds():
        raise ValueError(expected)
    return timedelta(seconds=seconds)


def _positive_offset(value: object) -> timedelta:
    offset = parse_offset(value)
    if not offset:
        raise ValueError("expected a time longer than 0s")
    return offset


# YAML: ruamel's round-trip loader, refusing what a scenario never needs.


class _Composer(Composer):
    """Refuses aliases and anchors (no alias bomb can expand) and YAML 1.1 documents."""

    def compose_document(self) -> Any:
        event = self.parser.peek_event()
        if getattr(event, "version", None) not in (None, (1, 2)):
            raise ComposerError(
                None, None, "only YAML 1.2 is read; remove the %YAML directive", event.start_mark
            )
        return Composer.compose_document(self)

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent) or getattr(event, "anchor", None) is not None:
            raise ComposerError(
                None, None, "anchors and aliases (&name, *name) are not allowed", event.start_mark
            )
        return super().compose_node(parent, index)


class _Constructor(RoundTripConstructor):
    """Keeps timestamps and dates as the text written, for the loader to read with a zone."""

    def keep_text(self, node: Any) -> str:
        return str(self.construct_scalar(node))


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.keep_text)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.version = (1, 2)
    yaml.Composer = _Composer
    yaml.Constructor = _Constructor
    yaml.max_depth = MAX_DEPTH
    return yaml


def _refuse(path: Path, message: str, line: int | None = None) -> InputRejected:
    where = path.name if line is None else f"{path.name}:{line}"
    return InputRejected(str(path), [Problem(where=where, field=None, message=message)])


def _read_text(path: Path) -> str:
    """A file's text, refused unread when too large, binary, not UTF-8 or unreadable."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise _refuse(path, f"is {size} bytes; a file may be at most {MAX_BYTES} (1 MB)")
        data = path.read_bytes()[: MAX_BYTES + 1]
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise _refuse(path, f"cannot be read ({reason})") from None
    if b"\0" in data:
        raise _refuse(path, "is binary (it contains NUL bytes), not a YAML text file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse(path, "is not UTF-8 text") from None


def _parse(text: str, path: Path, what: str) -> _At:
    """The top-level mapping of a file's text, or InputRejected saying why there is none."""
    try:
        size = len(text) if len(text) > MAX_BYTES else len(text.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate: no file's text has one
        raise _refuse(path, "is not UTF-8 text") from None
    if size > MAX_BYTES:
        raise _refuse(path, f"is over {MAX_BYTES} bytes; a file may be at most 1 MB")
    if "\0" in text:
        raise _refuse(path, "is binary (it contains NUL characters), not a YAML text file")
    if not text.strip():
        raise _refuse(path, f"is empty; expected a {what}")
    try:
        data = _yaml().load(text)
    except YAMLError as error:
        reason, line = _yaml_reason(error), _yaml_line(error, text)
        raise _refuse(path, f"is not valid YAML: {reason}", line) from None
    except Exception as error:  # noqa: BLE001 - ruamel raises more than YAMLError on odd text
        raise _refuse(path, f"is not valid YAML ({type(error).__name__})") from None
    if data is None:
        raise _refuse(path, f"holds no data; expected a {what}")
    if not isinstance(data, dict):
        raise _refuse(path, f"expected a mapping (key: value lines), got {_shown(data)}", 1)
    return _At(data, "", _own_line(data, 1))


def _yaml_reason(error: YAMLError) -> str:
    """What the YAML reader said, on one line and short."""
    parts = (getattr(error, "context", None), getattr(error, "problem", None))
    reason = ", ".join(str(p) for p in parts if p) or getattr(error, "reason", None) or str(error)
    reason = " ".join(str(reason).split())
    return reason if len(reason) <= 200 else f"{reason[:197]}..."


def _yaml_line(error: YAMLError, text: str) -> int | None:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    if mark is not None:
        return int(mark.line) + 1
    position = getattr(error, "position", None)
    return text.count("\n", 0, position) + 1 if isinstance(position, int) else None


def _own_line(container: object, fallback: int) -> int:
    try:
        return int(container.lc.line) + 1  # type: ignore[attr-defined]
    except (AttributeError, TypeError, ValueError):
        return fallback


def _line(container: object, key: object, fallback: int) -> int:
    """The 1-based line of a mapping key (its value's line is off for nulls) or list item."""
    try:
        lc = container.lc  # type: ignore[attr-defined]
        line = lc.item(key)[0] if isinstance(container, list) else lc.key(key)[0]
        return int(line) + 1
    except (AttributeError, KeyError, IndexError, TypeError, ValueError):
        return fallback


def _plain(value: object) -> object:
    """ruamel's containers and scalars as the dicts, lists, ints, floats and strs
    `parse_policy` expects."""
    if isinstance(value, dict):
        return {(str(k) if isinstance(k, str) else k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    for kind in (int, float, str):
        if isinstance(value, kind):
            return kind(value)
    return value


# Walking: every value with its key path and line; problems collected, never raised one by one.


@dataclass(frozen=True)
class _At:
    """A value read from the file, with where it was."""

    value: object
    path: str
    line: int


class _Reader:
    """Walks a parsed file, collecting every problem rather than stopping at the first."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def problem(self, line: int, field: str, message: str) -> None:
        where = f"{self.path.name}:{line}"
        self.problems.append(Problem(where=where, field=field or None, message=message))

    def check(self, at: _At | None, check: Callable[[object], _T], default: _T) -> _T:
        """`check(at.value)`; `default` when absent (a missing key is noted by `fields`) or
        after noting the value's problem."""
        if at is None:
            return default
        try:
            return check(at.value)
        except ValueError as bad:
            self.problem(at.line, at.path, str(bad))
            return default

    def optional(self, at: _At | None, check: Callable[[object], _T]) -> _T | None:
        """An optional value: absent and null are both None."""
        if at is None or at.value is None:
            return None
        return self.check(at, check, None)

    def fields(
        self, at: _At | None, known: Collection[str], required: Collection[str] = ()
    ) -> dict[str, _At]:
        """The entries of a mapping by key; unknown or missing keys are problems."""
        if at is None:
            return {}
        if not isinstance(at.value, dict):
            expected = ", ".join(required or known)
            self.problem(
                at.line, at.path, f"expected a mapping with {expected}, got {_shown(at.value)}"
            )
            return {}
        found: dict[str, _At] = {}
        for key, value in at.value.items():
            line = _line(at.value, key, at.line)
            path = f"{at.path}.{key}" if at.path else str(key)
            if not isinstance(key, str) or key not in known:
                self.problem(line, path, f"unknown key; expected one of {', '.join(known)}")
            else:
                found[key] = _At(value, path, line)
        for key in required:
            if key not in found and key in known:
                self.problem(at.line, f"{at.path}.{key}" if at.path else key, "is required")
        return found

    def items(self, at: _At | None, what: str, empty: bool = True) -> list[_At]:
        """The entries of a list, each with its own path and line."""
        if at is None or (at.value is None and empty):
            return []
        if not isinstance(at.value, list) or (not at.value and not empty):
            what = what if empty else f"one or more {what}"
            self.problem(at.line, at.path, f"expected a list of {what}, got {_shown(at.value)}")
            return []
        return [
            _At(v, f"{at.path}[{i}]", _line(at.value, i, at.line)) for i, v in enumerate(at.value)
        ]

    def texts(self, at: _At | None, what: str, empty: bool = True) -> tuple[str, ...]:
        """A list of non-empty texts."""
        return tuple(self.check(item, _text, "") for item in self.items(at, what, empty))

    def one_of(self, at: _At, found: dict[str, _At], keys: Sequence[_K]) -> _K | None:
        """The one key of `keys` a mapping has (null counts as absent); none or several is a
        problem."""
        if not isinstance(at.value, dict):
            return None  # `fields` noted it
        present = [k for k in keys if k in found and found[k].value is not None]
        if len(present) != 1:
            got = " and ".join(present) if present else "none"
            self.problem(at.line, at.path, f"expected exactly one of {', '.join(keys)}, got {got}")
        return present[0] if len(present) == 1 else None

    def done(self) -> None:
        """Refuse the file if anything was wrong, listing the first `MAX_PROBLEMS` problems."""
        if self.problems:
            shown, more = self.problems[:MAX_PROBLEMS], len(self.problems) - MAX_PROBLEMS
            raise InputRejected(str(self.path), shown, max(more, 0))


# Scenarios.

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
    return scenario_from_text(_read_text(path), path)


def scenario_from_text(text: str, path: Path) -> Scenario:
    """Validate a scenario's text, read from `path` (named in messages; a relative `policy:` is
    found next to it)."""
    reader = _Reader(path)
    root = _parse(text, path, "scenario")
    _refuse_newer(root, path)
    top = reader.fields(root, _TOP, _REQUIRED)
    orders = _orders(reader, top.get("orders"))
    history = tuple(_entry(reader, at) for at in reader.items(top.get("history"), "messages"))
    scenario = Scenario(
        version=reader.check(top.get("scenario"), _format, FORMAT_VERSION),
        id=reader.check(top.get("id"), _identifier, ""),
        title=reader.check(top.get("title"), _text, ""),
        policy=_policy(reader, top.get("policy")),
        customer=_customer(reader, top.get("customer")),
        contact=_contact(reader, top.get("contact")),
        now=reader.optional(top.get("now"), _moment) or _default_now(orders, history),
        agent=_agent(reader, top.get("agent")),
        orders=orders,
        history=history,
        expect=_expect(reader, top.get("expect"), _by_id(orders), len(history)),
        source=path,
    )
    reader.done()
    return scenario


def _refuse_newer(root: _At, path: Path) -> None:
    """A newer format is refused alone: its other keys may be right in a newer CareDesk."""
    assert isinstance(root.value, dict)
    version = root.value.get("scenario")
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        message = (
            f"is a newer scenario format ({version}) than this CareDesk reads ({FORMAT_VERSION});"
            " upgrade CareDesk to play it"
        )
        where = f"{path.name}:{_line(root.value, 'scenario', root.line)}"
        raise InputRejected(str(path), [Problem(where=where, field="scenario", message=message)])


def _format(value: object) -> int:
    if isinstance(value, bool) or value != FORMAT_VERSION:
        raise ValueError(f"expected {FORMAT_VERSION} (the scenario format), got {_shown(value)}")
    return FORMAT_VERSION


def _policy(reader: _Reader, at: _At | None) -> Policy:
    """The policy named by path (next to the scenario) or written inline; its problems are
    this file's, at `policy`."""
    if at is not None and isinstance(at.value, dict):
        return _inline_policy(reader, at)
    name = reader.check(at, _text, None)
    if at is None or name is None:
        return _NO_POLICY
    try:
        return load_policy(reader.path.parent / name)
    except InputRejected as rejected:
        for problem in rejected.problems:
            reader.problem(at.line, at.path, str(problem).strip())
    except Exception as error:  # noqa: BLE001 - the policy reader is not ours to trust on odd files
        message = f"{_shown(name)} cannot be read as a policy ({type(error).__name__})"
        reader.problem(at.line, at.path, message)
    return _NO_POLICY


def _inline_policy(reader: _Reader, at: _At) -> Policy:
    try:
        return parse_policy(_plain(at.value), reader.path.name)
    except InputRejected as rejected:
        for problem in rejected.problems:
            field = f"{at.path}.{problem.field}" if problem.field else at.path
            reader.problem(_line_in(at, problem.field), field, problem.message)
    except Exception as error:  # noqa: BLE001 - the policy reader is not ours to trust on odd values
        reader.problem(at.line, at.path, f"cannot be read as a policy ({type(error).__name__})")
    return _NO_POLICY


def _line_in(at: _At, keypath: str | None) -> int:
    """The line of the deepest key of a dotted path found under `at`."""
    line, node = at.line, at.value
    for key in (keypath or "").split("."):
        if not isinstance(node, dict) or key not in node:
            break
        line, node = _line(node, key, line), node[key]
    return line


def _agent(reader: _Reader, at: _At | None) -> ScenarioAgent:
    if at is None or at.value is None:
        return ScenarioAgent()
    found = reader.fields(at, ("name", "role"))
    return ScenarioAgent(
        name=reader.check(found.get("name"), _text, "trainee"),
        role=reader.check(found.get("role"), _word(Role), "agent"),
    )


def _customer(reader: _Reader, at: _At | None) -> ScenarioCustomer:
    found = reader.fields(at, _CUSTOMER, ("id", "name"))
    return ScenarioCustomer(
        id=reader.check(found.get("id"), _text, ""),
        name=reader.check(found.get("name"), _text, ""),
        email=reader.optional(found.get("email"), _text),
        phone=reader.optional(found.get("phone"), _text),
        tier=reader.check(found.get("tier"), _text, "standard"),
        since=reader.optional(found.get("since"), _day),
    )


def _orders(reader: _Reader, at: _At | None) -> tuple[ScenarioOrder, ...]:
    seen: set[str] = set()
    return tuple(_order(reader, item, seen) for item in reader.items(at, "orders"))


def _order(reader: _Reader, at: _At, seen: set[str]) -> ScenarioOrder:
    found = reader.fields(at, _ORDER, ("id", "placed_at", "status", "items"))
    order_id = _unique(reader, found.get("id"), seen, "order id")
    skus: set[str] = set()
    items = reader.items(found.get("items"), "items (sku, name, price)", empty=False)
    return ScenarioOrder(
        id=order_id,
        placed_at=reader.check(found.get("placed_at"), _moment, DEFAULT_NOW),
        status=reader.check(found.get("status"), _word(OrderStatus), OrderStatus.PENDING.value),
        items=tuple(_item(reader, item, skus) for item in items),
        promised_by=reader.optional(found.get("promised_by"), _day),
        delivered_at=reader.optional(found.get("delivered_at"), _moment),
    )


def _by_id(orders: Iterable[ScenarioOrder]) -> dict[str, ScenarioOrder]:
    """Orders by id; of two with one id (a problem already noted) the first."""
    found: dict[str, ScenarioOrder] = {}
    for order in orders:
        found.setdefault(order.id, order)
    return found


def _unique(reader: _Reader, at: _At | None, seen: set[str], what: str) -> str:
    """Text that no earlier sibling used."""
    value = reader.check(at, _text, "")
    if at is not None and value and value in seen:
        reader.problem(at.line, at.path, f"{what} {value!r} is used twice; each must be unique")
    seen.add(value)
    return value


def _item(reader: _Reader, at: _At, skus: set[str]) -> ScenarioItem:
    found = reader.fields(at, _ITEM, ("sku", "name", "price"))
    return ScenarioItem(
        sku=_unique(reader, found.get("sku"), skus, "sku"),
        name=reader.check(found.get("name"), _text, ""),
        price=reader.check(found.get("price"), _money, Decimal("0.00")),
        quantity=reader.check(found.get("quantity"), _quantity, 1),
    )


def _direction(value: object) -> Literal["inbound", "outbound"]:
    if value == "inbound":
        return "inbound"
    if value == "outbound":
        return "outbound"
    raise ValueError(f"expected one of {', '.join(_DIRECTIONS)}, got {_shown(value)}")


def _entry(reader: _Reader, at: _At) -> HistoryEntry:
    found = reader.fields(at, _HISTORY, ("at", "channel", "direction", "text"))
    return HistoryEntry(
        at=reader.check(found.get("at"), _moment, DEFAULT_NOW),
        channel=reader.check(found.get("channel"), _word(Channel), Channel.CHAT.value),
        direction=reader.check(found.get("direction"), _direction, "inbound"),
        text=reader.check(found.get("text"), _text, ""),
        subject=reader.optional(found.get("subject"), _text),
        author=reader.optional(found.get("author"), _text),
    )


def _contact(reader: _Reader, at: _At | None) -> Contact:
    found = reader.fields(at, ("channel", "subject", "turns"), ("channel", "subject", "turns"))
    turns = reader.items(found.get("turns"), "turns (customer, and at or after_action)", False)
    return Contact(
        channel=reader.check(found.get("channel"), _word(Channel), Channel.CHAT.value),
        subject=reader.check(found.get("subject"), _text, ""),
        turns=tuple(_turn(reader, turn) for turn in turns),
    )


def _turn(reader: _Reader, at: _At) -> Turn:
    found = reader.fields(at, ("customer", "at", "after_action"), ("customer",))
    reader.one_of(at, found, ("at", "after_action"))
    return Turn(
        customer=reader.check(found.get("customer"), _text, ""),
        at=reader.optional(found.get("at"), parse_offset),
        after_action=reader.optional(found.get("after_action"), _action),
    )


def _expect(
    reader: _Reader, at: _At | None, orders: dict[str, ScenarioOrder], history: int
) -> Expect:
    if at is None or at.value is None:
        return Expect()
    found = reader.fields(at, _EXPECT)
    actions = reader.items(found.get("actions"), "actions (action, order, items, amount)")
    forbidden = reader.items(found.get("forbidden"), "actions (action, order)")
    return Expect(
        actions=tuple(_expected(reader, action, orders) for action in actions),
        forbidden=tuple(_forbidden(reader, action, orders) for action in forbidden),
        disposition=reader.optional(found.get("disposition"), _disposition),
        review_history=_review(reader, found.get("review_history"), history),
        reply_phrases_any=reader.texts(found.get("reply_phrases_any"), "phrases", empty=False),
        within=reader.optional(found.get("within"), _positive_offset),
    )


def _expected(reader: _Reader, at: _At, orders: dict[str, ScenarioOrder]) -> ExpectedAction:
    found = reader.fields(at, ("action", "order", "items", "amount"), ("action",))
    action = reader.check(found.get("action"), _action, None)
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
    return ExpectedAction(
        action=action or "",
        order=order,
        items=_skus(reader, found.get("items"), orders.get(order or "")),
        amount=_range(reader, found.get("amount")),
    )


def _forbidden(reader: _Reader, at: _At, orders: dict[str, ScenarioOrder]) -> ForbiddenAction:
    found = reader.fields(at, ("action", "order"), ("action",))
    return ForbiddenAction(
        action=reader.check(found.get("action"), _action, ""),
        order=_order_ref(reader, found.get("order"), orders),
    )


def _order_ref(reader: _Reader, at: _At | None, orders: dict[str, ScenarioOrder]) -> str | None:
    """An order id that must be one of the scenario's orders."""
    order_id = reader.optional(at, _text)
    if at is not None and order_id is not None and order_id not in orders:
        known = ", ".join(orders) or "none"
        reader.problem(
            at.line, at.path, f"no order {order_id!r} in this scenario (orders: {known})"
        )
    return order_id


def _skus(reader: _Reader, at: _At | None, order: ScenarioOrder | None) -> tuple[str, ...]:
    """Skus that must be items of `order` (when it is known)."""
    skus = []
    for item in reader.items(at, "skus", empty=False):
        sku = reader.check(item, _text, "")
        known = [i.sku for i in order.items] if order is not None else []
        if sku and order is not None and sku not in known:
            message = f"no item {sku!r} in order {order.id} (items: {', '.join(known)})"
            reader.problem(item.line, item.path, message)
        skus.append(sku)
    return tuple(skus)


def _range(reader: _Reader, at: _At | None) -> AmountRange | None:
    """`{min, max}`, either optional, or one amount meaning exactly that."""
    if at is None or at.value is None:
        return None
    if not isinstance(at.value, dict):
        amount = reader.check(at, _money, None)
        return AmountRange(amount, amount)
    found = reader.fields(at, ("min", "max"))
    low = reader.optional(found.get("min"), _money)
    high = reader.optional(found.get("max"), _money)
    if not at.value:
        reader.problem(at.line, at.path, "expected min, max or both")
    if low is not None and high is not None and low > high:
        reader.problem(at.line, at.path, f"min {low} is above max {high}")
    return AmountRange(low, high)


def _review(reader: _Reader, at: _At | None, history: int) -> tuple[int, ...]:
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
            message = f"expected a history index ({known}), got {_shown(index)}"
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
    return answers_from_text(_read_text(path), path)


def answers_from_text(text: str, path: Path) -> Answers:
    """Validate an answers file's text on its own: whether it fits a scenario is the scorer's
    to say."""
    reader = _Reader(path)
    root = _parse(text, path, "answers file")
    top = reader.fields(root, ("scenario", "steps", "trainee"), ("scenario", "steps"))
    answers = Answers(
        scenario=reader.check(top.get("scenario"), _identifier, ""),
        steps=_steps(reader, reader.items(top.get("steps"), "steps (at, and what was done)")),
        trainee=reader.optional(top.get("trainee"), _text),
        source=path,
    )
    reader.done()
    return answers


def _steps(reader: _Reader, items: list[_At]) -> tuple[Step, ...]:
    """Every step, in the order they happened: a step before the previous one is a problem."""
    steps: list[Step] = []
    for at in items:
        step = _step(reader, at)
        if step is None:
            continue
        if steps and step.at < steps[-1].at:
            line = _line(at.value, "at", at.line)
            reader.problem(
                line, f"{at.path}.at", "is before the previous step's; steps go in order"
            )
        steps.append(step)
    return tuple(steps)


def _step(reader: _Reader, at: _At) -> Step | None:
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
        reply=reader.optional(found.get("reply"), _text),
        action=reader.optional(found.get("action"), _action),
        order=reader.optional(found.get("order"), _text),
        items=reader.texts(found.get("items"), "skus"),
        amount=reader.optional(found.get("amount"), _money),
        reason=reader.optional(found.get("reason"), _any_text) or "",
        resolve=reader.optional(found.get("resolve"), _disposition),
    )
    return step if kind is not None and at_ is not None else None


def _open(value: object) -> str:
    if isinstance(value, str) and _OPEN.fullmatch(value):
        return str(value)
    raise ValueError(f"expected history/<index>, like history/2, got {_shown(value)}")
