"""`caredesk policy`, `caredesk act` and `caredesk audit`: the commands operations run
around the policy, the actions it bounds, and the audit log that records them."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from workspace.cli_support import (
    add_common,
    database_of,
    policy_in_effect,
    policy_of,
    settings_of,
)

if TYPE_CHECKING:
    from storage.engine import Database
    from storage.records import InstalledPolicy
    from workspace.actions import ActionOutcome
    from workspace.audit_check import Checkpoint
    from workspace.policy import Headroom, Policy
    from workspace.settings import Settings


ACTION_CHOICES = ("discount", "refund", "replacement", "store_credit", "reship", "cancel_order")
"""`workspace.policy.ACTIONS`, spelled out so building the parser imports nothing heavy."""

ACT_DESCRIPTION = """\
Take one action for a customer, decided by the policy in the same transaction that records
and audits it, exactly as from the workspace: within the limits it is executed, above them
it waits for a supervisor, beyond the approval band (or not eligible) it is denied."""

ACT_EPILOG = """\
output:
  the verdict with the rule that decided it and why, the action's number and where it
  stands, and the headroom before this action (budget and grants left this month, grants
  left for this customer). With --json, one JSON object on standard output instead:
  verdict, rule, reason, headroom {budget_amount_left, budget_count_left,
  per_customer_left}, action_id, status, amount, currency, repeated; money is a string.
  Bad input is still one line on standard error (exit status 2), never JSON.

idempotency:
  --key KEY names this action: running the line again with the same key stores nothing
  new and reports the first action ("repeated"), as it stands now and with the headroom
  as it stands now.

