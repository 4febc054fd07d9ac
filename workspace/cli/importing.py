"""`caredesk import`: load the team, customers, orders, tickets and history from JSON Lines.

Named `importing` because `import` is a keyword.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from workspace.cli.common import (
    Subparsers,
    add_agent,
    add_db,
    add_policy,
    database_of,
    policy_of,
    settings_of,
)
from workspace.cli.terminal import echo

IMPORT_EPILOG = """\
records:
  agent, customer, order, ticket, interaction and survey lines (format: docs/import.md),
  and the records of CareDesk's own that `caredesk export --all` adds; those only go
  into a database that holds none yet (a team moved, or a backup restored).

checks:
  a customer's tier must be one the policy in effect knows (the one installed in the
  database, else --policy or CAREDESK_POLICY, else the one CareDesk ships with) or
  `standard`. A contact an agent holds that the file gives to someone else is moved with
  an entry in the audit log, in the name of --agent or CAREDESK_AGENT (else `import`).

exit status:
  0 imported, 2 refused (every bad line is listed, up to 50; nothing was changed)."""


def add(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "import",
        help="load the team, customers, orders, tickets and history from a JSON Lines file",
        description="Import a JSON Lines file (format: docs/import.md). All or nothing: a file "
        "with any bad line imports nothing and every bad line is listed.",
        epilog=IMPORT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_db(parser)
    add_policy(parser)
    add_agent(parser, "who the audit log names for contacts the file moves (default: import)")
    parser.add_argument("file", type=Path, help="the .jsonl file")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from workspace.boot import migrate
    from workspace.importer import import_file, known_tiers
    from workspace.policy_store import effective_policy

    settings = settings_of(args)
    local = policy_of(settings)  # a bad file is refused before the database is touched
    db = database_of(settings)
    migrate(db)
    tiers = known_tiers(effective_policy(db, local))

    from workspace.cli.progress import shown

    try:
        with shown() as progress:
            summary = import_file(
                db, args.file, tiers=tiers, actor=settings.agent, progress=progress
            )
    except KeyboardInterrupt:  # the import's transaction has rolled back
        echo("caredesk: import interrupted; nothing was imported", err=True)
        return 130
    from workspace.text import count

    line = (
        f"imported {args.file}: {count(summary.agents, 'agent')}, "
        f"{count(summary.customers, 'customer')}, {count(summary.orders, 'order')}, "
        f"{count(summary.tickets, 'ticket')}, {count(summary.interactions, 'interaction')}, "
        f"{count(summary.surveys, 'survey')}"
    )
    if summary.recorded:
        line += f", {summary.recorded:,} of CareDesk's own records"
    if summary.moved:
        moved = count(summary.moved, "held contact")
        line += f"; {moved} given to someone else (audited)"
    echo(line)
    return 0
