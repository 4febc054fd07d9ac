"""Shared pieces of the loaders' fuzz tests: hostile values, near-valid documents mutated
into broken ones, a YAML writer that can write what no YAML library writes (a key given
twice, `.inf` unquoted), and the check every refusal must pass.

`CAREDESK_FUZZ_EXAMPLES` sets how many examples each fuzz test runs (1,000 by default).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from workspace.errors import CareDeskError, InputRejected

EXAMPLES = int(os.environ.get("CAREDESK_FUZZ_EXAMPLES", "1000"))

fuzz_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # the autouse settings fixture; examples share it
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
"""Every fuzz test's settings."""

HOSTILE_CHARS = (
    "\x00\x07\x08\t\n\r\x0b\x0c\x1b\x7f\x85\x9b\u00a0\u200b\u200d\u200e\u200f"
    "\u2028\u2029\u202a\u202e\u2066\u2069\ufeff\ufffe\ud800\U0001f600\U000e0001"
)
"""Controls, line separators, bidi overrides, zero-width and non-characters."""

hostile_text = st.text(
    alphabet=st.one_of(st.sampled_from(HOSTILE_CHARS), st.characters()), max_size=30
)
"""Random unicode, heavy on what breaks a terminal or a line."""


@dataclass(frozen=True)
class Raw:
    """A scalar written into YAML as it is (`.inf`, `1e999`, a 5,000-digit integer)."""

    text: str


@dataclass(frozen=True)
class Pairs:
    """A mapping as its (key, value) pairs, so a key can be given twice."""

    items: tuple[tuple[Any, Any], ...]


HUGE = "9" * 4_400
"""Past the 4,300 digits Python converts to an int."""
NON_FINITE_YAML = (".inf", "-.inf", "+.inf", ".nan", ".NaN", ".Inf", ".INF", "1e999", "-1e999")
NON_FINITE_TEXT = ("NaN", "nan", "sNaN", "-sNaN", "Infinity", "-Infinity", "inf", "-inf")

hostile_yaml_scalar = st.one_of(
    st.sampled_from([Raw(t) for t in NON_FINITE_YAML]),
    st.sampled_from(NON_FINITE_TEXT),
    st.sampled_from(
        [
            Raw(HUGE),
            Raw("-" + HUGE),
            Raw("9" * 400),
            Raw("1" + "0" * 30 + ".00"),
            Raw("0x" + "f" * 40),
            Raw("0o777"),
            Raw("1:30"),
            Raw("2026-13-45"),
            Raw("2026-11-07T25:00:00Z"),
            Raw("9999-12-31T23:59:59-23:59"),
            Raw("1.0e+999999"),
            Raw("1e-999999"),
            Raw("!!binary xx"),
            Raw("!!set {a}"),
            Raw("!!python/name:os.system"),
            Raw("~"),
            Raw("no"),
            Raw("''"),
            2**63,
            2**63 - 1,
            -(2**63),
            -1,
            0,
        ]
    ),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    hostile_text,
)
"""Scalars a field should refuse, or take without crashing."""


def nested(depth: int, leaf: Any = 1, key: str = "k") -> Any:
    """`depth` levels of mappings and lists around `leaf`."""
    value = leaf
    for level in range(depth):
        value = [value] if level % 3 == 2 else Pairs(((key, value),))
    return value


_CHANGES = ("inside",) * 4 + ("value",) * 3 + ("twice", "twice", "extra", "key", "deep")
"""How a mapping is changed; deep nesting is rare, as it is the slowest to read."""


def _mutated(doc: Any, draw: Callable[[Any], Any]) -> Any:
    """`doc` with one random change somewhere inside it."""
    if isinstance(doc, Pairs) and doc.items:
        items = list(doc.items)
        index = draw(st.integers(0, len(items) - 1))
        key, value = items[index]
        change = draw(st.sampled_from(_CHANGES))
        if change == "inside" and isinstance(value, Pairs | list):
            items[index] = (key, _mutated(value, draw))
        elif change in ("value", "inside"):
            items[index] = (key, draw(hostile_yaml_scalar))
        elif change == "twice":
            items.insert(draw(st.integers(index + 1, len(items))), (key, draw(hostile_yaml_scalar)))
        elif change == "extra":
            items.append((draw(hostile_text), draw(hostile_yaml_scalar)))
        elif change == "deep":
            items[index] = (key, nested(draw(st.integers(60, 70))))
        else:
            items[index] = (draw(st.one_of(hostile_text, hostile_yaml_scalar)), value)
        return Pairs(tuple(items))
    if isinstance(doc, list) and doc:
        items = list(doc)
        index = draw(st.integers(0, len(items) - 1))
        items[index] = _mutated(items[index], draw)
        return items
    return draw(hostile_yaml_scalar)


