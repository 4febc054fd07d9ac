"""`caredesk act`: take one action for a customer, headless, through the same policy,
transaction and audit as the workspace (for scripts)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

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
from workspace.vocabulary import ActionKind

if TYPE_CHECKING:
    from workspace.action_view import ActionOutcome
    from workspace.policy import Headroom


ACTION_CHOICES = tuple(ActionKind)
"""What `--action` takes (the vocabulary is plain enums: the parser stays light)."""

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
  --key KEY names this request, for the agent acting (another agent's KEY is another
  key). Running the same line again with it within 24 hours stores nothing new and
  reports the first action ("repeated"), as it stands now and with the headroom as it
  stands now. The same key with anything else changed (amount, customer, order, action,
  items, reason) is refused, naming what differs; so is a key used over 24 hours ago.
  Two runs at once with one key act once: the second is told the first is in progress.

exit status:
  0 executed, 3 waiting for a supervisor's approval, 4 denied (or withdrawn),
  5 in progress (another run with this --key is being decided: run it again later),
  2 bad input (unknown customer, order or item, a bad amount, a bad policy file, a key
  first used for another request)."""

ACT_OPTIONS = {
    "action": "--action",
    "customer": "--customer",
    "order": "--order",
    "amount": "--amount",
    "items": "--items",
    "reason": "--reason",
    "key": "--key",
}
"""The option a user typed for each field `ActionInputError` can name."""

MAX_KEY = 64
"""An idempotency key is stored in a 64-character column."""

IN_PROGRESS = 5
"""The exit status when another run with the same key is being decided."""


def _key(text: str) -> str:
    """An idempotency key: 1 to MAX_KEY printable ASCII characters, no spaces."""
    if not 0 < len(text) <= MAX_KEY or not text.isascii() or not text.isprintable() or " " in text:
        raise argparse.ArgumentTypeError(
            f"expected 1 to {MAX_KEY} printable ASCII characters without spaces"
        )
    return text


def add(commands: Subparsers) -> None:
    act = commands.add_parser(
        "act",
        help="take one action for a customer under the policy (for scripts)",
        description=ACT_DESCRIPTION,
        epilog=ACT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_db(act)
    add_policy(act)
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
    add_agent(act, "who acts (default: CAREDESK_AGENT, else the first agent in the database)")
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
    act.set_defaults(run=run)


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


def run(args: argparse.Namespace) -> int:
    from workspace.action_view import ActionRequest
    from workspace.actions import Actions
    from workspace.agents import resolve_agent
    from workspace.boot import migrate
    from workspace.errors import ActionInputError, CareDeskError
    from workspace.idempotency import KeyInProgress
    from workspace.policy_store import effective_policy
    from workspace.text import one_line
    from workspace.timefmt import utcnow

    items = tuple(sku.strip() for sku in args.items.split(",") if sku.strip())
    if args.amount is not None and not ActionKind(args.action).typed_amount:
        raise CareDeskError(f"--amount: the amount of {args.action} is derived; leave it out")
    if items and not ActionKind(args.action).takes_items:
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
        desk = Actions(db, resolve_agent(db, settings.agent), policy, utcnow)
        try:
            outcome = desk.take(request, key=args.key)
            # The headroom decided under the lock; a repeat reports the headroom now.
            before = outcome.headroom or desk.preview(request).verdict.headroom
        except KeyInProgress as error:
            echo(f"caredesk act: {one_line(str(error))}", err=True)
            return IN_PROGRESS
        except ActionInputError as error:
            raise CareDeskError(f"{ACT_OPTIONS.get(error.field, error.field)}: {error}") from None
    finally:
        db.dispose()
    record = outcome.record
    if args.json:
        echo(json.dumps(_act_result(outcome, before)), json=True)
    else:
        echo(f"{record.verdict}: {one_line(record.verdict_reason)} (rule {one_line(record.rule)})")
        state = record.status.outcome
        if outcome.repeated:
            state += f" (a repeat of --key {args.key}: nothing new was done)"
        echo(f"action #{record.id}: {state}")
        label = "headroom now" if outcome.repeated else "headroom before this action"
        echo(f"{label}: {_headroom_text(before)}")
    return record.status.exit_code
