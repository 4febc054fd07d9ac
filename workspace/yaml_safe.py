"""The YAML loader for CareDesk's own files (the policy, the team configuration): PyYAML's
safe loader, refusing what such a file never needs and a hostile one uses.

- aliases (`*name`): an alias bomb expands a small file into gigabytes;
- a key given twice in one mapping: PyYAML keeps the last silently, so `limit: 20` followed
  by `limit: 5000` would install 5000;
- nesting deeper than `DEEPEST`: the composer recurses, and a file nested a few hundred
  levels ends in a RecursionError instead of a message.

Each refusal is a `yaml.MarkedYAMLError` at the offending line, which the callers turn into
their file's problem.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode

DEEPEST = 64
"""Nesting no CareDesk file comes near (the policy's deepest key path is five)."""


def strict_loader(what: str, *, repeated_keys: bool = True) -> type[yaml.SafeLoader]:
    """A safe loader class for `what` (`a policy file`), with the refusals above (a reader
    that names repeated keys itself, from the composed nodes, passes `repeated_keys=False`)."""

    class _Strict(yaml.SafeLoader):
        depth = 0

        def compose_node(self, parent: Node | None, index: int) -> Node | None:
            if self.check_event(AliasEvent):
                event = self.peek_event()  # type: ignore[no-untyped-call]
                raise yaml.MarkedYAMLError(
                    None, None, f"aliases (*name) are not allowed in {what}", event.start_mark
                )
            self.depth += 1
            try:
                if self.depth > DEEPEST:
                    event = self.peek_event()  # type: ignore[no-untyped-call]
                    raise yaml.MarkedYAMLError(
                        None, None, f"nested more than {DEEPEST} levels deep", event.start_mark
                    )
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

        def compose_mapping_node(self, anchor: Any) -> MappingNode:
            node: MappingNode = super().compose_mapping_node(anchor)
            if not repeated_keys:
                return node
            seen: dict[str, int] = {}
            for key, _value in node.value:
                if not isinstance(key, ScalarNode):
                    continue
                first = seen.setdefault(key.value, key.start_mark.line + 1)
                if first != key.start_mark.line + 1:
                    raise yaml.MarkedYAMLError(
                        None,
                        None,
                        f"key {key.value!r} is given twice (first on line {first})",
                        key.start_mark,
                    )
            return node

    return _Strict