exit status:
  0 executed, 3 waiting for a supervisor's approval, 4 denied (or withdrawn),
  2 bad input (unknown customer, order or item, a bad amount, a bad policy file)."""

ACT_OPTIONS = {
    "action": "--action",
    "customer": "--customer",
    "order": "--order",
    "amount": "--amount",
    "items": "--items",
    "reason": "--reason",
}
"""The option a user typed for each field `ActionInputError` can name."""

ACT_EXIT = {"executed": 0, "approved": 0, "requested": 3, "denied": 4, "withdrawn": 4}
"""The exit status of `caredesk act` by where the action stands."""

ACT_STATE = {
    "executed": "executed",
    "approved": "approved",
    "requested": "waiting for a supervisor's approval",
    "denied": "denied; nothing was done",
    "withdrawn": "withdrawn; nothing was done",
}
"""Where an action stands, in words."""

MAX_KEY = 62
"""An idempotency key is stored as `A-<key>` in a 64-character column."""


def _key(text: str) -> str:
    """An idempotency key: 1 to MAX_KEY printable ASCII characters, no spaces."""
    if not 0 < len(text) <= MAX_KEY or not text.isascii() or not text.isprintable() or " " in text:
        raise argparse.ArgumentTypeError(
            f"expected 1 to {MAX_KEY} printable ASCII characters without spaces"
        )
    return text


def add_policy(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    policy = sub.add_parser(
        "policy",
        help="check a policy file, or show the policy in effect",
        description="Policy files say how far an agent may go alone (see the policy "
        "specification). A file with any mistake is refused whole, every mistake listed.",
    )
    add_common(policy)
    what = policy.add_subparsers(dest="what", metavar="ACTION", required=True)
    check = what.add_parser(
        "check",
        help="validate FILE and print what it allows",
        description="Validate a policy file. Valid: print its rules and `FILE: valid`, exit 0. "
        "Invalid: list every problem (file, key path, what was expected) on standard error, "
        "exit 2.",
    )
    check.add_argument("file", type=Path, metavar="FILE", help="the policy file (YAML)")
    show = what.add_parser(
        "show",
        help="print the policy in effect",
        description="Print the rules of the policy in effect: the one installed in the "
        "database, else --policy, else CAREDESK_POLICY, else the one CareDesk ships with.",
    )
    add_common(show)
    install = what.add_parser(
        "install",
        help="make FILE the team's policy, stored in the database",
        description="Validate FILE and store it in the database as the team's policy: from "
        "then on the workspace and `caredesk act` decide by it on every machine, and a local "
        "--policy / CAREDESK_POLICY file that says something else is refused. Installing is "
        "audited; the previous policy is kept for the record.",
    )
    install.add_argument("file", type=Path, metavar="FILE", help="the policy file (YAML)")
    add_common(install)


def add_act(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    act = sub.add_parser(
        "act",
        help="take one action for a customer under the policy (for scripts)",
        description=ACT_DESCRIPTION,
        epilog=ACT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_common(act)
    act.add_argument("--customer", metavar="ID", required=True, help="the customer's id")
    act.add_argument(
        "--order",
        metavar="ID",
        help="the customer's order (required for refund, replacement, reship, cancel_order)",
    )
    act.add_argument(
        "--action",
        choices=ACTION_CHOICES,
        metavar="TYPE",
        required=True,
        help="what to do: %(choices)s",
    )
    act.add_argument(
        "--amount",
        metavar="X",
        help="the amount, e.g. 20 or 19.99 (discount, refund, store_credit; a replacement is "
        "worth its items, a reship or cancellation its order)",
    )
    act.add_argument(
        "--items", metavar="SKU,...", default="", help="the SKUs to replace (replacement)"
    )
    act.add_argument("--reason", metavar="TEXT", required=True, help="why (audited)")
    act.add_argument(
        "--agent",
        metavar="NAME",
        default=argparse.SUPPRESS,
        help="who acts (default: CAREDESK_AGENT, else the first agent in the database)",
    )
    act.add_argument(
        "--json", action="store_true", help="print the result as one JSON object (see below)"
    )
    act.add_argument(
        "--key",
        metavar="KEY",
        type=_key,
        default=None,
        help="idempotency key: a retried line with the same key does not act twice",
    )


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


def add_audit(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = sub.add_parser(
        "audit",
        help="verify the audit log's hash chain, or checkpoint its head",
        description="Every request, verdict, approval and execution is an audit entry chained "
        "to the one before by its hash, so an entry changed by hand breaks the chain. Entries "
        "deleted from the end are found by comparing with a checkpoint kept elsewhere.",
    )
    add_common(audit)
    what = audit.add_subparsers(dest="what", metavar="ACTION", required=True)
    verify = what.add_parser(
        "verify",
        help="walk the whole chain and report the first broken entry",
        description=AUDIT_VERIFY_DESCRIPTION,
        epilog=AUDIT_VERIFY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_common(verify)
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
    add_common(checkpoint)
    checkpoint.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        type=Path,
        default=None,
        help="file to write (default: standard output)",
    )


def run_policy(args: argparse.Namespace) -> int:
    from workspace.policy import fingerprint
    from workspace.policy_file import DEFAULT_POLICY, load_policy
    from workspace.policy_report import policy_table
    from workspace.text import one_line

    if args.what == "check":
        print(policy_table(load_policy(args.file)))
        print(f"{args.file}: valid")
        return 0
    if args.what == "install":
        return _install_policy(args)
    settings = settings_of(args)
    local = policy_of(settings)
    found = _installed(settings)
    if found is not None:
        policy, stored = found
        print(policy_table(policy))
        print(
            f"policy in effect: installed in the database from {one_line(stored.source)} by "
            f"{one_line(stored.installed_by)} at {stored.installed_at:%Y-%m-%d %H:%M} UTC "
            f"(fingerprint {stored.fingerprint})"
        )
        if local is not None and fingerprint(local) != stored.fingerprint:
            print(f"the local policy file {settings.policy} differs and would be refused")
        return 0
    policy = policy_in_effect(settings)
    print(policy_table(policy))
    source = settings.policy or f"{DEFAULT_POLICY} (the one CareDesk ships with)"
    print(f"policy in effect: {source} (fingerprint {fingerprint(policy)})")
    return 0


def _installed(settings: Settings) -> tuple[Policy, InstalledPolicy] | None:
    """The policy installed in the settings' database, if it has a schema that holds one."""
    from storage.migrate import current_revision
    from workspace.policy_store import installed

    if not settings.db and not (settings.data_dir / "caredesk.db").exists():
        return None  # no database yet: nothing can be installed in it
    db = database_of(settings, create_dir=False)
    try:
        revision = current_revision(db.read)
        return installed(db) if revision is not None and revision >= "0003" else None
    finally:
        db.dispose()


