"""`caredesk audit`: verify the audit log's hash chain, checkpoint its head to keep outside
the database, or read it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from workspace.cli.common import (
    Subparsers,
    add_db,
    add_output,
    database_of,
    settings_of,
    write_output,
)
from workspace.cli.terminal import echo, write

if TYPE_CHECKING:
    from storage.engine import Database
    from workspace.audit_check import Checkpoint

AUDIT_CHECKPOINT_DESCRIPTION = """\
Verify the chain, then write a small JSON checkpoint of its head (how many entries, the
last one's id and hash, when it was written) for `caredesk audit verify --checkpoint FILE`.
A hash chain cannot see its own last entries deleted: what remains still chains. The
checkpoint can: the head it recorded is gone."""

AUDIT_CHECKPOINT_EPILOG = """\
keep it outside the database:
  whoever can edit the database must not be able to edit the checkpoint. Take one
  regularly and send it to another host, e.g. a daily cron line:
    caredesk audit checkpoint -o audit.json && scp audit.json archive:caredesk/
  Entries appended after a checkpoint are fine; keep the newest.

output:
  {"entries": N, "head_id": ID, "head_hash": "...", "at": "<UTC time of the head entry>"}
  to FILE (written beside it and renamed, so a failure never leaves half a file) or to
  standard output; a one-line summary on standard error.

exit status:
  0 written, 1 the chain is broken (nothing is written), 2 an empty log or bad input."""

AUDIT_LOG_DESCRIPTION = """\
List who did what, oldest first: one line an entry with its time (UTC), its number in the
chain, who acted (the agent's id and name; "system" for CareDesk itself; an administrator
signed in for an agent as "login for agent"), what they did, to what, and what it changed.
It only reads, on a read-only connection: a read-only login can run it."""

AUDIT_LOG_EPILOG = """\
narrowing it:
  --agent takes an agent's id (their login, e.g. hana) or any actor the log names
  (system, an administrator's login); it also finds what an administrator did signed in
  for that agent. --customer keeps the entries about the customer's contacts and actions.
  --since and --until take a date (2026-11-07: its midnight, UTC) or a time
  (2026-11-07T09:30Z; without a zone, UTC); --until is not included.

output:
  one line an entry: time, #id, actor, event, entity and id, then what changed
  (key: before → after; keys that did not change are left out). Text that people wrote is
  shown literally, with control characters made visible. With --json, JSON Lines: one
  object an entry with every stored field (id, at, actor, event, entity, entity_id,
  before, after, hash, prev_hash, seal).
  The log is read a page at a time: a log of millions of entries streams; --limit N stops
  after N entries.

exit status:
  0 listed (nothing found is not an error), 2 bad input (a date that is not one, an agent
  or customer that does not exist, a database without CareDesk's schema)."""

AUDIT_ADOPT_DESCRIPTION = """\
A log written before CareDesk sealed its entries (schema 0021) has entries without a seal,
and actions and follow-ups whose entries record no state: verify names the first of them.
Adopting it, once, checks the chain link by link, records what each such action and
follow-up stands at now, and appends one entry sealed with the audit key that vouches for
every entry before it. Everything after is sealed and covered as usual."""

AUDIT_ADOPT_EPILOG = """\
It vouches for nothing it cannot see: a broken chain, or a row that no longer matches
the state its entries record, is refused and nothing is adopted. Take a checkpoint after.

exit status:
  0 adopted, 1 refused (broken, or changed), 2 bad input or nothing to adopt."""

AUDIT_VERIFY_DESCRIPTION = """\
Walk the audit log from its first entry. Intact: one line on standard output, exit 0.
Broken: the first broken entry (#id, when, who, what) and what is wrong on standard
error, exit 1. With --checkpoint, also check that the head it recorded is still there,
so entries deleted from the end are found too."""

AUDIT_VERIFY_EPILOG = """\
exit status:
  0 intact (and the checkpoint's head still there), 1 broken, 2 bad input (a missing or
  malformed checkpoint file, a database without CareDesk's schema)."""


def add(commands: Subparsers) -> None:
    audit = commands.add_parser(
        "audit",
        help="verify the audit log's hash chain, checkpoint its head, or read it",
        description="Every request, verdict, approval and execution is an audit entry chained "
        "to the one before by its hash, so an entry changed by hand breaks the chain. Entries "
        "deleted from the end are found by comparing with a checkpoint kept elsewhere.",
    )
    what = audit.add_subparsers(dest="what", metavar="ACTION", required=True)
    verify = what.add_parser(
        "verify",
        help="walk the whole chain and report the first broken entry",
        description=AUDIT_VERIFY_DESCRIPTION,
        epilog=AUDIT_VERIFY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_db(verify)
    verify.add_argument(
        "--checkpoint",
        metavar="FILE",
        type=Path,
        default=None,
        help="a checkpoint from `caredesk audit checkpoint`, kept outside the database",
    )
    checkpoint = what.add_parser(
        "checkpoint",
        help="verify the chain, then record its head to keep outside the database",
        description=AUDIT_CHECKPOINT_DESCRIPTION,
        epilog=AUDIT_CHECKPOINT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_db(checkpoint)
    add_output(checkpoint)
    adopt = what.add_parser(
        "adopt",
        help="vouch for a log written before CareDesk sealed its entries (once, after upgrading)",
        description=AUDIT_ADOPT_DESCRIPTION,
        epilog=AUDIT_ADOPT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_db(adopt)
    adopt.add_argument("--agent", metavar="NAME", help="who adopts it (SQLite; default: you)")
    _add_log(what)
    audit.set_defaults(run=run)


def _add_log(what: Subparsers) -> None:
    log = what.add_parser(
        "log",
        help="list who did what, oldest first, by agent, customer or period",
        description=AUDIT_LOG_DESCRIPTION,
        epilog=AUDIT_LOG_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_db(log)
    # Not the shared --agent (whom a command acts as): this one only narrows what is read.
    log.add_argument(
        "--agent", dest="actor", metavar="ID", help="only what this agent (or actor) did"
    )
    log.add_argument(
        "--customer", metavar="ID", help="only entries about this customer's contacts and actions"
    )
    log.add_argument("--since", metavar="DATE|TIME", help="from this time on (included)")
    log.add_argument("--until", metavar="DATE|TIME", help="up to this time (excluded)")
    log.add_argument(
        "--limit", metavar="N", type=_positive, default=None, help="stop after N entries"
    )
    log.add_argument("--json", action="store_true", help="print JSON Lines, every field")


def _positive(text: str) -> int:
    """--limit's value: a whole number of at least 1 (argparse says which option it was)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def run(args: argparse.Namespace) -> int:
    from storage.migrate import current_revision
    from workspace.audit_check import load_checkpoint
    from workspace.errors import CareDeskError

    if args.what == "log":
        return _audit_log(args)

    # A bad checkpoint file is refused before the database is opened.
    saved = load_checkpoint(args.checkpoint) if getattr(args, "checkpoint", None) else None
    db = database_of(settings_of(args), create_dir=False)
    try:
        if current_revision(db.read) is None:
            raise CareDeskError(f"{db.safe_url} has no CareDesk schema: no audit log to verify")
        if args.what == "checkpoint":
            return _audit_checkpoint(db, args.output)
        if args.what == "adopt":
            return _audit_adopt(db, args.agent)
        return _audit_verify(db, saved)
    finally:
        db.dispose()


def _audit_verify(db: Database, saved: Checkpoint | None) -> int:
    from workspace.audit_check import describe_audit, describe_match, verify_against, verify_audit

    report = verify_audit(db)
    problem = None if saved is None else verify_against(db, saved)
    if report.ok and problem is None:
        echo(describe_audit(report))
        if saved is not None:
            echo(describe_match(saved))
        return 0
    if not report.ok:
        echo(describe_audit(report), err=True)
    if problem is not None:
        echo(problem, err=True)
    return 1


def _audit_adopt(db: Database, typed: str | None) -> int:
    from workspace.agents import installer
    from workspace.audit_adopt import NothingToAdopt, adopt
    from workspace.errors import CareDeskError

    try:
        done = adopt(db, installer(db, typed))
    except NothingToAdopt:
        raise
    except CareDeskError as error:
        echo(f"caredesk audit adopt: {error}", err=True)
        return 1
    echo(
        f"audit log adopted: {done.entries:,} {'entry' if done.entries == 1 else 'entries'} "
        f"vouched for by entry #{done.entry_id}, sealed; {done.rows:,} "
        f"{'action or follow-up' if done.rows == 1 else 'actions and follow-ups'} recorded as "
        "they stand"
    )
    return 0


def _audit_checkpoint(db: Database, output: Path | None) -> int:
    from workspace.audit_check import ChainBroken, checkpoint

    try:
        head = checkpoint(db)
    except ChainBroken as error:
        echo(f"{error}; no checkpoint was written", err=True)
        return 1
    # Whole or not at all into a file; straight onto a device or a pipe.
    write_output(output, lambda out: out.write(head.to_json()), json=True)
    where = "" if output is None else f", written to {output}"
    echo(
        f"audit checkpoint: {head.entries:,} {'entry' if head.entries == 1 else 'entries'} "
        f"up to #{head.head_id} "
        f"(hash {head.head_hash[:12]}…){where}",
        err=True,
    )
    return 0


def _audit_log(args: argparse.Namespace) -> int:
    from storage.engine import make_reader
    from storage.migrate import current_revision
    from workspace.audit_log import LogQuery, line, read_log, team_names
    from workspace.errors import CareDeskError
    from workspace.reporting import parse_moment

    # Bad dates are refused before the database is opened.
    since = None if args.since is None else parse_moment(args.since, "--since")
    until = None if args.until is None else parse_moment(args.until, "--until")
    if since is not None and until is not None and until <= since:
        raise CareDeskError(
            f"--until ({until:%Y-%m-%dT%H:%M:%SZ}) must be after --since "
            f"({since:%Y-%m-%dT%H:%M:%SZ})"
        )
    query = LogQuery(args.actor, args.customer, since, until, args.limit)
    db = make_reader(settings_of(args).database_url())
    try:
        if current_revision(db.read) is None:
            raise CareDeskError(f"{db.safe_url} has no CareDesk schema: no audit log to read")
        names = {} if args.json else team_names(db)
        for entry in read_log(db, query):
            if args.json:
                write(sys.stdout, entry.to_json() + "\n", json=True)
            else:
                write(sys.stdout, line(entry, names) + "\n")
    finally:
        db.dispose()
    sys.stdout.flush()
    return 0
