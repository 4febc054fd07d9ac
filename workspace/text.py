"""Make untrusted customer text safe to show in a terminal, and show what was hidden in it.

Textual's `markup=False`, `Content(text)` and `Text(text)` stop *markup*, but they pass control
characters through to the terminal byte for byte: an OSC 52 in a customer's message writes the
agent's clipboard, OSC 8 plants a link, a CSI clears the screen, a bidi override makes
`invoice <RLO>gnp.exe` read as `invoice exe.png`. So every piece of customer text goes through
`sanitize` (or `one_line` / `preview`, which build on it) at the display boundary, and nowhere
else: one sanitiser, one set of rules.

The sanitiser never deletes anything silently. A hidden character becomes a visible, inert
stand-in, so an agent can see that a message *contained* an escape sequence or a bidi override,
which is itself a useful signal of abuse:

* C0 controls and DEL become caret notation (`ESC` -> `^[`, `BEL` -> `^G`, `DEL` -> `^?`);
  `\\n` and `\\t` are kept and `\\r\\n` becomes `\\n`.
* C1 controls, bidi controls, zero-width and invisible formatters, every other format
  character (Unicode category `Cf`: tag characters, interlinear annotation marks, deprecated
  shaping controls...), line/paragraph separators, surrogates and non-characters become
  `<U+XXXX>`.
* A run of more than two combining marks ("Zalgo" text, which smears over neighbouring rows) is
  cut to two, followed by `<+N marks>` where N is how many were dropped. A few scripts stack
  three marks legitimately (Tibetan subjoined letters, for one); they are shortened the same
  way, visibly, which is the price of one simple rule.

U+200D ZERO WIDTH JOINER is shown as `<U+200D>` too, even inside emoji sequences, deliberately:
that splits a family emoji into its members, but a joiner is invisible and can be used to make
two strings look identical, so it is shown like the other zero-width characters. The same goes
for the tag characters (U+E0000-U+E007F) that spell out subdivision flags such as Scotland's:
the flag shows as a black flag and its tags, because tags can also carry a whole hidden text.

Markup characters such as `[` are left alone: widgets must display text literally (never
through markup). This module is about the terminal, so it is pure Python and imports neither
Textual nor Rich.

Note that the stand-ins are plain ASCII, so a customer who literally types `^[` looks the same as
one who sent ESC. That is fine: both are inert, and the output is stable under a second pass
(`sanitize(sanitize(x)) == sanitize(x)`).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import NamedTuple

__all__ = ["ELLIPSIS", "NEWLINE_MARK", "one_line", "preview", "sanitize"]

#: What `one_line` shows in place of a line break.
NEWLINE_MARK = " \N{RETURN SYMBOL} "

#: What `preview` appends when it cut the text.
ELLIPSIS = "\N{HORIZONTAL ELLIPSIS}"

#: Combining marks kept on one base character before the rest are replaced by `<+N marks>`.
MAX_MARKS = 2


def _code_point(cp: int) -> str:
    """`<U+XXXX>`: a visible, inert name for an invisible or dangerous character."""
    return f"<U+{cp:04X}>"


def _build_table() -> dict[int, str]:
    """The single-character mapping for `str.translate`, built once at import.

    Enough for ASCII text. Other text also needs the format characters that are not named
    here, which `_unsafe` adds on first use.
    """
    table: dict[int, str] = {}
    # C0 controls as caret notation: 0x00 -> ^@, 0x1B -> ^[, 0x7F -> ^?. \n and \t are layout.
    for cp in range(0x20):
        if chr(cp) not in "\n\t":
            table[cp] = "^" + chr(cp + 0x40)
    table[0x7F] = "^?"
    # C1 controls (0x9B is an 8-bit CSI, 0x9D an 8-bit OSC; 0x85 NEL is a line break).
    named = list(range(0x80, 0xA0))
    # Bidi controls: ALM, LRM, RLM, LRE/RLE/PDF/LRO/RLO, LRI/RLI/FSI/PDI.
    named += [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
    # Zero-width and invisible formatters: ZWSP, ZWNJ, ZWJ, word joiner, invisible operators,
    # BOM / ZWNBSP, soft hyphen.
    named += [*range(0x200B, 0x200E), *range(0x2060, 0x2065), 0xFEFF, 0x00AD]
    # Line and paragraph separators: some widgets break lines on them, some do not.
    named += [0x2028, 0x2029]
    # Surrogates cannot be encoded as UTF-8 at all; Python strings can still hold them (for
    # example from `surrogateescape`), and writing one would raise deep inside the renderer.
    named += list(range(0xD800, 0xE000))
    # Non-characters: U+FDD0..U+FDEF and the last two code points of every plane.
    named += list(range(0xFDD0, 0xFDF0))
    for plane in range(17):
        named += [plane * 0x10000 + 0xFFFE, plane * 0x10000 + 0xFFFF]
    for cp in named:
        table[cp] = _code_point(cp)
    return table


_TABLE: dict[int, str] = _build_table()

Ranges = list[tuple[int, int]]


def _ranges(code_points: list[int], gap: int = 1) -> Ranges:
    """Code points as sorted inclusive ranges, merging neighbours at most `gap` apart."""
    ranges: Ranges = []
    for cp in sorted(code_points):
        if ranges and cp - ranges[-1][1] <= gap:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    return ranges


def _char_class(ranges: Ranges) -> str:
    """A regex character class `[...]` for the ranges."""
    body = "".join(
        re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}"
        for lo, hi in ranges
    )
    return f"[{body}]"


# Speed notes, measured on 100 KB: `re` turns a class of code points below U+10000 into a
# lookup table (about 1 ms to scan), but a class with any astral member into a list of ranges
# tried one by one (about 0.4 ms more per range; 25 ms for all combining marks). So the usual
# paths use BMP-only classes, and a two-range hint decides when the exact, slower ones are
# needed. Groups at the start of a pattern also defeat the scan, hence `_cap_marks`' slicing.
# Looking for one astral character with `str.find` costs about 0.01 ms, so the 150-odd astral
# unsafe characters (non-characters, tags) are looked for one by one.

#: Above this many runs of unsafe characters, one `str.translate` beats stitching pieces.
_FEW_RUNS = 64

#: Every astral code point except the emoji and symbol blocks (U+1F000-U+1FFFD): a cheap first
#: test, so that text with emoji does not pay for the exact, slower ones.
_ASTRAL_NOT_EMOJI = re.compile("[\U00010000-\U0001efff\U0001fffe-\U0010ffff]")

#: Where the combining marks and format characters are: plane 0 from U+00A0 (below are ASCII
#: and the C1 controls, all in `_TABLE`), plane 1 (SMP) and the first block of plane 14 (SSP:
#: tags and variation selectors). Planes 2-3 are ideographs, 4-13 unassigned and 15-16 private
#: use. Scanning just these keeps the one-off cost low.
_SCAN_PLANES = (range(0x00A0, 0x20000), range(0xE0000, 0xE1000))


def _is_mark(ch: str) -> bool:
    """Whether `ch` stacks on the previous character (has a combining class, or is Mn/Me)."""
    return unicodedata.combining(ch) != 0 or unicodedata.category(ch) in ("Mn", "Me")


class _Scan(NamedTuple):
    """The code points of `_SCAN_PLANES` that need rules of their own (see `_scan`)."""

    marks: list[int]
    """Combining marks, which stack on the character before them."""
    formats: list[int]
    """Format characters (category `Cf`): invisible, and some of them hide or reorder text."""


@cache
def _scan() -> _Scan:
    """Find the marks and format characters, once, on first use.

    Not at import: this looks at about 135,000 code points with `unicodedata` (some 30 ms) and
    only non-ASCII text needs it. It follows the running Python's Unicode version, so
    characters added by a newer Unicode are covered on upgrade.
    """
    marks: list[int] = []
    formats: list[int] = []
    for plane in _SCAN_PLANES:
        for cp in plane:
            ch = chr(cp)
            category = unicodedata.category(ch)
            if category == "Cf":
                formats.append(cp)
            if category in ("Mn", "Me") or unicodedata.combining(ch) != 0:  # as `_is_mark`
                marks.append(cp)
    return _Scan(marks, formats)


class _Unsafe(NamedTuple):
    """What non-ASCII text needs on top of `_TABLE` (see `_unsafe`)."""

    table: dict[int, str]
    """`_TABLE` plus every format character, as `<U+XXXX>`."""
    bmp_runs: re.Pattern[str]
    """Runs of characters `table` changes, below U+10000."""
    astral: tuple[str, ...]
    """The astral characters `table` changes: non-characters, tags and other format characters,
    looked for one by one (see the speed notes)."""


@cache
def _unsafe() -> _Unsafe:
    """Add every format character to the table on first use (see `_scan`)."""
    table = dict(_TABLE)
    for cp in _scan().formats:
        table.setdefault(cp, _code_point(cp))
    return _Unsafe(
        table=table,
        bmp_runs=re.compile(_char_class(_ranges([cp for cp in table if cp < 0x10000])) + "+"),
        astral=tuple(chr(cp) for cp in sorted(table) if cp >= 0x10000),
    )


class _Marks(NamedTuple):
    """Compiled patterns for combining marks (see `_marks`)."""

    bmp_runs: re.Pattern[str]
    """Runs of more than `MAX_MARKS` marks, all below U+10000."""
    all_runs: re.Pattern[str]
    """The same for every mark, astral ones included (slower: see the speed notes)."""
    bmp_any: re.Pattern[str]
    """Zero or more marks below U+10000, to skip over a run."""
    astral: re.Pattern[str]
    """A superset of the astral marks, in a dozen ranges: when it does not match, `bmp_runs`
    finds every run."""


@cache
def _marks() -> _Marks:
    """Build the combining-mark patterns on first use (see `_scan`)."""
    marks = _scan().marks
    bmp = _char_class(_ranges([cp for cp in marks if cp < 0x10000]))
    every = _char_class(_ranges(marks))
    astral = [cp for cp in marks if cp >= 0x10000]
    # Astral marks sit in a dozen clusters; one range per cluster is enough for a hint.
    hint = _ranges(astral, gap=0x200)
    keep = MAX_MARKS + 1
    return _Marks(
        bmp_runs=re.compile(bmp * keep + "+"),
        all_runs=re.compile(every * keep + "+"),
        bmp_any=re.compile(f"{bmp}*"),
        astral=re.compile(_char_class(hint)),
    )


def _cap_marks(match: re.Match[str]) -> str:
    """Keep the first `MAX_MARKS` marks of a run and say how many were dropped."""
    run = match.group()
    return f"{run[:MAX_MARKS]}<+{len(run) - MAX_MARKS} marks>"


def _translate_bmp(text: str, unsafe: _Unsafe) -> str:
    """`text.translate(unsafe.table)`, for text whose unsafe characters are all below U+10000.

    `str.translate` is fast on ASCII but slow on other text (a failed dict lookup per
    character), so when there are only a few unsafe runs, replace just those.
    """
    pieces: list[str] = []
    pos = 0
    for count, run in enumerate(unsafe.bmp_runs.finditer(text)):
        if count == _FEW_RUNS:
            return text.translate(unsafe.table)
        pieces += (text[pos : run.start()], run.group().translate(unsafe.table))
        pos = run.end()
    if not pieces:
        return text
    pieces.append(text[pos:])
    return "".join(pieces)


def sanitize(text: str) -> str:
    """Return `text` safe to hand to a terminal widget, with every hidden thing made visible.

    Keeps newlines and tabs (so messages keep their shape), turns every other control,
    bidi, invisible and unencodable character into a visible stand-in, and caps combining-mark
    runs. Everything else (accents, CJK, emoji, markup characters) is returned unchanged.
    Safe to apply twice. 100 KB of ordinary text takes a few milliseconds at most.
    """
    text = text.replace("\r\n", "\n")
    if text.isascii():  # O(1) in CPython; ASCII holds no combining marks or format characters.
        return text.translate(_TABLE)
    marks = _marks()
    unsafe = _unsafe()
    astral = _ASTRAL_NOT_EMOJI.search(text)
    if astral is None:  # the usual case: every mark and unsafe character is below U+10000
        return marks.bmp_runs.sub(_cap_marks, _translate_bmp(text, unsafe))
    # Historic scripts, mathematical letters, CJK extensions, tags: check exactly (and slower).
    start = astral.start()
    runs = marks.all_runs if marks.astral.search(text, start) else marks.bmp_runs
    if any(text.find(ch, start) >= 0 for ch in unsafe.astral):
        return runs.sub(_cap_marks, text.translate(unsafe.table))
    return runs.sub(_cap_marks, _translate_bmp(text, unsafe))


def hidden_code_points() -> frozenset[int]:
    """Every code point `sanitize` replaces with a stand-in (combining marks aside): controls
    but newline and tab, bidi, zero-width and other format characters, line separators,
    surrogates and non-characters. For output that shows them in a notation of its own, such
    as the JSON escapes of the command line on a terminal, so both follow one set of rules."""
    return frozenset(_unsafe().table)


def one_line(text: str) -> str:
    """`sanitize` for single-line cells (queue rows, timeline summaries).

    Line breaks are shown as ` ⏎ ` rather than dropped, so "yes\\nno" does not read as
    "yesno", and a tab becomes one space so columns keep a predictable width.
    """
    return sanitize(text).replace("\n", NEWLINE_MARK).replace("\t", " ")


def _skip_marks(text: str, pos: int) -> int:
    """The index just past the run of combining marks starting at `pos`."""
    if text.isascii():
        return pos
    bmp_any = _marks().bmp_any
    while True:
        run = bmp_any.match(text, pos)
        if run is not None:  # always: the pattern also matches an empty run
            pos = run.end()
        if pos < len(text) and _is_mark(text[pos]):  # an astral mark: step over it
            pos += 1
        else:
            return pos


def _piece_end(text: str, end: int) -> int:
    """`end`, moved on so that sanitising `text` in pieces split there changes nothing.

    A split must not fall between `\\r` and `\\n` (which would show `^M`) or inside a run of
    combining marks (whose `<+N marks>` count must be the true one).
    """
    if end >= len(text):
        return len(text)
    if text[end - 1] == "\r" and text[end] == "\n":
        end += 1
    return _skip_marks(text, end)


def _longest_fit(text: str, start: int, stop: int, room: int) -> int:
    """The largest `end` in `start..stop` with `one_line(text[start:end])` at most `room` long.

    Cut on the input, not the output, so a stand-in (`^[`, `<U+202E>`, ` ⏎ `) is never split,
    even next to a `^` or `<` the customer typed. Shown length never shrinks as `end` grows,
    so a binary search finds it. The cut then steps back from between `\\r` and `\\n`, and
    from after the second mark of a longer run, whose `<+N marks>` count would be wrong.
    """
    low, high = start, stop
    while low < high:
        middle = (low + high + 1) // 2
        if len(one_line(text[start:middle])) <= room:
            low = middle
        else:
            high = middle - 1
    end = low
    if end >= len(text) or end == start:
        return end
    if text[end - 1] == "\r" and text[end] == "\n":
        return end - 1
    if _is_mark(text[end]):
        base = end
        while base > start and _is_mark(text[base - 1]):
            base -= 1
        end = min(end, base + MAX_MARKS)
    return end


def preview(text: str, limit: int = 200) -> str:
    """`one_line` of at most `limit` characters, ending with `…` when it was cut.

    Only the head of `text` is sanitised, so a 100,000-character message costs about the same
    as a short one in a queue row. The result is always `one_line` of a prefix of `text`, so
    no stand-in is cut in half (a dangling `^` would read as something else). `limit` counts
    characters, not terminal cells: widgets still crop wide (CJK, emoji) text to their width.
    A `limit` below 1 gives an empty string.
    """
    if limit < 1:
        return ""
    # Sanitise the head piece by piece until it shows more than `limit` characters or the text
    # ends. Usually one piece: every character shows as at least one, except combining marks
    # beyond the second, so `limit + 1` more input characters normally settle it.
    pieces: list[tuple[int, int, str]] = []  # (start, end before _piece_end, shown)
    shown_len = start = 0
    while start < len(text) and shown_len <= limit:
        stop = min(len(text), start + limit + 1 - shown_len)
        end = _piece_end(text, stop)
        piece = one_line(text[start:end])
        pieces.append((start, stop, piece))
        shown_len += len(piece)
        start = end
    if start >= len(text) and shown_len <= limit:
        return "".join(piece for _, _, piece in pieces)
    # Too long: keep whole pieces while they fit in `limit - 1`, then cut inside the next.
    room = limit - len(ELLIPSIS)
    kept: list[str] = []
    for piece_start, stop, piece in pieces:
        if len(piece) > room:
            kept.append(one_line(text[piece_start : _longest_fit(text, piece_start, stop, room)]))
            break
        kept.append(piece)
        room -= len(piece)
    return "".join(kept) + ELLIPSIS


def count(n: int, noun: str, plural: str | None = None) -> str:
    """`n` things in English: `1 grant`, `2 grants`, `0 grants` (`plural` when adding `s`
    is not how the noun makes it: `count(2, "entry", "entries")`). Thousands are grouped."""
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"


def words(name: str) -> str:
    """An internal name as words in a sentence: `two_day_shipping` -> `two-day shipping`,
    `store_credit` -> `store credit`."""
    spoken = name.replace("_", " ")
    # A number and the unit after it read as one word: "two-day", "30-day".
    return re.sub(r"\b(\w+) (day|week|month|hour)\b", r"\1-\2", spoken)
