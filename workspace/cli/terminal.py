"""What `caredesk` commands write reaches a terminal inert; files and pipes get it unchanged.

Customer text is untrusted, and a terminal acts on the control characters in it: ESC and the
C1 controls (U+009B is an 8-bit CSI, U+009D an OSC) clear the screen, plant links or write
the clipboard; bidi overrides make `invoice <RLO>gnp.exe` read as `invoice exe.png`. So when
a stream is a terminal, every character `workspace.text.sanitize` would hide (controls but
newline and tab, DEL, C1, bidi and other format characters, zero-width characters, line and
paragraph separators, lone surrogates, non-characters) is written as a JSON escape: U+009B as
`\\u009b`, ESC as `\\u001b`, an astral one as its surrogate pair. Newline and tab stay: they
only lay text out and cannot hide any. Escapes, unlike `sanitize`'s stand-ins, are lossless.

Two ways to write, so that a backslash is never ambiguous:

* JSON (`export`, `--json`): the escapes are JSON's own, inside strings, so the line stays
  JSON that reads back to the same values. Backslashes are JSON's already; none is touched.
* Plain text (tables, messages, CSV): read it as written, except that a backslash before `\\`
  or `u` starts an escape: `\\\\` is one backslash and `\\uXXXX` one character. So a backslash
  is doubled when it comes before a backslash, a `u`, an escaped character, or the end of
  what is written (`C:\\new` stays as it is; `C:\\users` shows as `C:\\\\users`).

A file or a pipe gets every byte as it is: an export stays byte-exact, whatever it holds.

While a command runs, `guarded` wraps standard output and standard error, so that nothing
written with a bare `print` reaches a terminal raw either (JSON style, lossless); plain text
goes through `echo` or `write` for the backslash rule. The wrap of standard output also names
a failed write: it raises `WriteFailed` ("cannot write to standard output: disk full").
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import IO, Any, NamedTuple, TextIO, cast

__all__ = ["echo", "escape", "guard", "guarded", "is_terminal", "raw", "safe", "unguarded", "write"]

#: The hidden characters of ASCII text: C0 controls but newline and tab, and DEL.
_ASCII_HIDDEN = "[\x00-\x08\x0b-\x1f\x7f]"

_ASCII = re.compile(_ASCII_HIDDEN)
_ASCII_BACKSLASH = re.compile(rf"\\(?=[\\u]|\Z|{_ASCII_HIDDEN})")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class _Patterns(NamedTuple):
    """The compiled patterns `escape` uses (see `_patterns`)."""

    bmp: re.Pattern[str]
    """The hidden characters below U+10000: a class `re` turns into a fast lookup table."""
    every: re.Pattern[str]
    """Every hidden character, astral ones too (slower: tried only on text that has any)."""
    backslash: re.Pattern[str]
    """A backslash that plain text doubles (see the module's docstring)."""


def _class(code_points: Iterable[int]) -> str:
    """A regex character class of `code_points`, as ranges."""
    ranges: list[tuple[int, int]] = []
    for cp in sorted(code_points):
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    body = "".join(
        re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}"
        for lo, hi in ranges
    )
    return f"[{body}]"


@cache
def _patterns() -> _Patterns:
    """Built on first use on a terminal: the set comes from `workspace.text`, which scans
    Unicode for format characters once (some 30 ms)."""
    from workspace.text import hidden_code_points

    hidden = hidden_code_points()
    bmp = _class(cp for cp in hidden if cp < 0x10000)
    every = _class(hidden)
    return _Patterns(
        bmp=re.compile(bmp),
        every=re.compile(every),
        backslash=re.compile(rf"\\(?=[\\u]|\Z|{every})"),
    )


def _escaped(match: re.Match[str]) -> str:
    """The JSON escape of one character: `\\u009b`, or a surrogate pair above U+FFFF."""
    cp = ord(match.group())
    if cp < 0x10000:
        return f"\\u{cp:04x}"
    cp -= 0x10000
    return f"\\u{0xD800 + (cp >> 10):04x}\\u{0xDC00 + (cp & 0x3FF):04x}"