@st.composite
def mutations(draw: st.DrawFn, doc: Any, most: int = 4) -> Any:
    """`doc` with one to `most` random changes: a value made hostile, a key given twice or
    added, nesting hundreds deep."""
    for _ in range(draw(st.integers(1, most))):
        doc = _mutated(doc, draw)
    return doc


def pairs(value: Any) -> Any:
    """A plain dict/list document as `Pairs` (for `mutations` and `to_yaml`)."""
    if isinstance(value, dict):
        return Pairs(tuple((k, pairs(v)) for k, v in value.items()))
    if isinstance(value, list):
        return [pairs(v) for v in value]
    return value


def _scalar(value: Any) -> str:
    if isinstance(value, Raw):
        return value.text
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value).replace("inf", ".inf").replace("nan", ".nan")
    return json.dumps(str(value))  # a JSON string is a YAML double-quoted one


def flow(value: Any) -> str:
    """`value` in YAML flow style, on one line (deep nesting without deep indentation)."""
    out: list[str] = []
    stack: list[Any] = [value]
    while stack:  # a loop: documents nest hundreds deep
        item = stack.pop()
        if isinstance(item, _Token):
            out.append(item.text)
        elif isinstance(item, Pairs):
            parts: list[Any] = [_Token("{")]
            for i, (k, v) in enumerate(item.items):
                parts += [_Token(", " if i else ""), _Token(_scalar(k) + ": "), v]
            stack += reversed([*parts, _Token("}")])
        elif isinstance(item, list):
            parts = [_Token("[")]
            for i, v in enumerate(item):
                parts += [_Token(", " if i else ""), v]
            stack += reversed([*parts, _Token("]")])
        else:
            out.append(_scalar(item))
    return "".join(out)


@dataclass(frozen=True)
class _Token:
    text: str


def to_yaml(doc: Any) -> str:
    """A document as YAML: a top-level mapping one key a line (each value in flow style),
    so problems fall on different lines; anything else in flow style."""
    if not isinstance(doc, Pairs):
        return flow(doc) + "\n"
    return "".join(f"{_scalar(k)}: {flow(v)}\n" for k, v in doc.items)


def assert_refusal(error: CareDeskError, name: str) -> None:
    """A loader's refusal: every problem (or the message) one printable line naming `name`."""
    lines = [str(p) for p in error.problems] if isinstance(error, InputRejected) else [str(error)]
    assert lines
    for line in lines:
        assert line.startswith(name), line
        assert len(line.splitlines()) == 1 and line.isprintable(), line
        assert len(line) < 2_000, line[:200]


_VALUES: dict[str, Any] = {
    ".inf": float("inf"),
    "+.inf": float("inf"),
    ".Inf": float("inf"),
    ".INF": float("inf"),
    "1e999": float("inf"),
    "1.0e+999999": float("inf"),
    "-.inf": float("-inf"),
    "-1e999": float("-inf"),
    ".nan": float("nan"),
    ".NaN": float("nan"),
    HUGE: 10**4400 - 1,  # an int str() cannot show: past the 4,300 digits
    "-" + HUGE: 1 - 10**4400,
    "1e-999999": 0.0,
    "~": None,
}
"""What a YAML reader gives for each `Raw` token (others stay text)."""


def to_data(doc: Any) -> Any:
    """A document as the parsed values a loader's checks take (the last of a repeated key
    wins, as PyYAML's would), for fuzzing the checks without the slow YAML readers."""
    if isinstance(doc, Pairs):
        return {_key(k): to_data(v) for k, v in doc.items}
    if isinstance(doc, list):
        return [to_data(v) for v in doc]
    if isinstance(doc, Raw):
        return _VALUES.get(doc.text, doc.text)
    return doc


def _key(key: Any) -> Any:
    value = to_data(key)
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value
