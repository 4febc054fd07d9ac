"""Reading a trainer's YAML file safely: the values it may hold, and a reader that collects
every problem with its line and key path (the scenario and answers loaders are built on it).

YAML 1.2 through ruamel's round-trip loader, so `no` stays text, `1:30` is not 90 and every
value keeps its line; aliases, a `%YAML 1.1` directive, duplicate keys, deep nesting, files
over 1 MB and text that is not UTF-8 are refused before anything is read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer, ComposerError
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import ScalarNode

from storage.money import to_money
from workspace.errors import InputRejected, Problem
from workspace.vocabulary import ActionKind, Disposition
from workspace.yaml_safe import join, key_name

MAX_BYTES = 1024 * 1024
"""Scenario and answers files over 1 MB are refused unread."""

MAX_DEPTH = 40
"""Deeper nesting than any scenario needs is refused, so no walk can run out of stack."""

MAX_PROBLEMS = 100
"""A refusal lists this many problems and counts the rest, so a broken file stays readable."""

MAX_OFFSET = timedelta(days=366)
"""The longest relative time read; longer is surely a typo."""


_MONEY_CAP = Decimal(10) ** 12
MAX_QUANTITY = 1_000_000
"""The most of one item an order holds, as an import takes it."""
_ID = re.compile(r"[A-Za-z0-9._-]+", re.ASCII)
_OFFSET = re.compile(r"(?:(\d{1,7})h)?(?:(\d{1,7})m)?(?:(\d{1,9})s)?", re.ASCII)

_T = TypeVar("_T")
_K = TypeVar("_K", bound=str)


# Values: each check takes what YAML produced and returns the model's value, or raises
# ValueError saying what was expected.


def shown(value: object) -> str:
    """A value as a message quotes it: escaped, and short however long the value is."""
    try:
        text = repr(value)
    except ValueError:  # an int too long for str(); the loader refuses those, a caller may not
        return "a number of thousands of digits"
    return text if len(text) <= 60 else f"{text[:57]}..."


def printable(text: str) -> str:
    """`text` with every character that is not printable escaped (`\\n`, `\\u202e`), so a
    message quoting a file's name or another file's problem stays one safe line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


_NUL = "expected text without a NUL character (U+0000): no database stores one"


def text_value(value: object) -> str:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError(_NUL)
    if isinstance(value, str) and value.strip():
        return str(value)  # a plain str, never ruamel's styled subclass
    if isinstance(value, str):
        raise ValueError("expected some text, got an empty string")
    hint = " (put it in quotes to mean text)" if isinstance(value, int | float) else ""
    raise ValueError(f"expected text, got {shown(value)}{hint}")


def any_text(value: object) -> str:
    """Text that may be empty (a reason nobody typed)."""
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {shown(value)}")
    if "\x00" in value:
        raise ValueError(_NUL)
    return str(value)


KEY_LENGTH = 64
"""The longest id the database keeps (a customer's, an order's, an item's)."""


def key_text(value: object) -> str:
    """An id the workspace stores: text of at most `KEY_LENGTH` characters."""
    text = text_value(value)
    if len(text) > KEY_LENGTH:
        raise ValueError(f"expected at most {KEY_LENGTH} characters, got {len(text)}")
    return text


def positive_money(value: object) -> Decimal:
    """An amount an agent types: more than 0, as the workspace's action form asks."""
    amount = money(value)
    if amount <= 0:
        raise ValueError(f"expected an amount above 0, got {shown(value)}")
    return amount


def identifier(value: object) -> str:
    text = text_value(value)
    if not _ID.fullmatch(text):
        raise ValueError(f"expected letters, digits, '-', '_' and '.' only, got {shown(text)}")
    return text


def word_of(words: Iterable[str]) -> Callable[[object], str]:
    """A check that the value is one of `words` (the members of a vocabulary)."""
    known = tuple(str(w) for w in words)

    def check(value: object) -> str:
        if isinstance(value, str) and value in known:
            return str(value)
        raise ValueError(f"expected one of {', '.join(known)}, got {shown(value)}")

    return check


action_kind = word_of(ActionKind)
disposition = word_of(Disposition)


def moment(value: object) -> datetime:
    """An aware UTC datetime from ISO 8601 text with a zone."""
    expected = "expected an ISO 8601 time with a zone, like 2026-11-07T09:00:00Z"
    moment: datetime | None = value if isinstance(value, datetime) else None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            moment = None
    if moment is None or moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{expected}, got {shown(value)}")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{expected}, got {shown(value)}") from None