def escape(text: str, *, json: bool = False) -> str:
    """`text` with every hidden character as a JSON escape, whatever the stream.

    With `json`, `text` is JSON and its backslashes are left alone; without it, `text` is
    plain and a backslash that could be read as part of an escape is doubled.
    """
    if text.isascii():  # the usual case, kept cheap: no Unicode scan is needed for it
        found, backslash = _ASCII, _ASCII_BACKSLASH
    else:
        patterns = _patterns()
        found = patterns.every if _ASTRAL.search(text) else patterns.bmp
        backslash = patterns.backslash
    if not json and "\\" in text:
        text = backslash.sub(r"\\\\", text)
    return found.sub(_escaped, text)


def is_terminal(stream: IO[str]) -> bool:
    """Whether `stream` is a terminal (a closed or detached stream is not)."""
    try:
        return stream.isatty()
    except ValueError:  # I/O operation on a closed file
        return False


def safe(text: str, stream: IO[str] | None = None, *, json: bool = False) -> str:
    """`text` as it may be written to `stream` (standard output by default): escaped when
    the stream is a terminal, else unchanged."""
    stream = sys.stdout if stream is None else stream
    return escape(text, json=json) if is_terminal(stream) else text


def write(stream: IO[str], text: str, *, json: bool = False) -> None:
    """Write `text` to `stream`, escaped when the stream is a terminal (`safe`)."""
    stream.write(safe(text, stream, json=json))


def echo(text: str = "", *, err: bool = False, json: bool = False) -> None:
    """`print(text)` to standard output (standard error with `err`), escaped on a terminal:
    the one call a command makes to say something."""
    write(sys.stderr if err else sys.stdout, text + "\n", json=json)


class _Guard:
    """A stream that escapes what is written to it when it is a terminal, and names a failed
    write (`WriteFailed`) when told what the stream is."""

    def __init__(
        self, stream: IO[str], *, escaping: bool, json: bool, name: str | None = None
    ) -> None:
        self.stream = stream
        self._escaping = escaping
        self._json = json
        self._name = name

    def write(self, text: str) -> int:
        if self._escaping:
            text = escape(text, json=self._json)
        try:
            return self.stream.write(text)
        except OSError as error:
            raise self._failed(error) from error

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self.stream.flush()
        except OSError as error:
            raise self._failed(error) from error

    def _failed(self, error: OSError) -> Exception:
        """A `WriteFailed` naming the stream; a closed pipe stays a `BrokenPipeError`, which
        the command line ends quietly on, as other tools do."""
        if self._name is None or isinstance(error, BrokenPipeError):
            return error
        from workspace.cli.failures import WriteFailed, why

        return WriteFailed(self._name, why(error))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def guard(stream: IO[str], *, json: bool = False) -> TextIO:
    """`stream` for a writer that takes a file (`csv.writer`, `json.dump`): what is written
    is escaped when it is a terminal (`json` when it is JSON); else `stream` itself."""
    if not is_terminal(stream):
        return cast(TextIO, stream)
    return cast(TextIO, _Guard(stream, escaping=True, json=json))


def raw(stream: IO[str]) -> TextIO:
    """The stream under `guarded`'s wrap: for Rich or Textual, which draw on the terminal
    with control sequences of their own."""
    while isinstance(stream, _Guard):
        stream = stream.stream
    return cast(TextIO, stream)


@contextmanager
def guarded() -> Iterator[None]:
    """Wrap standard output and error while a command runs (see the module's docstring).

    Standard output is always wrapped, to name a failed write; standard error only when it
    is a terminal (a failure to write there cannot be told anywhere). A bug's traceback can
    quote customer text too: on a terminal it is printed here, inert, and the exit status is
    1, as Python's own would be.
    """
    out, err = sys.stdout, sys.stderr
    named = "to standard output"
    sys.stdout = cast(TextIO, _Guard(out, escaping=is_terminal(out), json=True, name=named))
    if is_terminal(err):
        sys.stderr = cast(TextIO, _Guard(err, escaping=True, json=True))
    try:
        yield
    except Exception:
        if sys.stderr is err:
            raise
        import traceback

        traceback.print_exc(file=sys.stderr)
        raise SystemExit(1) from None
    finally:
        sys.stdout, sys.stderr = out, err


@contextmanager
def unguarded() -> Iterator[None]:
    """Unwrap the standard streams while a Textual app runs: it owns the terminal, and what
    it prints there (a crash report in colour) carries its own control sequences."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = raw(out), raw(err)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err
