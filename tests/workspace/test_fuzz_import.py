"""Import lines never crash: any line's bytes either make a record or are refused with the
line's problems (field and message), each, as `caredesk import` prints it, one line naming
the file, the line and the key path. The per-line layer (`decode`, `parse_record`) needs no
database, so thousands of lines are checked a second; one test goes through `import_file`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.engine import Database
from tests.fuzzing import (
    HUGE,
    Pairs,
    Raw,
    assert_refusal,
    fuzz_settings,
    hostile_text,
    mutations,
    pairs,
)
from workspace.errors import InputRejected, Problem
from workspace.import_fields import Found
from workspace.import_records import Parsed, Rejected, decode, parse_record
from workspace.importer import import_file

NAME = "people.jsonl"
AT = "2026-11-04T10:02:00Z"
RECORDS: list[dict[str, Any]] = [
    {"type": "agent", "id": "hana", "name": "Hana", "role": "supervisor", "email": "h@x.com"},
    {"type": "customer", "id": "C-1", "name": "Dana", "tier": "gold", "since": "2019-04-02"},
    {
        "type": "order",
        "id": "W1",
        "customer": "C-1",
        "placed_at": AT,
        "status": "delivered",
        "items": [{"sku": "BL-200", "name": "Blender", "price": "129.00", "quantity": 1}],
    },
    {
        "type": "interaction",
        "id": "I-1",
        "customer": "C-1",
        "at": AT,
        "channel": "chat",
        "direction": "inbound",
        "text": "Where is it?",
    },
    {
        "type": "ticket",
        "id": "T-1",
        "customer": "C-1",
        "channel": "email",
        "subject": "Cracked",
        "opened_at": AT,
        "priority": "high",
        "status": "open",
        "reopened": 0,
        "handle_seconds": 60,
    },
    {"type": "survey", "id": "S-1", "ticket": "T-1", "at": AT, "csat": 5, "ces": 6, "nps": 9},
]
"""The spec's records: each fuzz example mutates one."""

_JSON: dict[str, str] = {
    ".inf": "Infinity",
    "+.inf": "Infinity",
    ".Inf": "Infinity",
    ".INF": "Infinity",
    "-.inf": "-Infinity",
    ".nan": "NaN",
    ".NaN": "NaN",
    "1.0e+999999": "1e-99999999999999999999",
    "~": "null",
}
"""The JSON spelling of the fuzz helpers' YAML tokens (others are written as they are)."""


def to_json(doc: Any) -> str:
    """A document as one JSON line, keys repeated and numbers as hostile as given."""
    if isinstance(doc, Pairs):
        return "{" + ", ".join(f"{_key(k)}: {to_json(v)}" for k, v in doc.items) + "}"
    if isinstance(doc, list):
        return "[" + ", ".join(to_json(v) for v in doc) + "]"
    if isinstance(doc, Raw):
        return _JSON.get(doc.text, doc.text)
    if isinstance(doc, float):
        return {"inf": "Infinity", "-inf": "-Infinity", "nan": "NaN"}.get(repr(doc), repr(doc))
    return json.dumps(doc)


def _key(key: Any) -> str:
    return json.dumps(key if isinstance(key, str) else to_json(key))


def problems(raw: bytes, line: int = 1) -> list[str]:
    """A line's problems as `caredesk import` lists them; [] for a good record."""
    try:
        found: Parsed | Found = parse_record(decode(raw, first=line == 1))
    except Rejected as rejected:
        found = [(rejected.field, rejected.message)]
    if isinstance(found, Parsed):
        return []
    listed = [Problem(where=f"{NAME}:{line}", field=f, message=m) for f, m in found]
    assert_refusal(InputRejected(NAME, listed), f"{NAME}:{line}")
    return [str(p) for p in listed]


def line_of(record: dict[str, Any], **changes: Any) -> bytes:
    return json.dumps(record | changes).encode()


ORDER = RECORDS[2]
SURVEY = RECORDS[5]


def test_every_spec_record_is_good() -> None:
    assert [problems(json.dumps(r).encode()) for r in RECORDS] == [[]] * len(RECORDS)


def test_a_key_given_twice_is_named_with_its_key_path() -> None:
    twice = b'{"type": "customer", "id": "C-1", "name": "Dana", "id": "C-2"}'
    assert problems(twice, 3) == [f"{NAME}:3: id: given more than once in the same object"]
    item = b'{"sku": "A", "name": "n", "price": "1.00", "quantity": 1, "sku": "B"}'
    order = json.dumps(ORDER).encode().replace(b'[{"sku"', b"[" + item + b', {"sku"')
    assert problems(order, 4) == [
        f"{NAME}:4: items[0].sku: given more than once in the same object"
    ]