def day(value: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected an ISO 8601 date, like 2026-11-03, got {shown(value)}")


def money(value: object) -> Decimal:
    """A Decimal to the cent; floats go through their text, so 129.0 is 129.00."""
    expected = f"expected an amount >= 0 with at most 2 decimals (like 129.00), got {shown(value)}"
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


def quantity(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_QUANTITY:
        raise ValueError(f"expected a whole number from 1 to {MAX_QUANTITY}, got {shown(value)}")
    return int(value)


def parse_offset(value: object) -> timedelta:
    """A relative time (`45s`, `2m`, `1h30m`, or whole seconds) as a timedelta.

    Raises ValueError saying what was expected: `1:30` is refused rather than guessed at.
    """
    expected = f"expected a time from the start like 45s, 2m or 1h30m, got {shown(value)}"
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


def positive_offset(value: object) -> timedelta:
    offset = parse_offset(value)
    if not offset:
        raise ValueError("expected a time longer than 0s")
    return offset


# YAML: ruamel's round-trip loader, refusing what a scenario never needs.


class _Refused(ComposerError):
    """A refusal at a line, naming the key path it is under (empty at the top)."""

    def __init__(self, problem: str, mark: Any, path: str) -> None:
        super().__init__(None, None, problem, mark)
        self.path = path


class _Composer(Composer):
    """Refuses aliases and anchors (no alias bomb can expand), YAML 1.1 documents, a key
    given twice in one mapping and nesting deeper than `MAX_DEPTH`, naming the key path;
    ruamel's own duplicate and depth errors name neither the path nor the first line."""

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self.steps: list[str] = []
        self.paths: dict[int, str] = {}  # id(node) -> key path, for the constructor's errors

    def where(self) -> str:
        return "".join(self.steps).lstrip(".")

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
        if isinstance(index, ScalarNode):
            self.steps.append(f".{key_name(index.value)}")
        else:
            self.steps.append(f"[{index}]" if isinstance(index, int) else "")
        try:
            if len(self.steps) > MAX_DEPTH:
                message = f"nested more than {MAX_DEPTH} levels deep"
                raise _Refused(message, event.start_mark, self.where())
            node = super().compose_node(parent, index)
            self.paths[id(node)] = self.where()
            return node
        finally:
            self.steps.pop()

    def compose_mapping_node(self, anchor: Any) -> Any:
        node = super().compose_mapping_node(anchor)
        seen: dict[str, int] = {}
        for key, _value in node.value:
            if not isinstance(key, ScalarNode):
                continue
            if key.value not in seen:
                seen[key.value] = key.start_mark.line + 1
                continue
            first = seen[key.value]
            message = f"duplicate key {key_name(key.value)!r} (first on line {first})"
            raise _Refused(message, key.start_mark, join(self.where(), key.value))
        return node


class _Constructor(RoundTripConstructor):
    """Keeps timestamps and dates as the text written, for the loader to read with a zone;
    and refuses, at its line and key path, a value ruamel cannot build (its int() raises
    ValueError on an integer of thousands of digits)."""

    def keep_text(self, node: Any) -> str:
        return str(self.construct_scalar(node))

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError, TypeError) as error:
            paths = getattr(getattr(self.loader, "composer", None), "paths", {})
            text = str(node.value) if isinstance(node, ScalarNode) else "a collection"
            what = f"{len(text)} characters" if len(text) > 40 else repr(text)
            reason = str(error).split(":")[0].strip() or type(error).__name__
            message = f"cannot read {what} ({reason})"
            raise _Refused(message, node.start_mark, paths.get(id(node), "")) from None


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.keep_text)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.version = (1, 2)
    yaml.Composer = _Composer
    yaml.Constructor = _Constructor
    yaml.max_depth = MAX_DEPTH
    return yaml


def refuse(
    path: Path, message: str, line: int | None = None, field: str | None = None
) -> InputRejected:
    where = path.name if line is None else f"{path.name}:{line}"
    return InputRejected(str(path), [Problem(where=where, field=field, message=message)])


