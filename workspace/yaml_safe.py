"""The YAML loader for CareDesk's own files (the policy, the team configuration): PyYAML's
safe loader, refusing what such a file never needs and a hostile one uses.

- aliases (`*name`): an alias bomb expands a small file into gigabytes;
- a key given twice in one mapping: PyYAML keeps the last silently, so `limit: 20` followed
  by `limit: 5000` would install 5000;
- nesting deeper than `DEEPEST`: the composer recurses, and a file nested a few hundred
  levels ends in a RecursionError instead of a message;
- a value PyYAML cannot build (an integer of thousands of digits, `2026-13-45` as a date):
  its ValueError would otherwise escape with neither file nor line.

Each refusal is a `Refused` (a `yaml.MarkedYAMLError`) at the offending line, carrying the key
path, which the callers turn into their file's problem.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

DEEPEST = 64
"""Nesting no CareDesk file comes near (the policy's deepest key path is five)."""

_LONGEST_KEY = 60
"""A key is quoted in a key path up to this many characters, then cut."""


class Refused(yaml.MarkedYAMLError):
    """What the strict loader refuses, at its line; `path` is the key path (`actions.refund`),
    empty when the refusal is not under any mapping key."""

    def __init__(self, problem: str, mark: Any, path: str) -> None:
        super().__init__(None, None, problem, mark)
        self.path = path


def key_name(key: object) -> str:
    """A mapping key as a key path shows it: as written when printable and short, else
    quoted with its hidden characters escaped, so a path is always one safe line."""
    try:
        text = key if isinstance(key, str) else repr(key)
    except ValueError:  # an int past 4,300 digits has no text (only a caller's dict holds one)
        text = "<a number of thousands of digits>"
    if text.isprintable() and "." not in text and 0 < len(text) <= _LONGEST_KEY:
        return text
    shown = repr(text)
    return shown if len(shown) <= _LONGEST_KEY else f"{shown[: _LONGEST_KEY - 4]}...'"


def join(path: str, key: object) -> str:
    """`path.key` (or `key` at the top), the key shown by `key_name`."""
    return f"{path}.{key_name(key)}" if path else key_name(key)


def node_paths(root: Node | None) -> dict[str, int]:
    """The 1-based line of every key path of a composed document (`actions.refund.limit`),
    so a reader of the constructed data can name the line of a problem it finds."""
    lines: dict[str, int] = {}
    stack: list[tuple[Node, str]] = [] if root is None else [(root, "")]
    while stack:  # a loop, not recursion: the document is at most DEEPEST levels anyway
        node, path = stack.pop()
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if isinstance(key, ScalarNode):
                    at = join(path, key.value)
                    lines.setdefault(at, key.start_mark.line + 1)
                    stack.append((value, at))
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                at = f"{path}[{index}]"
                lines.setdefault(at, item.start_mark.line + 1)
                stack.append((item, at))
    return lines


def strict_loader(what: str, *, repeated_keys: bool = True) -> type[yaml.SafeLoader]:
    """A safe loader class for `what` (`a policy file`), with the refusals above (a reader
    that names repeated keys itself, from the composed nodes, passes `repeated_keys=False`)."""

    class _Strict(yaml.SafeLoader):
        depth = 0

        def __init__(self, stream: Any) -> None:
            super().__init__(stream)
            self.path: list[str] = []  # the key path of the node being composed
            self.paths: dict[int, str] = {}  # id(node) -> its key path, for construction

        def _where(self) -> str:
            return "".join(self.path).lstrip(".")

        def compose_node(self, parent: Node | None, index: Any) -> Node | None:
            if isinstance(index, ScalarNode):
                step = f".{key_name(index.value)}"
            elif isinstance(index, int):
                step = f"[{index}]"
            else:
                step = ""
            self.path.append(step)
            self.depth += 1
            try:
                if self.check_event(AliasEvent):
                    event = self.peek_event()  # type: ignore[no-untyped-call]
                    message = f"aliases (*name) are not allowed in {what}"
                    raise Refused(message, event.start_mark, "")
                if self.depth > DEEPEST:
                    event = self.peek_event()  # type: ignore[no-untyped-call]
                    where = self._where()
                    # A path of list positions only (`[0][0]...`) tells the reader nothing.
                    where = where if any(s.startswith(".") for s in self.path) else ""
                    message = f"nested more than {DEEPEST} levels deep"
                    raise Refused(message, event.start_mark, where)
                node = super().compose_node(parent, index)
                if node is not None:
                    self.paths[id(node)] = self._where()
                return node
            finally:
                self.depth -= 1
                self.path.pop()

        def compose_mapping_node(self, anchor: Any) -> MappingNode:
            node: MappingNode = super().compose_mapping_node(anchor)
            if not repeated_keys:
                return node
            seen: dict[str, int] = {}
            for key, _value in node.value:
                if not isinstance(key, ScalarNode):
                    continue
                if key.value not in seen:
                    seen[key.value] = key.start_mark.line + 1
                    continue
                first = seen[key.value]  # by value, not line: `{a: 1, a: 2}` is one line
                at = join(self._where(), key.value)
                message = f"key {key_name(key.value)!r} is given twice (first on line {first})"
                raise Refused(message, key.start_mark, at)
            return node

        def construct_object(self, node: Node, deep: bool = False) -> Any:
            try:
                return super().construct_object(node, deep)
            except (ValueError, OverflowError, TypeError) as error:
                # PyYAML's int() and date() raise these on an over-long integer or a bad date.
                reason = str(error).split(":")[0].strip() or type(error).__name__
                message = f"cannot read {_shown(node)} ({reason})"
                raise Refused(message, node.start_mark, self.paths.get(id(node), "")) from None

    return _Strict


def _shown(node: Node) -> str:
    """A scalar's text for a message, short; a collection by its kind."""
    if not isinstance(node, ScalarNode):
        return "a list" if isinstance(node, SequenceNode) else "a mapping"
    text = str(node.value)
    if len(text) > 40:
        return f"a value of {len(text)} characters"
    return repr(text)


def refusal(error: yaml.YAMLError) -> tuple[int | None, str | None, str]:
    """(line, key path, reason) of a YAML error, for a file's problem; the reason is one line."""
    line: int | None = None
    reason = str(error)
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = str(error.problem or error.context)
    path = getattr(error, "path", None) or None
    reason = " ".join(reason.split())
    if not reason.isprintable():  # PyYAML quotes what it read, hidden characters and all
        reason = "".join(c if c.isprintable() else repr(c)[1:-1] for c in reason)
    return line, path, reason
