"""`caredesk approve` and `caredesk deny`: decide a request waiting for a supervisor,
headless, by the same rules and in the same transaction as the workspace (for scripts)."""

from __future__ import annotations

import argparse

from workspace.cli.common import Subparsers, add_agent, add_db, database_of, settings_of
from workspace.cli.terminal import echo

DECIDE_EPILOG = """\
who decides:
  on PostgreSQL your database login (an administrator may name a supervisor with --agent,
  and the audit log records both); on SQLite --agent, else CAREDESK_AGENT, else the agent
  whose id is your user name, else the first agent. Only a supervisor decides, never
  their own request, and a request is decided once: on PostgreSQL the database itself
  holds these rules.

exit status:
  0 decided, 4 refused (not a supervisor, their own request, already decided or
  withdrawn, no such action, someone let go), 2 bad input (a malformed number, an empty
  reason, an unknown --agent)."""

WORDS = {
    "approve": ("approve a waiting request: it is executed at once", "approved"),
    "deny": ("deny a waiting request: nothing is done", "denied"),
}


def _action_id(text: str) -> int:
    """An action's number as the workspace shows it: `12` or `#12`."""
    digits = text.strip().removeprefix("#")
    if not digits.isdigit() or not digits.isascii() or int(digits) < 1:
        raise argparse.ArgumentTypeError(f"expected an action's number such as 12, not {text!r}")
    return int(digits)


def add(commands: Subparsers) -> None:
    for word, (summary, _) in WORDS.items():
        parser = commands.add_parser(
            word,
            help=f"{summary} (for scripts)",
            description=f"As a supervisor, {summary}.\nThe decision and its reason are "
            "audited, and the agent who asked sees it in\ntheir workspace.",
            epilog=DECIDE_EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        parser.add_argument("action", metavar="ID", type=_action_id, help="the action's number")
        parser.add_argument(
            "--reason", metavar="TEXT", required=True, help="why (audited; the agent reads it)"
        )
        add_db(parser)
        add_agent(parser, "who decides (see below)")
        parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from workspace.action_view import action_message
    from workspace.agents import sign_in
    from workspace.approvals import Approvals
    from workspace.boot import migrate
    from workspace.errors import CareDeskError, NotAllowed, UnknownAction
    from workspace.text import one_line
    from workspace.timefmt import utcnow

    if not args.reason.strip():
        raise CareDeskError("--reason: give a reason for the decision")
    settings = settings_of(args)
    db = database_of(settings)
    try:
        migrate(db)
        approvals = Approvals(db, sign_in(db, settings.agent).agent, utcnow)
        decide = approvals.approve if args.command == "approve" else approvals.deny
        decision = decide(args.action, args.reason)
    except (NotAllowed, UnknownAction) as error:
        echo(f"caredesk: {one_line(str(error))}", err=True)
        return 4
    finally:
        db.dispose()
    message = action_message(decision.record)
    if not decision.changed:
        echo(f"caredesk: nothing changed, it was decided before: {message}", err=True)
        return 4
    echo(f"{WORDS[args.command][1]}: {message}")
    return 0
