"""`caredesk` with no command: the agent workspace.

The only CLI module that imports `workspace.app`, and only once the settings and the policy
have been checked, so every other command starts without Textual.
"""

from __future__ import annotations

import argparse
import os
import sys
from functools import partial

from workspace.cli.common import add_agent, add_db, add_policy, database_of, policy_of, settings_of
from workspace.cli.terminal import unguarded


def add(parser: argparse.ArgumentParser) -> None:
    """The workspace runs when no command is named, so its options are the top level's."""
    add_db(parser)
    add_policy(parser)
    add_agent(
        parser,
        "who you are (default: on PostgreSQL your database login; on SQLite the agent whose "
        "id is your user name, else the first agent)",
    )
    parser.add_argument(
        "--no-demo", action="store_true", help="do not fill an empty database with demo data"
    )


NEEDS_TERMINAL = (
    "the workspace needs a terminal: run `caredesk` in one (scripts use its commands, see "
    "`caredesk --help`)"
)


def on_terminal() -> bool:
    """Whether keys come from, and the screen goes to, a terminal (or a browser: a page of
    `caredesk monitor --serve` runs the app under Textual's web driver, through pipes)."""
    if os.environ.get("TEXTUAL_DRIVER"):
        return True
    return sys.stdin.isatty() and sys.stdout.isatty()


def run(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    policy = policy_of(settings)  # a bad file is refused here, before anything opens

    from workspace.app import AgentLaunch, CareDeskApp

    launch = AgentLaunch(
        partial(database_of, settings),
        agent=settings.agent,
        fill_demo=not args.no_demo,
        policy=policy,
    )
    from workspace.preferences import FILE_NAME

    kept = settings.data_dir / FILE_NAME
    # A bad keymap is refused here. The start is quiet: see CareDeskApp.
    app = CareDeskApp(launch, keymap=settings.keymap, preferences=kept, quiet_start=True)
    if not on_terminal():
        # Without one Textual would wait for keys that never come, or draw into a pipe.
        from workspace.errors import CareDeskError

        raise CareDeskError(NEEDS_TERMINAL)
    with unguarded():  # the app draws on the terminal itself
        app.run()
    return app.return_code or 0