def read_text(path: Path) -> str:
    """A file's text, refused unread when too large, binary, not UTF-8 or unreadable."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise refuse(path, f"is {size} bytes; a file may be at most {MAX_BYTES} (1 MB)")
        data = path.read_bytes()[: MAX_BYTES + 1]
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise refuse(path, f"cannot be read ({reason})") from None
    if b"\0" in data:
        raise refuse(path, "is binary (it contains NUL bytes), not a YAML text file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise refuse(path, "is not UTF-8 text") from None


def parse_yaml(text: str, path: Path, what: str) -> At:
    """The top-level mapping of a file's text, or InputRejected saying why there is none."""
    try:
        size = len(text) if len(text) > MAX_BYTES else len(text.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate: no file's text has one
        raise refuse(path, "is not UTF-8 text") from None
    if size > MAX_BYTES:
        raise refuse(path, f"is over {MAX_BYTES} bytes; a file may be at most 1 MB")
    if "\0" in text:
        raise refuse(path, "is binary (it contains NUL characters), not a YAML text file")
    if not text.strip():
        raise refuse(path, f"is empty; expected a {what}")
    try:
        data = _yaml().load(text)
    except YAMLError as error:
        reason, line = _yaml_reason(error), _yaml_line(error, text)
        field = getattr(error, "path", None) or None
        raise refuse(path, f"is not valid YAML: {reason}", line, field) from None
    except Exception as error:  # noqa: BLE001 - ruamel raises more than YAMLError on odd text
        raise refuse(path, f"is not valid YAML ({type(error).__name__})") from None
    if data is None:
        raise refuse(path, f"holds no data; expected a {what}")
    if not isinstance(data, dict):
        raise refuse(path, f"expected a mapping (key: value lines), got {shown(data)}", 1)
    return At(data, "", _own_line(data, 1))


def _yaml_reason(error: YAMLError) -> str:
    """What the YAML reader said, on one line and short."""
    parts = (getattr(error, "context", None), getattr(error, "problem", None))
    reason = ", ".join(str(p) for p in parts if p) or getattr(error, "reason", None) or str(error)
    reason = printable(" ".join(str(reason).split()))
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


def line_of(container: object, key: object, fallback: int) -> int:
    """The 1-based line of a mapping key (its value's line is off for nulls) or list item."""
    try:
        lc = container.lc  # type: ignore[attr-defined]
        line = lc.item(key)[0] if isinstance(container, list) else lc.key(key)[0]
        return int(line) + 1
    except (AttributeError, KeyError, IndexError, TypeError, ValueError):
        return fallback


def plain(value: object) -> object:
    """ruamel's containers and scalars as the dicts, lists, ints, floats and strs
    `parse_policy` expects."""
    if isinstance(value, dict):
        return {(str(k) if isinstance(k, str) else k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    for kind in (int, float, str):
        if isinstance(value, kind):
            return kind(value)
    return value


# Walking: every value with its key path and line; problems collected, never raised one by one.


@dataclass(frozen=True)
class At:
    """A value read from the file, with where it was."""

    value: object
    path: str
    line: int


class Reader:
    """Walks a parsed file, collecting every problem rather than stopping at the first."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def problem(self, line: int, field: str, message: str) -> None:
        where = f"{self.path.name}:{line}"
        # Messages quote ids and texts from the file: escaped here once, for every check.
        shown_field = printable(field) if field else None
        self.problems.append(Problem(where=where, field=shown_field, message=printable(message)))

    def check(self, at: At | None, check: Callable[[object], _T], default: _T) -> _T:
        """`check(at.value)`; `default` when absent (a missing key is noted by `fields`) or
        after noting the value's problem."""
        if at is None:
            return default
        try:
            return check(at.value)
        except ValueError as bad:
            self.problem(at.line, at.path, str(bad))
            return default

    def optional(self, at: At | None, check: Callable[[object], _T]) -> _T | None:
        """An optional value: absent and null are both None."""
        if at is None or at.value is None:
            return None
        return self.check(at, check, None)

    def fields(
        self, at: At | None, known: Collection[str], required: Collection[str] = ()
    ) -> dict[str, At]:
        """The entries of a mapping by key; unknown or missing keys are problems."""
        if at is None:
            return {}
        if not isinstance(at.value, dict):
            expected = ", ".join(required or known)
            self.problem(
                at.line, at.path, f"expected a mapping with {expected}, got {shown(at.value)}"
            )
            return {}
        found: dict[str, At] = {}
        for key, value in at.value.items():
            line = line_of(at.value, key, at.line)
            path = join(at.path, key)
            if not isinstance(key, str) or key not in known:
                self.problem(line, path, f"unknown key; expected one of {', '.join(known)}")
            else:
                found[key] = At(value, path, line)
        for key in required:
            if key not in found and key in known:
                self.problem(at.line, f"{at.path}.{key}" if at.path else key, "is required")
        return found

    def items(self, at: At | None, what: str, empty: bool = True) -> list[At]:
        """The entries of a list, each with its own path and line."""
        if at is None or (at.value is None and empty):
            return []
        if not isinstance(at.value, list) or (not at.value and not empty):
            what = what if empty else f"one or more {what}"
            self.problem(at.line, at.path, f"expected a list of {what}, got {shown(at.value)}")
            return []
        return [
            At(v, f"{at.path}[{i}]", line_of(at.value, i, at.line)) for i, v in enumerate(at.value)
        ]

    def texts(self, at: At | None, what: str, empty: bool = True) -> tuple[str, ...]:
        """A list of non-empty texts."""
        return tuple(self.check(item, text_value, "") for item in self.items(at, what, empty))

    def one_of(self, at: At, found: dict[str, At], keys: Sequence[_K]) -> _K | None:
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
