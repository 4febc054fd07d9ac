"""`caredesk demo`: fill an empty database with a generated, deterministic demo set."""

from __future__ import annotations

import argparse

from workspace.cli.common import Subparsers, add_db, database_of, settings_of
from workspace.cli.terminal import echo


def _count(text: str) -> int:
    """A number of rows: a whole number, 0 or more (argparse reports anything else)."""
    number = int(text)
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {number}")
    return number


def add(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "demo",
        help="fill an empty database with generated demo data",
        description="Generate a realistic, deterministic demo set (for trials and benchmarks). "
        "Start from a --size preset; the options after it change its figures.",
    )
    add_db(parser)
    parser.add_argument(
        "--size",
        choices=["demo", "large"],
        default="demo",
        help="demo (the default): 300 customers and 400 open contacts, as a first run "
        "makes; large: 100,000 customers, 2,000,000 interactions, 300,000 orders, 50,000 "
        "open contacts, 200 agents, and one customer with 10,000 interactions more",
    )
    parser.add_argument("--customers", type=_count, metavar="N", help="customers")
    parser.add_argument("--contacts", type=_count, metavar="N", help="open contacts")
    parser.add_argument(
        "--interactions",
        type=_count,
        metavar="N",
        help="interactions of all customers but the heavy one (demo: 0 to 60 each)",
    )
    parser.add_argument("--orders", type=_count, metavar="N", help="orders (demo: 3.3 a customer)")
    parser.add_argument(
        "--agents", type=_count, metavar="N", help="agents: the 6 named ones and N-6 generated"
    )
    parser.add_argument(
        "--heavy",
        type=_count,
        metavar="N",
        help="give the first customer N interactions over the years (0: none)",
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import time

    from storage.bulk import is_empty
    from workspace.boot import migrate
    from workspace.demo import build_demo
    from workspace.demo.sizes import SIZES
    from workspace.errors import CareDeskError

    size = SIZES[args.size]
    db = database_of(settings_of(args))
    migrate(db)
    if not is_empty(db):
        raise CareDeskError("the database already has data; demo data goes into an empty one")

    from workspace.cli.progress import shown

    started = time.perf_counter()
    try:
        with shown() as progress:
            summary = build_demo(
                db,
                customers=size.customers if args.customers is None else args.customers,
                contacts=size.contacts if args.contacts is None else args.contacts,
                interactions=size.interactions if args.interactions is None else args.interactions,
                orders=size.orders if args.orders is None else args.orders,
                agents=size.agents if args.agents is None else args.agents,
                heavy_interactions=size.heavy_interactions if args.heavy is None else args.heavy,
                seed=args.seed,
                progress=progress,
            )
    except KeyboardInterrupt:  # the build's transaction has rolled back
        echo("caredesk: demo interrupted; nothing was added", err=True)
        return 130
    seconds = time.perf_counter() - started
    from workspace.text import count

    echo(
        f"demo data: {count(summary.customers, 'customer')}, {count(summary.orders, 'order')}, "
        f"{count(summary.order_items, 'order item')}, {count(summary.tickets, 'contact')}, "
        f"{count(summary.interactions, 'interaction')}, {count(summary.agents, 'agent')}: "
        f"{count(summary.records, 'record')} in {seconds:.1f} s "
        f"({summary.records / max(seconds, 1e-9):,.0f} records/s)"
    )
    return 0