def test_nesting_deeper_than_64_is_refused_at_its_key_path() -> None:
    deep = line_of(SURVEY, csat=json.loads("[" * 70 + "]" * 70))
    assert problems(deep) == [f"{NAME}:1: csat{'[0]' * 63}: nested more than 64 levels deep"]
    assert problems(b"[" * 100_000) == [f"{NAME}:1: nested more than 64 levels deep"]


def test_numbers_beyond_their_field_are_refused_at_their_key_path() -> None:
    huge = json.dumps(SURVEY).replace('"csat": 5', f'"csat": {HUGE}').encode()
    assert problems(huge) == [
        f"{NAME}:1: csat: expected a whole number from 1 to 5, got a number of 4,400 digits"
    ]
    count = line_of(RECORDS[4], handle_seconds=2**63)
    assert problems(count) == [
        f"{NAME}:1: handle_seconds: expected a whole number from 0, got {2**63}"
    ]
    item = {"sku": "A", "name": "n", "price": "1" * 13, "quantity": 1}
    assert problems(line_of(ORDER, items=[item])) == [
        f"{NAME}:1: items[0].price: expected an amount from 0 to 999999999999.99 with at most"
        f" 2 decimals (a decimal string or number), got {json.dumps('1' * 13)}"
    ]
    tiny = json.dumps(ORDER).replace('"129.00"', "1e-99999999999999999999").encode()
    assert problems(tiny)[0].startswith(
        f"{NAME}:1: items[0].price: expected an amount from 0 to 999999999999.99"
    )


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999", '"NaN"', '"sNaN"'])
def test_every_non_finite_number_is_refused(token: str) -> None:
    money = json.dumps(ORDER).replace('"129.00"', token).encode()
    assert problems(money)[0].startswith(f"{NAME}:1: items[0].price: expected an amount from 0")
    count = json.dumps(SURVEY).replace('"csat": 5', f'"csat": {token}').encode()
    assert problems(count)[0].startswith(f"{NAME}:1: csat: expected a whole number from 1 to 5")


def test_bad_bytes_and_what_is_not_an_object_are_each_named() -> None:
    assert problems(b'{"type": "\xff"}', 2) == [f"{NAME}:2: not UTF-8 text: byte 0xff at byte 11"]
    assert problems(b"[1]") == [
        f"{NAME}:1: expected a JSON object (one record a line), got an array"
    ]
    assert problems(b'"customer"') == [
        f'{NAME}:1: expected a JSON object (one record a line), got "customer"'
    ]
    assert problems(b'{"type": "customer", "id": "C", "name": "D", "\\u202e\\n": 1}') == [
        f'{NAME}:1: "\\u202e\\n": unknown field (a customer has email, id, name, phone,'
        " since, tier)"
    ]


def test_an_import_names_each_bad_line(sqlite_db: Database, tmp_path: Path) -> None:
    """The per-line problems reach the user as they are, with their lines."""
    path = tmp_path / NAME
    lines = [
        json.dumps(RECORDS[1]).encode(),
        b'{"type": "customer", "id": "C-2", "name": "Dana", "id": "C-3"}',
        json.dumps(SURVEY).replace('"csat": 5', '"csat": NaN').encode(),
        b"[" * 1000,
        b'{"type": "customer", "id": "C-4", "name": "\xff"}',
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(InputRejected) as refusal:
        import_file(sqlite_db, path)
    assert [str(p) for p in refusal.value.problems] == [
        f"{NAME}:2: id: given more than once in the same object",
        f"{NAME}:3: csat: expected a whole number from 1 to 5, got NaN",
        f"{NAME}:4: nested more than 64 levels deep",
        f"{NAME}:5: not UTF-8 text: byte 0xff at byte 44",
    ]


@fuzz_settings
@given(
    st.one_of(
        st.sampled_from(RECORDS).flatmap(lambda r: mutations(pairs(r))).map(to_json),
        hostile_text,
        st.binary(max_size=200),
        st.integers(60, 2_000).map(lambda n: "[" * n + "]" * n),
    )
)
def test_fuzz_import_lines(line: str | bytes) -> None:
    """Near-valid records mutated, random text, random bytes, deep arrays."""
    raw = line if isinstance(line, bytes) else line.encode("utf-8", "surrogatepass")
    problems(raw.replace(b"\n", b" "), 7)
