"""`caredesk deliver`: send executed actions' messages to the systems that fulfil them."""

from __future__ import annotations

import argparse

from workspace.cli.common import Subparsers, add_db, database_of, settings_of
from workspace.cli.terminal import echo

DESCRIPTION = """\
Send each executed action's message (the outbox) to the endpoint configured for its kind,
signed as Standard Webhooks define it: timeouts, dropped connections, 429 and 5xx are tried
again later (never sooner than a Retry-After asks), other 4xx fail for good. Several may run
at once, each workspace's and this one's: each message is taken under a lease.

Without --once it keeps running, woken by the database's live feed. It also brings
follow-ups that fell due back to their owners' queues, as every open workspace does."""

EPILOG = """\
configuration (environment, or the same names in lower case, without CAREDESK_, in the
config file: config.toml in the user's config directory, or CAREDESK_CONFIG):
  CAREDESK_DELIVERY_URL          the endpoint for every action kind
  CAREDESK_DELIVERY_URL_<KIND>   the endpoint for one kind (CAREDESK_DELIVERY_URL_REFUND;
                                 in the file, a [delivery_urls] table: refund = "...")
  CAREDESK_DELIVERY_SECRET       the signing secret (whsec_...); two, comma-separated,
                                 while one is rotated (both sign). Never printed.
  CAREDESK_DELIVERY_TIMEOUT      seconds one attempt may take (default 10)

A receiver that answers 410 (Gone) disables its endpoint: messages for it wait, none is
lost, until `caredesk deliver --enable URL` (for instance once the URL is corrected).

exit status (--once):
  0 nothing left failing, 1 a message failed for good or an endpoint is disabled (a line
  for each), 2 bad input."""


def add(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "deliver",
        help="send executed actions to the systems that fulfil them (the outbox)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_db(parser)
    parser.add_argument("--once", action="store_true", help="deliver what is due now, then exit")
    parser.add_argument(
        "--enable",
        metavar="URL",
        help="send to URL again after a receiver said it was gone (410), then exit",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from workspace import delivery, follow_ups, team_config
    from workspace.boot import migrate
    from workspace.delivery import Deliverer, Endpoints
    from workspace.text import one_line

    settings = settings_of(args)
    endpoints = Endpoints.from_settings(settings)
    db = database_of(settings)
    migrate(db)  # as every command that writes: a database of an older CareDesk is upgraded
    if args.enable is not None:
        try:
            if not delivery.enable(db, args.enable):
                echo(f"deliver: {one_line(args.enable)} was not disabled", err=True)
                return 2
        finally:
            db.dispose()
        echo(f"{one_line(args.enable)} is enabled; its messages are due now")
        return 0
    deliverer = Deliverer(db, endpoints)
    # Follow-ups that fell due go back to their owners' queues from here too, so a team
    # whose desks are all closed overnight finds them there in the morning.
    sweep = follow_ups.Sweep(db, team_config.in_effect(db))
    try:
        if args.once:
            sweep()
            while deliverer.run_once().taken:
                pass
        else:
            try:
                deliverer.run(lambda: False, chore=sweep)
            except KeyboardInterrupt:
                return 130
        failures = delivery.failed_messages(db) + delivery.disabled_endpoints(db)
        twice = delivery.possible_duplicates(db)
    finally:
        deliverer.close()
        db.dispose()
    for line in failures:
        echo(one_line(line), err=True)
    if twice:
        echo(
            f"{twice} send(s) may have reached a receiver twice (a deliverer stopped before "
            "recording the answer); each carried the same webhook-id",
            err=True,
        )
    return 1 if failures else 0
