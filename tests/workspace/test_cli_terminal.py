"""Nothing raw reaches a terminal from a command, files and pipes get every byte, and a write
that fails is one line and exit status 2 (`workspace.cli.terminal`, `workspace.cli.failures`).

Most tests call the command line in this process with a stream that says it is a terminal;
two run it under a real pseudo-terminal, and a few need a process of its own (a pipe, a
standard output that is /dev/full).
"""

from __future__ import annotations

import io
import json
import os
import re
import selectors
import shutil
import sqlite3
import subprocess
import sys
import tty
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import make_url

from storage.engine import Database
from storage.models import Agent, Customer, Interaction
from storage.testing import fresh_sqlite
from storage.uow import unit_of_work
from tests.factories import NOW
from tests.hostile import INLINE_CASES, load_hostile_cases
from workspace.cli import main
from workspace.cli.failures import told
from workspace.cli.terminal import escape

HOSTILE = [text for _, text in INLINE_CASES + (load_hostile_cases() or [])]

#: What must never reach a terminal: C0 controls but newline and tab, DEL, C1, the bidi
#: controls, and the invisible characters that hide or join text.
FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2028\u2029"
    "\u2060-\u2064\u2066-\u2069\ufeff\U000e0000-\U000e007f]"
)


def forbidden(shown: str) -> list[str]:
    """The characters of `shown` a terminal must not get, as escapes (for the message)."""
    return sorted({f"U+{ord(ch):04X}" for ch in FORBIDDEN.findall(shown)})


def read_plain(shown: str) -> str:
    """The text plain output on a terminal stands for: `\\\\` is a backslash, `\\uXXXX` a
    character (a pair of them above U+FFFF), any other backslash itself."""
    out: list[str] = []
    i = 0
    while i < len(shown):
        if shown.startswith("\\\\", i):
            out.append("\\")
            i += 2
        elif shown.startswith("\\u", i):
            out.append(chr(int(shown[i + 2 : i + 6], 16)))
            i += 6
        else:
            out.append(shown[i])
            i += 1
    return "".join(out).encode("utf-16", "surrogatepass").decode("utf-16")


class FakeTerminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def _run(argv: list[str], *, terminal: bool) -> tuple[int, str, str]:
    """`caredesk ARGV` in this process, on a (fake) terminal or on captured files."""
    out, err = (FakeTerminal(), FakeTerminal()) if terminal else (io.StringIO(), io.StringIO())
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = main(argv)
    finally:
        sys.stdout, sys.stderr = saved
    return code, out.getvalue(), err.getvalue()


def _seed(db: Database) -> None:
    """An agent, a customer and a message per hostile string."""
    with unit_of_work(db) as s:
        for n, text in enumerate(HOSTILE):
            s.add(Agent(name=f"agent-{n}", display_name=text, role="agent"))
            s.add(Customer(id=f"C-{n}", name=text, tier="gold", email=f"c{n}@example.com"))
        s.flush()
        for n, text in enumerate(HOSTILE):
            s.add(
                Interaction(
                    ref=f"M-{n}",
                    customer_id=f"C-{n}",
                    at=NOW - timedelta(minutes=n),
                    channel="email",
                    direction="inbound",
                    kind="message",
                    text=text,
                )
            )


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database seeded once for the module; a test that writes takes a copy (`own_db`)."""
    folder = tmp_path_factory.mktemp("seeded")
    db = fresh_sqlite(folder)
    _seed(db)
    db.dispose()
    return folder / "caredesk.db"


@pytest.fixture
def hostile_url(seeded: Path) -> str:
    return f"sqlite:///{seeded}"


@pytest.fixture
def own_db(seeded: Path, tmp_path: Path) -> Path:
    """A copy of the seeded database, for a test that makes it read-only."""
    return Path(shutil.copy(seeded, tmp_path / "c.db"))


def _strings(value: object) -> Iterator[str]:
    """Every string in a decoded JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _exported_strings(jsonl: str) -> set[str]:
    lines = jsonl.removesuffix("\n").split("\n")  # not splitlines: U+2028 is in a string
    return {text for line in lines for text in _strings(json.loads(line))}


