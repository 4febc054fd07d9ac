"""`caredesk contact release|assign`: a supervisor frees a contact or gives it to someone,
headless, through the same fenced write and audit as the workspace."""

from __future__ import annotations

import argparse

from workspace.cli.common import Subparsers, add_agent, add_db, database_of, settings_of
from workspace.cli.terminal import echo

DESCRIPTION = """\
Free a contact someone holds (release), or give it to an agent (assign): for a supervisor
whose colleague left a terminal, went home, or needs a hand. Each move is audited, and the
previous holder can no longer reply or act on the contact."""

EPILOG = """\
exit status:
  0 moved (or already where it was asked to be), 4 refused (not a supervisor, the contact
  is resolved or changed hands meanwhile, the agent has left), 2 bad input (unknown
  contact or agent)."""


def add(commands: Subparsers) -> None:
    contact = commands.add_parser(
        "contact",
        help="free a contact or give it to an agent (supervisors)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    moves = contact.add_subparsers(dest="move", metavar="MOVE", required=True)
    release = moves.add_parser(
        "release", help="free a contact, whoever holds it", description=DESCRIPTION
    )
    release.add_argument("ticket", metavar="ID", help="the contact's id")
    assign = moves.add_parser("assign", help="give a contact to an agent", description=DESCRIPTION)
    assign.add_argument("ticket", metavar="ID", help="the contact's id")
    assign.add_argument("to", metavar="AGENT", help="the agent's login name")
    for parser in (release, assign):
        parser.add_argument("--reason", metavar="TEXT", default="", help="why (audited)")
        add_db(parser)
        add_agent(parser, "the supervisor who moves it (default: who you are)")
        parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from workspace.agents import resolve_agent
    from workspace.boot import migrate
    from workspace.errors import NotAllowed
    from workspace.supervision import Supervision
    from workspace.text import one_line

    settings = settings_of(args)
    db = database_of(settings)
    try:
        migrate(db)
        supervision = Supervision(db, resolve_agent(db, settings.agent))
        try:
            if args.move == "assign":
                moved = supervision.assign(args.ticket, args.to, args.reason)
            else:
                moved = supervision.release(args.ticket, args.reason)
        except NotAllowed as refused:
            echo(f"caredesk contact: {one_line(str(refused))}", err=True)
            return 4
    finally:
        db.dispose()
    echo(one_line(moved.sentence))
    return 0
