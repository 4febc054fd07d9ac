"""The settings never crash: any config file (TOML) or CAREDESK_* value either loads or is
refused with `ConfigFileError`, one line naming the file and line (or the variable) and the
key; a keymap that loads is refused by `check_keymap` with `KeymapError` or taken."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzzing import HUGE, assert_refusal, fuzz_settings, hostile_text
from widgets.commands import BY_ID, RESERVED, KeymapError, check_keymap
from workspace.settings import ConfigFileError, Settings

GOOD = """\
db = "sqlite:///desk.db"
lapse_after = 300
delivery_timeout = 5.5
[keymap]
"queue.claim" = "c"
[delivery_urls]
refund = "https://payments.example/hooks"
"""


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    monkeypatch.setenv("CAREDESK_CONFIG", str(path))
    return path


def refused(config: Path, text: str | bytes) -> str:
    if isinstance(text, bytes):
        config.write_bytes(text)
    else:
        config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigFileError) as refusal:
        Settings()
    message = str(refusal.value)
    assert len(message.splitlines()) == 1 and message.isprintable()
    return message.replace(str(config), "config.toml")


def env_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> str:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigFileError) as refusal:
        Settings()
    message = str(refusal.value)
    assert len(message.splitlines()) == 1 and message.isprintable()
    return message


def test_the_good_file_loads(config: Path) -> None:
    config.write_text(GOOD, encoding="utf-8")
    assert Settings().keymap == {"queue.claim": "c"}


def test_a_key_given_twice_is_named_with_its_line(config: Path) -> None:
    text = GOOD.replace("lapse_after = 300\n", "lapse_after = 300\nlapse_after = 30\n")
    assert refused(config, text) == (
        "config.toml:3: lapse_after: not TOML: Cannot overwrite a value (at line 3, column 17)"
    )


def test_a_key_given_twice_in_a_variable_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    value = '{"queue.claim": "c", "queue.claim": "ctrl+q"}'
    assert env_refused(monkeypatch, "CAREDESK_KEYMAP", value) == (
        "CAREDESK_KEYMAP: 'queue.claim' is given twice"
    )


def test_nesting_deeper_than_64_is_refused(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deep = "keymap = " + "{a = " * 70 + "1" + "}" * 70 + "\n"
    assert (
        refused(config, deep)
        == f"config.toml:1: keymap{'.a' * 63}: nested more than 64 levels deep"
    )
    deeper = "db = 1\nkeymap = " + "[" * 5000 + "]" * 5000 + "\n"
    assert refused(config, deeper) == "config.toml:2: nested more than 64 levels deep"
    config.unlink()
    assert env_refused(monkeypatch, "CAREDESK_KEYMAP", "[" * 100 + "]" * 100) == (
        f"CAREDESK_KEYMAP: {'[0]' * 64}: nested more than 64 levels deep"
    )
    assert env_refused(monkeypatch, "CAREDESK_KEYMAP", "[" * 100_000) == (
        "CAREDESK_KEYMAP: nested more than 64 levels deep"
    )


def test_huge_numbers_are_refused(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert refused(config, GOOD.replace("300", HUGE)) == (
        "config.toml:2: a number CareDesk cannot read"
        " (Exceeds the limit (4300 digits) for integer string conversion)"
    )
    assert refused(config, GOOD.replace("300", str(2**63))) == (
        "lapse_after in config.toml:2: Input should be less than or equal to 86400"
    )
    config.unlink()
    assert env_refused(monkeypatch, "CAREDESK_KEYMAP", '{"a": ' + HUGE + "}") == (
        "CAREDESK_KEYMAP: Exceeds the limit (4300 digits) for integer string conversion"
    )
    monkeypatch.delenv("CAREDESK_KEYMAP")
    assert env_refused(monkeypatch, "CAREDESK_LAPSE_AFTER", HUGE).startswith(
        "CAREDESK_LAPSE_AFTER: Unable to parse input string as an integer"
    )


@pytest.mark.parametrize("token", ["inf", "nan", "+inf", "-inf", "+nan", "-nan", "1e999"])
def test_every_non_finite_number_in_the_file_is_refused(config: Path, token: str) -> None:
    message = refused(config, GOOD.replace("5.5", token))
    assert message.startswith("config.toml:3: delivery_timeout: expected a finite number, got ")


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_every_non_finite_number_in_a_variable_is_refused(
    monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    message = env_refused(monkeypatch, "CAREDESK_KEYMAP", '{"queue.claim": ' + token + "}")
    assert message.startswith("CAREDESK_KEYMAP: ") and "expected a finite number" in message


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-Infinity", "sNaN"])
def test_a_non_finite_timeout_as_text_is_refused(
    monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    assert env_refused(monkeypatch, "CAREDESK_DELIVERY_TIMEOUT", text).startswith(
        "CAREDESK_DELIVERY_TIMEOUT: Input should be a "
    )


def test_bad_bytes_and_a_list_where_a_mapping_belongs_are_named(config: Path) -> None:
    assert refused(config, b'db = "x"\nagent = "\xff"\n') == "config.toml:2: not UTF-8 text"
    assert refused(config, "keymap = [1]\n") == (
        "keymap in config.toml:1: Input should be a valid dictionary"
    )
    config.write_text("", encoding="utf-8")
    assert Settings().keymap == {}


def test_a_keymap_with_hidden_characters_is_refused_on_one_line() -> None:
    for keymap, expected in [
        ({"queue.claim": "c\n\u202e"}, "CAREDESK_KEYMAP: 'queue.claim': expected key names"),
        ({"queue\u202e": "c"}, "CAREDESK_KEYMAP: no command has the id 'queue\\u202e'"),
    ]:
        with pytest.raises(KeymapError) as refusal:
            check_keymap(keymap)
        assert str(refusal.value).startswith(expected)
        assert_refusal(refusal.value, "CAREDESK_KEYMAP")


TOKENS = [
    "inf", "nan", "+inf", "-inf", "1e999", HUGE, "-" + HUGE, str(2**63), "0", "-1", "true",
    '"sNaN"', '"Infinity"', "[1, 2]", "{a = 1}", "1979-05-27T07:32:00Z", "'x'", '"\\u0000"',
]  # fmt: skip
"""TOML values no field of the settings should crash on."""


@st.composite
def config_files(draw: st.DrawFn) -> str:
    """The good file with lines changed, repeated, added or nested deep."""
    lines = GOOD.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(lines) - 1))
        key = lines[index].split("=")[0].strip() or "x"
        change = draw(st.integers(0, 4))
        if change == 0:
            value = draw(st.one_of(st.sampled_from(TOKENS), hostile_text.map(json.dumps)))
            lines[index] = f"{key} = {value}"
        elif change == 1:
            lines.insert(index, lines[index])
        elif change == 2:
            lines.insert(
                index, f"{json.dumps(draw(hostile_text))} = {draw(st.sampled_from(TOKENS))}"
            )
        elif change == 3:
            depth = draw(st.integers(60, 400))
            lines.insert(index, f"{key} = " + "[" * depth + "]" * depth)
        else:
            lines[index] = draw(hostile_text)
    return "\n".join(lines) + "\n"


JSON_TOKENS = ["NaN", "Infinity", "-Infinity", "1e999", HUGE, '"c"', "[1]", "{}", "null"]

keymap_values = st.one_of(
    st.builds(
        lambda pairs: "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in pairs) + "}",
        st.lists(
            st.tuples(
                st.one_of(st.sampled_from(sorted(BY_ID)), hostile_text),
                st.one_of(st.sampled_from(JSON_TOKENS), hostile_text.map(json.dumps)),
            ),
            max_size=4,
        ),
    ),
    st.integers(1, 300).map(lambda n: "[" * n + "]" * n),
    hostile_text,
)
"""CAREDESK_KEYMAP values: JSON objects with odd keys and values, deep arrays, noise."""


@fuzz_settings
@given(
    st.one_of(
        config_files(),
        hostile_text,
        st.binary(max_size=100),
        keymap_values.map(lambda v: ("CAREDESK_KEYMAP", v)),
        st.tuples(
            st.sampled_from(["CAREDESK_LAPSE_AFTER", "CAREDESK_DELIVERY_TIMEOUT"]),
            st.one_of(st.sampled_from(["nan", "inf", "-inf", "sNaN", HUGE, "1e999"]), hostile_text),
        ),
    )
)
def test_fuzz_settings(config: Path, data: str | bytes | tuple[str, str]) -> None:
    """Config files mutated or random, and odd CAREDESK_* values; the keymap of settings
    that load goes through `check_keymap`, as the app does."""
    if isinstance(data, tuple):
        config.write_text("", encoding="utf-8")
        name, value = data
        if "\x00" in value or any(0xD800 <= ord(c) <= 0xDFFF for c in value):
            return  # the environment holds neither
        os.environ[name] = value
    elif isinstance(data, bytes):
        config.write_bytes(data)
    else:
        config.write_text(data, encoding="utf-8", errors="surrogatepass")
    try:
        settings = Settings()
    except ConfigFileError as refusal:
        message = str(refusal)
        assert len(message.splitlines()) == 1 and message.isprintable(), message
        assert message.startswith(("CAREDESK_", str(config))) or f" in {config}" in message
        return
    finally:
        if isinstance(data, tuple):
            del os.environ[data[0]]
    try:
        check_keymap(settings.keymap)
    except KeymapError as refusal:
        assert_refusal(refusal, "CAREDESK_KEYMAP")


@fuzz_settings
@given(
    st.dictionaries(
        st.one_of(st.sampled_from(sorted(BY_ID)), hostile_text),
        st.one_of(
            st.sampled_from(["c", "f2", "ctrl+n", "enter", ",", "", " , ", *RESERVED]),
            hostile_text,
        ),
        max_size=5,
    )
)
def test_fuzz_keymap(keymap: dict[str, str]) -> None:
    try:
        check_keymap(keymap)
    except KeymapError as refusal:
        assert_refusal(refusal, "CAREDESK_KEYMAP")