# -- the escapes ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_every_hostile_string_is_escaped_and_read_back(text: str) -> None:
    plain = escape(text)
    assert forbidden(plain) == []
    assert read_plain(plain) == text
    line = json.dumps({"text": text}, ensure_ascii=False)
    shown = escape(line, json=True)
    assert forbidden(shown) == []
    assert json.loads(shown) == {"text": text}


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("C:\\new", "C:\\new"),  # a backslash before an ordinary letter stays as it is
        ("C:\\users", "C:\\\\users"),  # before `u` it would read as an escape: doubled
        ("a\\\\b", "a\\\\\\b"),  # two backslashes: the first before a backslash
        ("\\\u009b", "\\\\\\u009b"),  # before an escaped character
        ("typed \\u009b", "typed \\\\u009b"),  # a customer who typed an escape
        ("ends \\", "ends \\\\"),  # at the end: what is written next cannot change it
        ("tab\tand\nnewline", "tab\tand\nnewline"),  # layout, kept
        ("\r\n", "\\u000d\n"),  # a carriage return can hide the line: escaped
        ("flag \U000e0067", "flag \\udb40\\udc67"),  # a tag character, as a surrogate pair
    ],
)
def test_plain_text_backslashes_are_never_ambiguous(text: str, shown: str) -> None:
    assert escape(text) == shown
    assert read_plain(shown) == text


@given(st.text())
def test_any_text_reads_back_and_shows_nothing_hidden(text: str) -> None:
    assert read_plain(escape(text)) == text
    assert forbidden(escape(text)) == []
    line = json.dumps([text], ensure_ascii=False)
    assert json.loads(escape(line, json=True)) == [text]


# -- the commands, on a terminal and on a pipe -----------------------------------------------


def test_export_on_a_terminal_is_inert_json_that_reads_back(hostile_url: str) -> None:
    code, out, err = _run(["export", "--db", hostile_url], terminal=True)
    assert code == 0 and forbidden(out + err) == []
    assert set(HOSTILE) <= _exported_strings(out)


def test_export_into_a_file_or_pipe_is_unchanged(hostile_url: str, tmp_path: Path) -> None:
    code, out, _ = _run(["export", "--db", hostile_url], terminal=False)
    assert code == 0
    assert "\x9b" in out and "\u202e" in out  # raw: the lossless JSON of before
    lines = out.removesuffix("\n").split("\n")
    assert out == "".join(json.dumps(json.loads(line), ensure_ascii=False) + "\n" for line in lines)
    assert set(HOSTILE) <= _exported_strings(out)
    path = tmp_path / "out.jsonl"
    assert _run(["export", "--db", hostile_url, "-o", str(path)], terminal=False)[0] == 0
    assert path.read_text(encoding="utf-8") == out
    piped = subprocess.run(
        [sys.executable, "-m", "workspace.cli", "export", "--db", hostile_url],
        capture_output=True,
        check=True,
        timeout=60,
    )
    assert piped.stdout == out.encode("utf-8")  # byte-exact through a real pipe


@pytest.mark.parametrize(
    "argv",
    [["agent", "list"], ["agent", "list", "--json"], ["report"], ["report", "--csv"]],
    ids=" ".join,
)
def test_other_commands_on_a_terminal_are_inert(hostile_url: str, argv: list[str]) -> None:
    code, out, err = _run([*argv, "--db", hostile_url], terminal=True)
    assert (code, forbidden(out + err)) == (0, [])
    if argv[-1] == "--json":
        shown = {a["name"] for a in json.loads(out)}
        assert set(HOSTILE) <= shown  # lossless: JSON escapes read back


