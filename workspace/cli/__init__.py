"""`caredesk`: the workspace (no command), and the commands operations run around it.

One module per command, each with `add(commands)` and `run(args)`, listed once in COMMANDS.
A new command goes the same way.
Heavy imports are deferred into each `run` so `caredesk --help` answers at once.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, Protocol

from workspace.cli import (
    act,
    agent,
    audit,
    completion,
    config,
    contact,
    db,
    decide,
    deliver,
    demo,
    desk,
    export,
    importing,
    monitor,
    policy,
    replay,
    report,
    scenario,
)
from workspace.cli.common import Subparsers


class Command(Protocol):
    """A command module: `add` adds its parser and sets its `run` as the parser's default."""

    def add(self, commands: Subparsers) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


COMMANDS: tuple[Command, ...] = (
    db,
    demo,
    agent,
    importing,
    export,
    policy,
    config,
    act,
    decide,
    contact,
    deliver,
    monitor,
    audit,
    report,
    replay,
    scenario,
    completion,
)
"""The commands, in the order `caredesk --help` lists them."""

DESCRIPTION = """\
CareDesk: a keyboard-first workspace for customer-care teams.

Run with no command to open the agent workspace. The first run on a new database
fills it with demo data."""

EPILOG = """\
Every command explains itself: caredesk COMMAND --help.

The database is a SQLite file in your data directory unless --db or CAREDESK_DB names
another (sqlite:///path.db or postgresql://user@host/db). Actions are bounded by the
policy CareDesk ships with unless --policy or CAREDESK_POLICY names a policy file.

Who you are: on PostgreSQL your database login is your agent, proven by the server, and
only an administrator works as someone else (--agent), which the audit log records. On
SQLite nothing is proven: --agent, else CAREDESK_AGENT, else the agent whose id is your
user name, else the first agent. Anything the database refuses exits with status 4; an
output or a database that cannot be written is one line and status 2.

On a terminal, control, bidi and invisible characters in what commands print show as
JSON escapes (\\u009b; in plain text, \\\\ is a backslash that could be misread); a
file or a pipe gets every byte as it is.

Formats: import and export docs/import.md, policy docs/policy.md, team configuration
docs/team-config.md, CAREDESK_KEYMAP docs/keymap.md (all listed in docs/README.md)."""


class _Version(argparse.Action):
    """`--version`: reads the installed version only when asked (importlib.metadata takes
    tens of milliseconds to import, which every other command would pay)."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> NoReturn:
        from importlib.metadata import version

        print(f"caredesk {version('caredesk')}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The command line, with a --help for every command."""
    parser = argparse.ArgumentParser(
        prog="caredesk",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_Version, help="print the version and exit")
    desk.add(parser)
    commands = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")
    for command in COMMANDS:
        command.add(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `caredesk` console script."""
    from workspace.cli import failures, terminal

    with terminal.guarded():  # what any command writes reaches a terminal inert
        args = build_parser().parse_args(argv)
        # No command opens the workspace; a command's parser names its own run (never a
        # fallback to the workspace, which a command that forgot would otherwise open).
        run: Callable[[argparse.Namespace], int] = desk.run if args.command is None else args.run
        try:
            code = run(args)
            sys.stdout.flush()  # a full disk is told here, not by the interpreter on its way out
        except failures.handled() as error:  # evaluated only when something is raised
            return failures.told(error, args)
        return code
