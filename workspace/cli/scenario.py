"""`caredesk scenario`: check training scenarios, list the ones CareDesk ships, and export a
resolved contact of the team's database as one."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from workspace.cli.common import Subparsers, add_db, add_output, settings_of, write_output
from workspace.cli.terminal import echo

CHECK = """\
Validate scenario files and play each one's own expectations with the autopilot: a file
passes when it loads and the autopilot scores 100 (the scenario can be solved within its
policy). Every file is checked, and each one that fails is named with the reason."""

CHECK_EPILOG = """\
exit status:
  0 every file passed, 1 at least one failed."""


EXPORT = """\
Write a resolved contact as a training scenario (specs/scenario.md): its customer and
orders, the customer's earlier messages, what the customer said on the contact, and what
the agent did as the scenario's expectations (actions executed or approved are expected,
refused ones forbidden), under the team's policy written inline.

Real people never reach a training room: names, e-mail addresses, phone numbers, street
addresses and customer, contact and order ids are replaced by fakes, each original by one
fake everywhere it appears, free text included. The fakes are drawn from the contact's id,
so exporting a contact again gives the same file. Products and amounts stay as they are.

The file is checked before it is written: it loads, and the autopilot can solve it. An
expected action the policy in effect now refuses is left out, and said so on standard
error. It only reads, on a read-only connection."""

EXPORT_EPILOG = """\
limits:
  e-mail addresses, phone numbers (9 to 15 digits, however punctuated) and US-style street
  addresses are found in any text; other people's names are not, only the customer's and
  the team's.

exit status:
  0 written, 2 refused (no such contact, a contact not resolved, a database without
  CareDesk's schema)."""


def add(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "scenario",
        help="check training scenarios; list the ones CareDesk ships; export a contact as one",
        description="Training scenarios (specs/scenario.md).",
    )
    verbs = parser.add_subparsers(dest="verb", title="commands", metavar="COMMAND", required=True)
    check = verbs.add_parser(
        "check",
        help="validate scenarios and run the autopilot on each",
        description=CHECK,
        epilog=CHECK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("files", metavar="FILE", type=Path, nargs="+", help="scenario files")
    check.set_defaults(verb_run=run_check)
    listed = verbs.add_parser(
        "list",
        help="the scenarios CareDesk ships",
        description="The scenarios CareDesk ships: id, title and file, to play with "
        "`caredesk replay FILE`.",
    )
    listed.set_defaults(verb_run=run_list)
    export = verbs.add_parser(
        "export",
        help="write a resolved contact as a scenario, people replaced by fakes",
        description=EXPORT,
        epilog=EXPORT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export.add_argument("contact", metavar="CONTACT_ID", help="the resolved contact's id")
    add_output(export)
    add_db(export)
    export.set_defaults(verb_run=run_export)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """The verb's own `run`."""
    verb: Callable[[argparse.Namespace], int] = args.verb_run
    return verb(args)


def check_file(path: Path) -> str | None:
    """Why `path` fails the check (one or more lines), or None when it passes."""
    from workspace.errors import InputRejected
    from workspace.replay.autopilot import autopilot
    from workspace.replay.loading import load_scenario
    from workspace.replay.scoring import score

    try:
        scenario = load_scenario(path)
        report = score(scenario, autopilot(scenario))
    except InputRejected as refused:
        return str(refused)
    if report.score == 100:
        return None
    lines = [f"{path}: the autopilot scores {report.score}, not 100"]
    lines += [f"  {f.kind}: {f.detail}" for f in report.findings]
    return "\n".join(lines)


def run_check(args: argparse.Namespace) -> int:
    from workspace.text import one_line

    failed = 0
    for path in args.files:
        problem = check_file(path)
        if problem is None:
            echo(f"{one_line(str(path))}: ok, the autopilot scores 100")
            continue
        failed += 1
        echo("\n".join(one_line(line) for line in problem.splitlines()))
    if failed:
        echo(f"{failed} of {len(args.files)} failed")
    return 1 if failed else 0


def run_list(args: argparse.Namespace) -> int:
    from workspace.errors import InputRejected
    from workspace.replay.loading import load_scenario
    from workspace.replay.shipped import shipped
    from workspace.text import one_line

    for path in shipped():
        try:
            scenario = load_scenario(path)
        except InputRejected:
            echo(f"{path.stem:<28} (refused: run caredesk scenario check {path})")
            continue
        echo(f"{one_line(scenario.id):<28} {one_line(scenario.title)}\n{'':<28} {path}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from storage.engine import make_reader
    from workspace.replay.export import export_contact
    from workspace.reporting import require_schema
    from workspace.text import one_line

    db = make_reader(settings_of(args).database_url())
    try:
        require_schema(db)
        exported = export_contact(db, args.contact)
    finally:
        db.dispose()
    # YAML, whose escapes are its own: on a terminal hidden characters show as `\\u009b`.
    write_output(args.output, lambda out: out.write(exported.text), json=True)
    for note in exported.notes:
        echo(f"caredesk scenario export: {one_line(note)}", err=True)
    where = "" if args.output is None else f" to {one_line(str(args.output))}"
    echo(
        f"exported contact {one_line(args.contact)} as scenario {exported.scenario.id}{where}",
        err=True,
    )
    return 0