def test_error_messages_on_a_terminal_are_inert(hostile_url: str, tmp_path: Path) -> None:
    for text in HOSTILE[:6]:
        for argv in (
            ["agent", "set", text, "--role", "agent", "--db", hostile_url],  # quotes the id
            ["export", "--db", hostile_url, "-o", str(tmp_path / text / "x.jsonl")],  # a path
        ):
            code, out, err = _run(argv, terminal=True)
            assert code == 2 and out == ""
            assert err.startswith("caredesk: ") and err.count("\n") == 1
            assert forbidden(err) == []


def _on_a_pty(argv: list[str]) -> tuple[int, bytes, bytes]:
    """Run `caredesk ARGV` in a child whose standard output and error are two real
    pseudo-terminals, in raw mode so every byte written arrives as it was written."""
    ends = [os.openpty(), os.openpty()]
    for _, child_end in ends:
        tty.setraw(child_end)
    process = subprocess.Popen(
        [sys.executable, "-m", "workspace.cli", *argv],
        stdin=subprocess.DEVNULL,
        stdout=ends[0][1],
        stderr=ends[1][1],
    )
    for _, child_end in ends:
        os.close(child_end)
    got = {ends[0][0]: bytearray(), ends[1][0]: bytearray()}
    with selectors.DefaultSelector() as selector:
        for fd in got:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            for key, _ in selector.select(timeout=60):
                try:
                    chunk = os.read(key.fd, 65536)
                except OSError:  # EIO: the child closed its end
                    chunk = b""
                if chunk:
                    got[key.fd] += chunk
                else:
                    selector.unregister(key.fd)
                    os.close(key.fd)
    code = process.wait(timeout=60)
    return code, bytes(got[ends[0][0]]), bytes(got[ends[1][0]])


RAW_BYTES = re.compile(
    rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\x8b-\x8f\xa8-\xae]|\xe2\x81[\xa6-\xa9]"
    rb"|\xd8\x9c|\xef\xbb\xbf"
)
"""C0 but newline and tab, ESC, DEL, C1, bidi, zero-width and separators, as UTF-8."""


def test_export_on_a_real_terminal_writes_no_raw_control_byte(hostile_url: str) -> None:
    code, out, err = _on_a_pty(["export", "--db", hostile_url])
    assert code == 0, err
    assert RAW_BYTES.findall(out) == [] and RAW_BYTES.findall(err) == []
    assert set(HOSTILE) <= _exported_strings(out.decode("utf-8"))
    assert err == b"exported " + str(3 * len(HOSTILE)).encode() + b" records\n"


# -- writes that fail ------------------------------------------------------------------------


@pytest.fixture
def full() -> Iterator[Path]:
    """/dev/full, which must still be the device after the test (a write that renamed a
    file over it would replace it)."""
    device = Path("/dev/full")
    if not device.is_char_device():
        pytest.skip("no /dev/full here")
    yield device
    assert device.is_char_device()


def test_an_output_file_on_a_full_disk_is_one_line(hostile_url: str, full: Path) -> None:
    code, _, err = _run(["export", "--db", hostile_url, "-o", str(full)], terminal=False)
    assert (code, err) == (2, "caredesk: cannot write /dev/full: disk full\n")


def test_standard_output_on_a_full_disk_is_one_line(hostile_url: str, full: Path) -> None:
    """In a process of its own, to see that the interpreter has nothing left to say on its
    way out ("Exception ignored ...")."""
    with full.open("w") as stdout:
        done = subprocess.run(
            [sys.executable, "-m", "workspace.cli", "export", "--db", hostile_url],
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert (done.returncode, done.stderr) == (
        2,
        "caredesk: cannot write to standard output: disk full\n",
    )


def test_a_short_output_is_told_when_it_is_flushed(hostile_url: str, full: Path) -> None:
    """`agent list` writes less than a buffer: the write fails only at the last flush."""
    err = io.StringIO()
    with full.open("w") as stdout:
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = stdout, err
        try:
            code = main(["agent", "list", "--db", hostile_url])
        finally:
            sys.stdout, sys.stderr = saved
    assert (code, err.getvalue()) == (2, "caredesk: cannot write to standard output: disk full\n")


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make `path` (a file or a folder) refuse writes. Root ignores permissions, so as root
    it is made immutable (`chattr +i`), which binds root too; where that is refused, skip."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(mode & ~0o222)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(path)], check=False).returncode:
        pytest.skip("running as root, where only chattr +i makes a file refuse writes")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(path)], check=True)


