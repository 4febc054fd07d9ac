"""`caredesk audit`: verify the audit log's hash chain, or checkpoint its head to keep
outside the database."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from workspace.cli.common import Subparsers, add_db, add_output, database_of, settings_of

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
        help="verify the audit log's hash chain, or checkpoint its head",
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
    audit.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from storage.migrate import current_revision
    from workspace.audit_check import load_checkpoint
    from workspace.errors import CareDeskError

    # A bad checkpoint file is refused before the database is opened.
    saved = load_checkpoint(args.checkpoint) if getattr(args, "checkpoint", None) else None
    db = database_of(settings_of(args), create_dir=False)
    try:
        if current_revision(db.read) is None:
            raise CareDeskError(f"{db.safe_url} has no CareDesk schema: no audit log to verify")
        if args.what == "checkpoint":
            return _audit_checkpoint(db, args.output)
        return _audit_verify(db, saved)
    finally:
        db.dispose()


def _audit_verify(db: Database, saved: Checkpoint | None) -> int:
    from workspace.audit_check import describe, describe_match, verify_against, verify_audit

    report = verify_audit(db)
    problem = None if saved is None else verify_against(db, saved)
    if report.broken is None and problem is None:
        print(describe(report))
        if saved is not None:
            print(describe_match(saved))
        return 0
    if report.broken is not None:
        print(describe(report), file=sys.stderr)
    if problem is not None:
        print(problem, file=sys.stderr)
    return 1


def _audit_checkpoint(db: Database, output: Path | None) -> int:
    from workspace.audit_check import ChainBroken, checkpoint
    from workspace.files import write_atomically

    try:
        head = checkpoint(db)
    except ChainBroken as error:
        print(f"{error}; no checkpoint was written", file=sys.stderr)
        return 1
    if output is None:
        sys.stdout.write(head.to_json())
        sys.stdout.flush()
    else:
        write_atomically(output, lambda out: out.write(head.to_json()))
    where = "" if output is None else f", written to {output}"
    print(
        f"audit checkpoint: {head.entries:,} {'entry' if head.entries == 1 else 'entries'} "
        f"up to #{head.head_id} "
        f"(hash {head.head_hash[:12]}…){where}",
        file=sys.stderr,
    )
    return 0
