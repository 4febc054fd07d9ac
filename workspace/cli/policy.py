"""`caredesk policy`: check a policy file, show the policy in effect, or install one for the
team in the shared database."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from workspace.cli.common import (
    Subparsers,
    add_agent,
    add_db,
    add_policy,
    database_of,
    policy_in_effect,
    policy_of,
    settings_of,
)
from workspace.cli.terminal import echo

if TYPE_CHECKING:
    from workspace.policy import Policy
    from workspace.policy_store import InstalledPolicy
    from workspace.settings import Settings


def add(commands: Subparsers) -> None:
    policy = commands.add_parser(
        "policy",
        help="check, show or install the policy that bounds agents' actions",
        description="Policy files say how far an agent may go alone (format: docs/policy.md). "
        "A file with any mistake is refused whole, every mistake listed.",
    )
    what = policy.add_subparsers(dest="what", metavar="ACTION", required=True)
    check = what.add_parser(
        "check",
        help="validate FILE and print what it allows",
        description="Validate a policy file (format: docs/policy.md). Valid: print its rules and "
        "`FILE: valid`, exit 0. Invalid: list every problem (file, key path, what was expected) "
        "on standard error, exit 2.",
    )
    check.add_argument("file", type=Path, metavar="FILE", help="the policy file (YAML)")
    show = what.add_parser(
        "show",
        help="print the policy in effect",
        description="Print the rules of the policy in effect: the one installed in the "
        "database, else --policy, else CAREDESK_POLICY, else the one CareDesk ships with.",
    )
    add_db(show)
    add_policy(show)
    install = what.add_parser(
        "install",
        help="make FILE the team's policy, stored in the database",
        description="Validate FILE (format: docs/policy.md) and store it in the database as the "
        "team's policy: from then on the workspace and `caredesk act` decide by it on every "
        "machine, and a local --policy / CAREDESK_POLICY file that says something else is "
        "refused. Installing is audited; the previous policy is kept for the record.",
    )
    install.add_argument("file", type=Path, metavar="FILE", help="the policy file (YAML)")
    add_db(install)
    add_agent(
        install,
        "who installs it, as the audit log records (default: CAREDESK_AGENT, else your login name)",
    )
    policy.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from workspace.policy import fingerprint
    from workspace.policy_file import DEFAULT_POLICY, load_policy
    from workspace.policy_report import policy_table
    from workspace.text import one_line

    if args.what == "check":
        echo(policy_table(load_policy(args.file)))
        echo(f"{args.file}: valid")
        return 0
    if args.what == "install":
        return _install_policy(args)
    settings = settings_of(args)
    local = policy_of(settings)
    found = _installed(settings)
    if found is not None:
        policy, stored = found
        echo(policy_table(policy))
        echo(
            f"policy in effect: installed in the database from {one_line(stored.source)} by "
            f"{one_line(stored.installed_by)} at {stored.installed_at:%Y-%m-%d %H:%M} UTC "
            f"(fingerprint {stored.fingerprint})"
        )
        if local is not None and fingerprint(local) != stored.fingerprint:
            echo(f"the local policy file {settings.policy} differs and would be refused")
        return 0
    policy = policy_in_effect(settings)
    echo(policy_table(policy))
    source = settings.policy or f"{DEFAULT_POLICY} (the one CareDesk ships with)"
    echo(f"policy in effect: {source} (fingerprint {fingerprint(policy)})")
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
    from workspace.agents import installer
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
        by = installer(db, settings.agent)
        policy, mark = install(db, args.file, by=by, at=utcnow())
    finally:
        db.dispose()
    echo(policy_table(policy))
    echo(f"{args.file}: installed as the team's policy (fingerprint {mark})")
    return 0
