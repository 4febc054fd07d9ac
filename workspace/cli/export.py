"""`caredesk export`: every record as JSON Lines, in the format `caredesk import` reads."""

from __future__ import annotations

import argparse
from functools import partial

from workspace.cli.common import (
    Subparsers,
    add_db,
    add_output,
    database_of,
    settings_of,
    write_output,
)


def add(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "export",
        help="write every record as JSON Lines (the import format)",
        description="Write every agent, customer, order, ticket, interaction and survey as JSON "
        "Lines in the import format (docs/import.md), parents first, from one consistent "
        "snapshot: `caredesk import` reads it back as it is. With -o, it is written beside FILE "
        "and renamed over it, so a failed export never leaves half a file. On a terminal, "
        "control, bidi and invisible characters show as JSON escapes (\\u009b); a file or "
        "pipe gets every byte as it is.",
    )
    add_db(parser)
    add_output(parser)
    parser.add_argument(
        "--all",
        dest="everything",
        action="store_true",
        help="add what CareDesk itself recorded (policy versions, team settings, actions and "
        "their decisions, deliveries, shipments, refunds, follow-ups, news marks, the audit "
        "log): imported into an empty database it "
        "gives the same database, to move a team or restore a backup (records: docs/import.md)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from workspace.cli.terminal import echo
    from workspace.exporter import export_all

    db = database_of(settings_of(args))
    # On a terminal each line stays JSON, with hidden characters as JSON escapes.
    count = write_output(
        args.output, partial(export_all, db, everything=args.everything), json=True
    )
    from workspace.text import count as counted

    echo(f"exported {counted(count, 'record')}", err=True)
    return 0