def _refused(db: Path | str) -> str:
    return f"caredesk: cannot write to the database {db}: read-only database\n"


def test_import_into_a_read_only_database_is_one_line(own_db: Path, tmp_path: Path) -> None:
    line = {"type": "customer", "id": "C-1", "name": "Dana", "tier": "standard"}
    records = tmp_path / "in.jsonl"
    records.write_text(json.dumps(line) + "\n", encoding="utf-8")
    with read_only(own_db):
        code, _, err = _run(["import", "--db", f"sqlite:///{own_db}", str(records)], terminal=False)
    assert (code, err) == (2, _refused(own_db))


def test_adding_an_agent_to_a_read_only_database_is_one_line(own_db: Path) -> None:
    argv = ["agent", "add", "sam", "--name", "Sam", "--role", "agent"]
    with read_only(own_db):
        code, _, err = _run([*argv, "--db", f"sqlite:///{own_db}"], terminal=False)
    assert (code, err) == (2, _refused(own_db))


def test_a_database_opened_read_only_is_told_the_same(own_db: Path) -> None:
    """Without chattr or chmod: SQLite itself opens the file read-only (an `?mode=ro` URI)."""
    url = f"sqlite:///file:{own_db}?mode=ro&uri=true"
    argv = ["agent", "add", "sam", "--name", "Sam", "--role", "agent", "--db", url]
    code, _, err = _run(argv, terminal=False)
    assert (code, err) == (2, _refused(f"file:{own_db}"))


def test_an_output_file_in_a_read_only_folder_is_one_line(hostile_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    with read_only(folder):
        argv = ["export", "--db", hostile_url, "-o", str(folder / "x.jsonl")]
        code, _, err = _run(argv, terminal=False)
    why = "not permitted" if os.geteuid() == 0 else "permission denied"
    assert (code, err) == (2, f"caredesk: cannot write {folder / 'x.jsonl'}: {why}\n")
    assert list(folder.iterdir()) == []


def test_a_read_only_postgresql_database_is_told_the_same(pg_db: Database) -> None:
    """Every transaction read-only (a standby, or a database set so): SQLSTATE 25006."""
    url = make_url(pg_db.url)
    options = f"{url.query.get('options', '')} -c default_transaction_read_only=on"
    read_only_url = url.update_query_dict({"options": options}).render_as_string(False)
    argv = ["agent", "add", "sam", "--name", "Sam", "--role", "agent", "--db", read_only_url]
    code, _, err = _run(argv, terminal=False)
    assert (code, err) == (2, _refused(read_only_url))


def test_a_full_disk_under_the_database_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    """SQLITE_FULL cannot be caused through the command line, so its error is made here."""
    error = sqlite3.OperationalError("database or disk is full")
    error.sqlite_errorcode = 13  # type: ignore[attr-defined]
    assert told(error) == 2
    assert capsys.readouterr().err == "caredesk: cannot write to the database: disk full\n"


def test_a_bugs_traceback_on_a_terminal_is_inert(monkeypatch: pytest.MonkeyPatch) -> None:
    from workspace.cli import db

    hostile = "\x1b]52;c;Y3VybA==\x07 \u009b2J invoice \u202egnp.exe"

    def broken(args: object) -> int:
        raise RuntimeError(hostile)

    monkeypatch.setattr(db, "run", broken)
    err = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", err)
    with pytest.raises(SystemExit) as exit_:
        main(["db", "status"])
    assert exit_.value.code == 1
    shown = err.getvalue()
    assert "Traceback" in shown and forbidden(shown) == []
    assert read_plain(shown.splitlines()[-1]) == f"RuntimeError: {hostile}"
