"""`caredesk monitor`: the supervisor's live wallboard, read-only."""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path

from workspace.cli.common import Subparsers, add_db, add_policy, policy_of, settings_of
from workspace.cli.terminal import echo, unguarded

MONITOR_DESCRIPTION = """\
A live wallboard of the floor: queue depth by channel and in the escalation queue, the
contacts breached and at risk (most urgent first), every agent with what they hold and for
how long, what they are viewing and what they handled today, approvals waiting and for how
long, and the compensation given today and this month against the team's budgets. It
follows every change as it commits; nobody presses anything. Enter on a contact, an agent
or a request opens the customer's context read-only (esc goes back)."""

MONITOR_EPILOG = """\
read-only, and no trace:
  the database is opened read-only (SQLite: the file in read-only mode; PostgreSQL:
  every transaction READ ONLY, and the login should be in the database's monitor group,
  which may write nothing). The monitor writes no session or heartbeat, marks nothing
  read or viewed, and holds nothing: agents do not see it. It never upgrades the schema:
  run `caredesk db upgrade` first.

on a wall screen:
  --serve serves the same wallboard to a browser (textual-serve): each browser that opens
  the page gets a read-only monitor of its own. It listens on 127.0.0.1 unless --host says
  otherwise; anyone who can reach the port sees the floor, so put it behind your own
  access control before you listen on another address.
    caredesk monitor --serve --port 8000      then open http://127.0.0.1:8000

exit status:
  0 closed, 2 the database cannot be read or its schema is not current."""

DEFAULT_PORT = 8000
"""Where `--serve` listens unless told."""
DEFAULT_HOST = "127.0.0.1"
"""The address `--serve` listens on unless told: this machine only."""


NEEDS_TERMINAL = "the monitor needs a terminal: run `caredesk monitor` in one"


def add(commands: Subparsers) -> None:
    monitor = commands.add_parser(
        "monitor",
        help="the supervisor's live wallboard of the floor, read-only",
        description=MONITOR_DESCRIPTION,
        epilog=MONITOR_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_db(monitor)
    add_policy(monitor)
    serve = monitor.add_argument_group("on a wall screen")
    serve.add_argument(
        "--serve", action="store_true", help="serve the wallboard to a browser instead"
    )
    serve.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"the port (default {DEFAULT_PORT})"
    )
    serve.add_argument(
        "--host", default=DEFAULT_HOST, help=f"the address to listen on (default {DEFAULT_HOST})"
    )
    monitor.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from storage.engine import make_reader
    from workspace.cli.desk import on_terminal
    from workspace.errors import CareDeskError

    settings = settings_of(args)
    policy = policy_of(settings)  # a bad file is refused here, before anything opens
    url = settings.database_url()
    check_current(url)
    if args.serve:
        return serve(url, args.host, args.port, settings.policy)
    from workspace.app import CareDeskApp, MonitorLaunch

    launch = MonitorLaunch(partial(make_reader, url), policy=policy)
    app = CareDeskApp(launch, keymap=settings.keymap, quiet_start=True)
    if not on_terminal():
        raise CareDeskError(NEEDS_TERMINAL)
    with unguarded():  # the app draws on the terminal itself
        app.run()
    return app.return_code or 0


def check_current(url: str) -> None:
    """Refuse, before any screen, a database that is missing or whose schema is not the one
    this CareDesk reads (the monitor never creates or upgrades one)."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    from storage.engine import make_reader, normalise_url
    from workspace.boot import open_viewer
    from workspace.errors import CareDeskError

    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").exists():
        shown = make_url(url).render_as_string(hide_password=True)
        raise CareDeskError(f"{shown}: no such database file (the monitor creates none)")
    reader = make_reader(parsed)
    try:
        open_viewer(reader)
    finally:
        reader.dispose()


def serve(url: str, host: str, port: int, policy: Path | None) -> int:
    """Serve the monitor to browsers until interrupted. Each page runs `caredesk monitor` in
    a process of its own; the database and the policy reach it by the environment, so a
    password in the URL never shows in the process list."""
    import os
    import shlex
    import sys

    from workspace.errors import CareDeskError

    if not 0 < port < 65536:
        raise CareDeskError(f"--port: {port} is not a port (1 to 65535)")
    from textual_serve.server import Server

    os.environ["CAREDESK_DB"] = url
    if policy:
        os.environ["CAREDESK_POLICY"] = str(policy)
    command = shlex.join([sys.executable, "-m", "workspace.cli", "monitor"])
    told = f"caredesk monitor: serving http://{host}:{port} (read-only); Ctrl-C stops"
    echo(told, err=True)
    with unguarded():  # the server logs in colour on the terminal
        Server(command, host=host, port=port, title="CareDesk monitor").serve()
    return 0
