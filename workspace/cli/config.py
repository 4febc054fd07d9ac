"""`caredesk config`: check a team configuration file (service levels, who works the
escalation queue), show the one in effect, or install one for the team in the database."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from workspace.cli.common import Subparsers, add_agent, add_db, database_of, settings_of
from workspace.cli.terminal import echo, write

if TYPE_CHECKING:
    from workspace.settings import Settings
    from workspace.team_config import InstalledConfig, TeamConfig


def add(commands: Subparsers) -> None:
    config = commands.add_parser(
        "config",
        help="check, show or install the team's service levels and escalation roles",
        description="A team configuration file (YAML) sets the first-response and resolution "
        "targets by channel and priority, and which roles see and claim the escalation queue. "
        "A file with any mistake is refused whole, every mistake listed with its line "
        "(format: docs/team-config.md).",
    )
    what = config.add_subparsers(dest="what", metavar="ACTION", required=True)
    check = what.add_parser(
        "check",
        help="validate FILE and print what it sets",
        description="Validate a configuration file (format: docs/team-config.md). Valid: print "
        "its targets and `FILE: valid`, exit 0. Invalid: list every problem (file, line, key "
        "path, what was expected) on standard error, exit 2.",
    )
    check.add_argument("file", type=Path, metavar="FILE", help="the configuration file (YAML)")
    show = what.add_parser(
        "show",
        help="print the configuration in effect",
        description="Print the configuration in effect: the one installed in the database, "
        "else CareDesk's own targets (supervisors alone work escalations).",
    )
    add_db(show)
    show.add_argument(
        "--yaml",
        action="store_true",
        help="print it as a configuration file, every target spelled out, to edit and install",
    )
    install = what.add_parser(
        "install",
        help="make FILE the team's configuration, stored in the database",
        description="Validate FILE (format: docs/team-config.md) and store it in the database as "
        "the team's configuration: workspaces opened from then on, and imports, work by it. "
        "Installing is audited; the previous configuration is kept for the record.",
    )
    install.add_argument("file", type=Path, metavar="FILE", help="the configuration file (YAML)")
    add_db(install)
    add_agent(
        install,
        "who installs it, as the audit log records (default: CAREDESK_AGENT, else your login name)",
    )
    config.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from workspace.team_config import DEFAULT_CONFIG, config_table, config_text, load_config
    from workspace.text import one_line

    if args.what == "check":
        echo(config_table(load_config(args.file)))
        echo(f"{args.file}: valid")
        return 0
    if args.what == "install":
        return _install(args)
    found = _installed(settings_of(args))
    config = DEFAULT_CONFIG if found is None else found[0]
    if args.yaml:
        write(sys.stdout, config_text(config), json=True)  # YAML: its escapes are its own
        return 0
    echo(config_table(config))
    if found is None:
        echo("configuration in effect: CareDesk's own (none installed)")
    else:
        stored = found[1]
        echo(
            f"configuration in effect: installed in the database from {one_line(stored.source)} "
            f"by {one_line(stored.installed_by)} at {stored.installed_at:%Y-%m-%d %H:%M} UTC"
        )
    return 0


def _installed(settings: Settings) -> tuple[TeamConfig, InstalledConfig] | None:
    """The configuration installed in the settings' database, if its schema holds one."""
    from storage.migrate import current_revision
    from workspace.team_config import installed

    if not settings.db and not (settings.data_dir / "caredesk.db").exists():
        return None  # no database yet: nothing can be installed in it
    db = database_of(settings, create_dir=False)
    try:
        revision = current_revision(db.read)
        return installed(db) if revision is not None and revision >= "0006" else None
    finally:
        db.dispose()


def _install(args: argparse.Namespace) -> int:
    from workspace.agents import installer
    from workspace.boot import migrate
    from workspace.team_config import config_table, install, load_config
    from workspace.timefmt import utcnow

    load_config(args.file)  # every mistake is listed before the database is touched
    settings = settings_of(args)
    db = database_of(settings)
    try:
        migrate(db)
        by = installer(db, settings.agent)
        config, mark = install(db, args.file, by=by, at=utcnow())
    finally:
        db.dispose()
    echo(config_table(config))
    echo(f"{args.file}: installed as the team's configuration (fingerprint {mark})")
    return 0
