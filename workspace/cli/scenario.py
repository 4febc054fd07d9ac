"""`caredesk scenario`: check training scenarios, and list the ones CareDesk ships."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from workspace.cli.common import Subparsers

CHECK = """\
Validate scenario files and play each one's own expectations with the autopilot: a file
passes when it loads and the autopilot scores 100 (the scenario can be solved within its
policy). Every file is checked, and each one that fails is named with the reason."""

CHECK_EPILOG = """\
exit status:
  0 every file passed, 1 at least one failed."""


def add(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "scenario",
        help="check training scenarios; list the ones CareDesk ships",
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
            print(f"{one_line(str(path))}: ok, the autopilot scores 100")
            continue
        failed += 1
        print("\n".join(one_line(line) for line in problem.splitlines()))
    if failed:
        print(f"{failed} of {len(args.files)} failed")
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
            print(f"{path.stem:<28} (refused: run caredesk scenario check {path})")
            continue
        print(f"{one_line(scenario.id):<28} {one_line(scenario.title)}\n{'':<28} {path}")
    return 0
