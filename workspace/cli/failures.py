"""How a command that failed says so: one line on standard error and an exit status, for every
command at once (`workspace.cli.main` hands each error it catches to `told`).

2 for what a user can see to (a bad file or option, an output or database that cannot be
written), 4 for what the database refused on purpose (a missing grant), 130 for Ctrl-C, and
141 for a reader that went away (`caredesk export | head`), quietly, as other tools do.
Every line goes through `workspace.cli.terminal`, so a hostile id in a message is inert.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import sys

#: Why an output could not be written, in words; other errors say what the system says.
_WHY = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "file too large",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "not permitted",
    errno.ENOENT: "no such folder",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.EISDIR: "it is a folder",
    errno.EIO: "input/output error",
}

#: SQLite's primary result codes of a write that failed, in words (`sqlite3` errors carry
#: them as `sqlite_errorcode`, an extended code whose low byte is the primary one).
_SQLITE_WHY = {
    3: "permission denied",  # SQLITE_PERM
    8: "read-only database",  # SQLITE_READONLY
    10: "input/output error",  # SQLITE_IOERR
    13: "disk full",  # SQLITE_FULL
}

#: PostgreSQL's SQLSTATEs of a write that failed, in words (a missing grant, 42501, is a
#: refusal instead: `storage.logins.refusal`).
_POSTGRES_WHY = {
    "25006": "read-only database",  # read_only_sql_transaction (a standby, or read-only)
    "53100": "disk full",  # disk_full
    "58030": "input/output error",  # io_error
}


class WriteFailed(Exception):
    """Something could not be written: where (a file, standard output), and why in words."""

    def __init__(self, where: str, why: str) -> None:
        super().__init__(f"cannot write {where}: {why}")
        self.where = where
        self.why = why


def why(error: OSError) -> str:
    """Why a write failed, in words: `disk full`, `permission denied`."""
    return _WHY.get(error.errno or 0) or str(error.strerror or error)


def handled() -> tuple[type[BaseException], ...]:
    """The errors `told` turns into a line. Database drivers count only once loaded: an
    `except` clause is evaluated when something is raised, and importing SQLAlchemy or
    Alembic for nothing would cost every command."""
    from workspace.errors import CareDeskError

    errors: list[type[BaseException]] = [CareDeskError, WriteFailed, OSError, KeyboardInterrupt]
    errors += _database_errors()
    return tuple(errors)


def _database_errors() -> list[type[BaseException]]:
    errors: list[type[BaseException]] = []
    for module, names in (
        ("sqlalchemy.exc", ("SQLAlchemyError", "ArgumentError")),
        ("storage.engine", ("UnsupportedDatabase",)),
        ("alembic.util", ("CommandError",)),
        ("sqlite3", ("Error",)),  # the bulk import writes through the driver itself
        ("psycopg", ("Error",)),
    ):
        loaded = sys.modules.get(module)
        if loaded is not None:
            errors += [getattr(loaded, name) for name in names if hasattr(loaded, name)]
    return errors


def told(error: BaseException, args: argparse.Namespace | None = None) -> int:
    """Say what went wrong in one line on standard error; return the exit status.

    `args` are the command's, to name the database a write to it failed on.
    """
    from workspace.errors import CareDeskError

    if isinstance(error, KeyboardInterrupt):
        return 130
    if isinstance(error, BrokenPipeError):
        _silence_stdout()
        return 141
    if isinstance(error, CareDeskError):
        from workspace.text import one_line  # one line each, wherever standard error goes

        _say(*(one_line(line) for line in str(error).splitlines()))
        return 2
    if isinstance(error, WriteFailed):
        if error.where == "to standard output":
            _silence_stdout()
        _say(str(error))
        return 2
    if isinstance(error, tuple(_database_errors())):
        return _database_failed(error, args)
    if isinstance(error, OSError):
        _say(f"{error.strerror or error}: {error.filename or ''}")
        return 2
    raise error


def _database_failed(error: BaseException, args: argparse.Namespace | None) -> int:
    from storage.logins import refusal

    refused = refusal(error)
    if refused is not None:  # PostgreSQL's grants and triggers hold against the login
        _say(f"the database refused: {refused}")
        return 4
    driver = getattr(error, "orig", None) or error
    failed = _database_why(driver)
    if failed is not None:
        named = _database_named(args)
        _say(f"cannot write to the database{' ' if named else ''}{named}: {failed}")
        return 2
    lines = str(driver).strip().splitlines() or [type(driver).__name__]
    _say(f"cannot use the database: {lines[0]}")
    return 2


def _database_why(driver: BaseException) -> str | None:
    """Why the driver could not write, in words, or None when its error is another."""
    code = getattr(driver, "sqlite_errorcode", None)
    if isinstance(code, int):
        return _SQLITE_WHY.get(code & 0xFF)
    sqlstate = getattr(driver, "sqlstate", None)
    return _POSTGRES_WHY.get(sqlstate) if isinstance(sqlstate, str) else None


def _database_named(args: argparse.Namespace | None) -> str:
    """The database the command used, as a reader knows it: a SQLite file's path, else its
    URL without the password; empty when the settings cannot tell."""
    if args is None:
        return ""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from workspace.cli.common import settings_of
    from workspace.errors import CareDeskError

    try:
        url = make_url(settings_of(args).database_url())
    except (CareDeskError, ArgumentError):
        return ""
    if url.get_backend_name() == "sqlite":
        return url.database or "in memory"
    return url.render_as_string(hide_password=True)


def _say(*lines: str) -> None:
    """`caredesk: ` and the lines on standard error, inert on a terminal. Standard error
    itself failing (a full disk) leaves nowhere to tell it."""
    from workspace.cli.terminal import echo

    with contextlib.suppress(OSError):
        echo("caredesk: " + "\n".join(lines or ("",)), err=True)


def _silence_stdout() -> None:
    """Point standard output at the null device, so the interpreter's last flush of what is
    still buffered fails no more (and prints no second error on the way out)."""
    with contextlib.suppress(OSError, ValueError):  # ValueError: a test's captured stream
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
