"""`caredesk db`: migrate the schema, or show its revision, without opening the workspace."""

from __future__ import annotations

import argparse

from workspace.cli.common import Subparsers, add_db, database_of, settings_of
from workspace.cli.terminal import echo


def add(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "db",
        help="database schema: upgrade or show its revision",
        description="Migrate the schema to the newest revision (upgrade), or show the revision "
        "it is at (status). The workspace upgrades an older database when it opens it; "
        "`db upgrade` does the same without opening the workspace.",
    )
    add_db(parser)
    parser.add_argument("action", choices=["upgrade", "status"], help="what to do")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from storage.migrate import current_revision, head_revision
    from workspace.boot import migrate

    db = database_of(settings_of(args))
    if args.action == "upgrade":
        moved = migrate(db)
        head = head_revision()
        echo(f"upgraded from {moved} to {head}" if moved else f"already at {head}")
    else:
        echo(f"schema {current_revision(db.read) or 'empty'} (newest {head_revision()})")
    return 0
