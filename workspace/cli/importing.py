"""`caredesk import`: load customers, orders, tickets and history from JSON Lines.

Named `importing` because `import` is a keyword.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workspace.cli.common import Subparsers, add_db, database_of, settings_of


def add(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "import",
        help="load customers, orders, tickets and history from a JSON Lines file",
        description="Import a JSON Lines file (see the import format). All or nothing: a file "
        "with any bad line imports nothing and every bad line is listed.",
    )
    add_db(parser)
    parser.add_argument("file", type=Path, help="the .jsonl file")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from workspace.boot import migrate
    from workspace.importer import import_file

    db = database_of(settings_of(args))
    migrate(db)

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\rimporting: {done}/{total} lines   ", end="", file=sys.stderr, flush=True)

    summary = import_file(db, args.file, progress=progress)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(
        f"imported {args.file}: {summary.customers} customers, {summary.orders} orders, "
        f"{summary.tickets} tickets, {summary.interactions} interactions"
    )
    return 0
