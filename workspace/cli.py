"""`caredesk`: the workspace, and the commands operations run around it.

Heavy imports are deferred into each command so `caredesk --help` answers at once.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from workspace.cli_ops import add_act, add_audit, add_policy, run_act, run_audit, run_policy
from workspace.cli_support import add_common, database_of, policy_of, settings_of

DESCRIPTION = """\
CareDesk: a keyboard-first workspace for customer-care teams.

Run with no command to open the agent workspace. The first run on a new database
fills it with demo data."""

EPILOG = """\
commands:
  policy check FILE   validate a policy file and print what it allows
  policy show         print the policy in effect
  act                 take one action for a customer under the policy (for scripts)
  audit verify        check the audit log's hash chain
  db, demo, import, export: see `caredesk COMMAND --help`

The database is a SQLite file in your data directory unless --db or CAREDESK_DB names
another (sqlite:///path.db or postgresql://user@host/db). Actions are bounded by the
policy CareDesk ships with unless --policy or CAREDESK_POLICY names a policy file."""


def build_parser() -> argparse.ArgumentParser:
    """The command line, with a --help for every command."""
    parser = argparse.ArgumentParser(
        prog="caredesk",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_common(parser)
    parser.add_argument(
        "--agent", metavar="NAME", help="who you are (default: the first agent in the database)"
    )
    parser.add_argument(
        "--no-demo", action="store_true", help="do not fill an empty database with demo data"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    db = sub.add_parser("db", help="database schema: upgrade or show its revision")
    add_common(db)
    db.add_argument("action", choices=["upgrade", "status"], help="what to do")

    demo = sub.add_parser(
        "demo",
        help="fill an empty database with generated demo data",
        description="Generate a realistic, deterministic demo set (for trials and benchmarks). "
        "Start from a --size preset; the options after it change its figures.",
    )
    add_common(demo)

    def count(text: str) -> int:
        """A number of rows: a whole number, 0 or more (argparse reports anything else)."""
        number = int(text)
        if number < 0:
            raise argparse.ArgumentTypeError(f"must be 0 or more, not {number}")
        return number

    demo.add_argument(
        "--size",
        choices=["demo", "large"],
        default="demo",
        help="demo (the default): 300 customers and 400 open contacts, as a first run "
        "makes; large: 100,000 customers, 2,000,000 interactions, 300,000 orders, 50,000 "
        "open contacts, 200 agents, and one customer with 10,000 interactions more",
    )
    demo.add_argument("--customers", type=count, metavar="N", help="customers")
    demo.add_argument("--contacts", type=count, metavar="N", help="open contacts")
    demo.add_argument(
        "--interactions",
        type=count,
        metavar="N",
        help="interactions of all customers but the heavy one (demo: 0 to 60 each)",
    )
    demo.add_argument("--orders", type=count, metavar="N", help="orders (demo: 3.3 a customer)")
    demo.add_argument(
        "--agents", type=count, metavar="N", help="agents: the 6 named ones and N-6 generated"
    )
    demo.add_argument(
        "--heavy",
        type=count,
        metavar="N",
        help="give the first customer N interactions over the years (0: none)",
    )
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")

    imp = sub.add_parser(
        "import",
        help="load customers, orders, tickets and history from a JSON Lines file",
        description="Import a JSON Lines file (see the import format). All or nothing: a file "
        "with any bad line imports nothing and every bad line is listed.",
    )
    add_common(imp)
    imp.add_argument("file", type=Path, help="the .jsonl file")

    exp = sub.add_parser("export", help="write every record as JSON Lines (the import format)")
    add_common(exp)
    exp.add_argument(
        "-o", "--output", type=Path, default=None, help="file to write (default: standard output)"
    )
    add_policy(sub)
    add_act(sub)
    add_audit(sub)
    return parser


def _run_workspace(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    policy = policy_of(settings)  # a bad file is refused here, before anything opens

    from workspace.app import CareDeskApp

    app = CareDeskApp(
        partial(database_of, settings),
        agent=settings.agent,
        fill_demo=not args.no_demo,
        keymap=settings.keymap,
        policy=policy,
    )
    app.run()
    return app.return_code or 0


def _run_db(args: argparse.Namespace) -> int:
    from storage.migrate import current_revision, head_revision
    from workspace.boot import migrate

    db = database_of(settings_of(args))
    if args.action == "upgrade":
        moved = migrate(db)
        head = head_revision()
        print(f"upgraded from {moved} to {head}" if moved else f"already at {head}")
    else:
        print(f"schema {current_revision(db.read) or 'empty'} (newest {head_revision()})")
    return 0


def _run_demo(args: argparse.Namespace) -> int:
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

    started = time.perf_counter()
    latest: dict[str, tuple[int, int]] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if not sys.stderr.isatty():
            return
        latest[stage] = (done, total)
        if stage == "search index":
            line = "building the search index" if done < total else "search index built"
        else:
            parts = []
            for name in ("customers", "interactions"):
                so_far, of = latest.get(name, (0, 0))
                parts.append(f"{so_far:,}/{of:,} {name}")
            line = ", ".join(parts)
        elapsed = time.perf_counter() - started
        print(f"\r{line} ({elapsed:.0f} s)      ", end="", file=sys.stderr, flush=True)

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
    seconds = time.perf_counter() - started
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(
        f"demo data: {summary.customers} customers, {summary.orders} orders, "
        f"{summary.order_items} order items, {summary.tickets} contacts, "
        f"{summary.interactions} interactions, {summary.agents} agents: "
        f"{summary.records} records in {seconds:.1f} s "
        f"({summary.records / max(seconds, 1e-9):,.0f} records/s)"
    )
    return 0


def _run_import(args: argparse.Namespace) -> int:
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


def _run_export(args: argparse.Namespace) -> int:
    from workspace.exporter import export_all
    from workspace.files import write_atomically

    db = database_of(settings_of(args))
    if args.output is None:
        count = export_all(db, sys.stdout)
        sys.stdout.flush()
    else:
        count = write_atomically(args.output, partial(export_all, db))
    print(f"exported {count} records", file=sys.stderr)
    return 0


COMMANDS: dict[str | None, Callable[[argparse.Namespace], int]] = {
    None: _run_workspace,
    "db": _run_db,
    "demo": _run_demo,
    "import": _run_import,
    "export": _run_export,
    "policy": run_policy,
    "act": run_act,
    "audit": run_audit,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `caredesk` console script."""
    args = build_parser().parse_args(argv)
    from alembic.util import CommandError
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from storage.engine import UnsupportedDatabase
    from workspace.errors import CareDeskError

    try:
        return COMMANDS[args.command](args)
    except CareDeskError as error:
        from workspace.text import one_line  # ids and names in messages can be hostile

        lines = [one_line(line) for line in str(error).splitlines()] or [""]
        print("caredesk: " + "\n".join(lines), file=sys.stderr)
        return 2
    except (SQLAlchemyError, ArgumentError, UnsupportedDatabase, CommandError) as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        print(f"caredesk: cannot use the database: {reason}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`caredesk export | head`): stop quietly, as other tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as error:
        print(f"caredesk: {error.strerror or error}: {error.filename or ''}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