def _install_policy(args: argparse.Namespace) -> int:
    import getpass

    from workspace.boot import migrate
    from workspace.policy_file import load_policy
    from workspace.policy_report import policy_table
    from workspace.policy_store import install
    from workspace.timefmt import utcnow

    load_policy(args.file)  # every mistake is listed before the database is touched
    settings = settings_of(args)
    db = database_of(settings)
    try:
        migrate(db)
        by = settings.agent or getpass.getuser()
        policy, mark = install(db, args.file, by=by, at=utcnow())
    finally:
        db.dispose()
    print(policy_table(policy))
    print(f"{args.file}: installed as the team's policy (fingerprint {mark})")
    return 0


def run_audit(args: argparse.Namespace) -> int:
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


def _headroom_text(headroom: Headroom) -> str:
    """`budget 280.00 and 14 grants left this month; 1 grant left for this customer`."""

    def grants(n: int) -> str:
        return f"{n} grant" if n == 1 else f"{n} grants"

    month = []
    if headroom.budget_amount_left is not None:
        month.append(f"budget {headroom.budget_amount_left:f}")
    if headroom.budget_count_left is not None:
        month.append(grants(headroom.budget_count_left))
    parts = [" and ".join(month) + " left this month"] if month else []
    if headroom.per_customer_left is not None:
        parts.append(f"{grants(headroom.per_customer_left)} left for this customer")
    return "; ".join(parts) or "no budget"


def _act_result(outcome: ActionOutcome, headroom: Headroom) -> dict[str, object]:
    """The `--json` object: money as strings, never floats."""
    record = outcome.record
    amount_left = headroom.budget_amount_left
    return {
        "verdict": record.verdict,
        "rule": record.rule,
        "reason": record.verdict_reason,
        "headroom": {
            "budget_amount_left": None if amount_left is None else f"{amount_left:f}",
            "budget_count_left": headroom.budget_count_left,
            "per_customer_left": headroom.per_customer_left,
        },
        "action_id": record.id,
        "status": record.status,
        "amount": f"{record.amount:f}",
        "currency": record.currency,
        "repeated": outcome.repeated,
    }


def run_act(args: argparse.Namespace) -> int:
    from workspace.actions import TYPED_AMOUNT, ActionDesk, ActionRequest
    from workspace.boot import migrate
    from workspace.desk import resolve_agent
    from workspace.errors import ActionInputError, CareDeskError
    from workspace.policy_store import effective_policy
    from workspace.text import one_line
    from workspace.timefmt import utcnow

    items = tuple(sku.strip() for sku in args.items.split(",") if sku.strip())
    if args.amount is not None and args.action not in TYPED_AMOUNT:
        raise CareDeskError(f"--amount: the amount of {args.action} is derived; leave it out")
    if items and args.action != "replacement":
        raise CareDeskError("--items: only a replacement takes items")
    settings = settings_of(args)
    local = policy_of(settings)  # a bad file is refused before the database is touched
    request = ActionRequest(
        kind=args.action,
        customer_id=args.customer,
        order_id=args.order,
        amount=args.amount,
        items=items,
        reason=args.reason,
    )
    db = database_of(settings)
    try:
        migrate(db)
        policy = effective_policy(db, local)  # the team's installed policy, where there is one
        desk = ActionDesk(db, resolve_agent(db, settings.agent), policy, utcnow)
        try:
            outcome = desk.take(request, key=args.key)
            # The headroom decided under the lock; a repeat reports the headroom now.
            before = outcome.headroom or desk.preview(request).verdict.headroom
        except ActionInputError as error:
            raise CareDeskError(f"{ACT_OPTIONS.get(error.field, error.field)}: {error}") from None
    finally:
        db.dispose()
    record = outcome.record
    if args.json:
        print(json.dumps(_act_result(outcome, before)))
    else:
        print(f"{record.verdict}: {one_line(record.verdict_reason)} (rule {one_line(record.rule)})")
        state = ACT_STATE.get(record.status, record.status)
        if outcome.repeated:
            state += f" (a repeat of --key {args.key}: nothing new was done)"
        print(f"action #{record.id}: {state}")
        label = "headroom now" if outcome.repeated else "headroom before this action"
        print(f"{label}: {_headroom_text(before)}")
    return ACT_EXIT.get(record.status, 4)
