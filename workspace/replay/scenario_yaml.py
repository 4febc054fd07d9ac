"""A scenario's mapping written as YAML text that reads back literally, in the spec's layout.

Untrusted text (a customer's messages) must load back as it was written and show a trainer
nothing hidden: ruamel's round-trip dumper is set up here to escape what it would otherwise
write raw (U+2028, NEL, bidi overrides), never to fold a double-quoted text, and to quote
a plain text in a flow mapping that would read back as a broken node (`{name: ?0}`).
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.emitter import RoundTripEmitter
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import LiteralScalarString

WIDTH = 100
"""Where the file's lines are folded, as the project's own lines are."""


def _unsafe(text: str) -> bool:
    """Whether `text` holds what must be written escaped: controls, format characters
    (bidi overrides, zero-width ones), line and paragraph separators, non-characters."""
    return any(ch != "\n" and unicodedata.category(ch) in _ESCAPED for ch in text)


_ESCAPED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def as_text(text: str, blank: str = "") -> str:
    """Untrusted text as written: several lines of plain characters as a literal block
    (`|`), anything else as ruamel chooses (quoted where it must be, escaped by `_Emitter`);
    `blank` stands in for a text with nothing in it."""
    if not text.strip():
        return blank
    lines = text.split("\n")
    if len(lines) > 1 and not _unsafe(text) and all(line == line.rstrip() for line in lines):
        literal: str = LiteralScalarString(text)
        return literal
    return text


def flow(**values: Any) -> CommentedMap:
    """A mapping written on one line (`{sku: S-1, ...}`), as the spec writes short ones."""
    mapping = CommentedMap(values)
    mapping.fa.set_flow_style()
    return mapping


def flow_seq(values: Iterable[Any]) -> CommentedSeq:
    """A list written on one line (`[sorry, apolog]`), as the spec writes short ones."""
    seq = CommentedSeq(values)
    seq.fa.set_flow_style()
    return seq


class _Emitter(RoundTripEmitter):
    """Writes a text holding anything `_unsafe` double-quoted with every such character
    escaped (`\\e`, `\\u202E`), so it reads back literally and shows nothing hidden to a
    trainer who opens the file; and never folds a double-quoted text, whose folding is the
    part of the emitter least sure to read back as it was."""

    def analyze_scalar(self, scalar: Any) -> Any:
        analysis = super().analyze_scalar(scalar)
        if scalar[:1] in ("?", ":", "-"):  # `{name: ?0}` is read back as a broken flow node
            analysis.allow_flow_plain = False
        if _unsafe(scalar):
            analysis.allow_flow_plain = analysis.allow_block_plain = False
            analysis.allow_single_quoted = analysis.allow_block = False
        return analysis

    def write_double_quoted(self, text: Any, split: Any = True) -> None:
        readable, self.allow_unicode = self.allow_unicode, not _unsafe(text)
        try:
            super().write_double_quoted(text, split=False)
        finally:
            self.allow_unicode = readable


class _Representer(RoundTripRepresenter):
    """Times as `2026-11-07T09:00:00Z` and money as `129.00`, unquoted, as the spec writes
    them; and no anchors, which the loader refuses."""

    def ignore_aliases(self, data: Any) -> bool:
        return True  # a scenario file may hold no anchors: a value used twice is written twice

    def moment(self, value: datetime) -> Any:
        text = value.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return self.represent_scalar("tag:yaml.org,2002:timestamp", text)

    def money(self, value: Decimal) -> Any:
        return self.represent_scalar("tag:yaml.org,2002:float", f"{value:.2f}")


_Representer.add_representer(datetime, _Representer.moment)
_Representer.add_representer(Decimal, _Representer.money)


def dump(doc: Any) -> str:
    """`doc` as YAML in the spec's layout: block style, two spaces, list items indented."""
    writer = YAML(typ="rt")
    writer.Emitter = _Emitter
    writer.Representer = _Representer
    writer.indent(mapping=2, sequence=4, offset=2)
    writer.width = WIDTH
    out = io.StringIO()
    writer.dump(doc, out)
    return out.getvalue()
