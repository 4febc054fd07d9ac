"""`caredesk replay`: a scenario scored against a trainee's answers, or the scenario's own
expectations (the autopilot), headless (specs/scenario.md)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from workspace.cli.common import Subparsers

DESCRIPTION = """\
Score a training scenario (docs: specs/scenario.md). With --answers, the answers file a
trainee's replay wrote (or one written by hand) is scored against the scenario; with
--autopilot, the scenario's own `expect` is played as the answers, which must score 100 on
a scenario that can be solved within its policy.

A replay never opens the team's database: --db is refused."""

EPILOG = """\
scoring:
  every replay starts at 100; each finding takes off its weight: forbidden_action 40,
  missing_action 25, policy_denied 20, wrong_amount 15, wrong_disposition 15,
  needs_approval 10, history_not_reviewed 10 (each entry), no_empathy 10, over_time 10.
  It passes with at least 80 and no forbidden_action or policy_denied.

exit status:
  0 scored (passed or not), 2 bad input (a scenario or answers file refused, naming the
  file, the line and the key)."""


def add(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "replay",
        help="score a training scenario: a trainee's answers, or the autopilot",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("scenario", metavar="SCENARIO", type=Path, help="the scenario file")
    played = parser.add_mutually_exclusive_group()
    played.add_argument("--answers", metavar="FILE", type=Path, help="the answers file to score")
    played.add_argument(
        "--autopilot", action="store_true", help="play the scenario's own expectations"
    )
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    # Refused, not unknown: a replay runs on a throw-away database of its own.
    parser.add_argument("--db", default=None, help=argparse.SUPPRESS)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from workspace.errors import CareDeskError
    from workspace.replay.autopilot import autopilot
    from workspace.replay.loading import load_answers, load_scenario
    from workspace.replay.scoring import score
    from workspace.replay.text import report_lines

    if args.db is not None:
        raise CareDeskError(
            "replay: --db is refused: a replay never opens the team's database, it plays in "
            "a private throw-away one"
        )
    if args.answers is None and not args.autopilot:
        raise CareDeskError(
            "replay: give --answers FILE or --autopilot; playing a scenario in the workspace "
            "is not built yet"
        )
    scenario = load_scenario(args.scenario)
    answers = autopilot(scenario) if args.autopilot else load_answers(args.answers)
    report = score(scenario, answers)
    if args.json:
        json.dump(report.as_json(), sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print("\n".join(report_lines(report, scenario.title)))
    return 0
