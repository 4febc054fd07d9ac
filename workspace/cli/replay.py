"""`caredesk replay`: a scenario scored against a trainee's answers, or the scenario's own
expectations (the autopilot), headless (specs/scenario.md)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from workspace.cli.common import Subparsers
from workspace.cli.terminal import echo, unguarded

if TYPE_CHECKING:
    from workspace.app import CareDeskApp
    from workspace.replay.answers_file import Files
    from workspace.replay.model import Scenario
    from workspace.replay.session import ReplaySession

DESCRIPTION = """\
Play a training scenario (docs/scenario.md) in the workspace, or score one.

Alone, it opens the workspace on the scenario: a private, throw-away database holding its
customer, orders, history and the contact, held by you. The customer's turns arrive on the
scenario's clock (shown in the title; --speed runs it faster) or once you take the action
they wait for. Work it with the usual keys; resolving, escalating or parking the contact
(or quitting) ends the replay and shows the report. Your answers file is written as you go,
and the report beside it: <scenario>-<trainee>-<time>.answers.yaml and .report.json in the
current folder (--out DIR elsewhere). What the scenario expects is shown only at the end.

With --answers, an answers file (a replay's, or one written by hand) is scored against the
scenario; with --autopilot, the scenario's own `expect` is played as the answers, which
must score 100 on a scenario that can be solved within its policy.

`caredesk replay report DIR [--json]` scores every answers file in DIR (*.answers.yaml)
against its scenario (found in DIR, in --scenarios DIR, or in the library) and prints one
table: trainee, scenario, score, passed and the findings by kind, then how many trainees
got each kind of finding, so a trainer sees which lesson the class missed.

A replay never opens the team's database: --db is refused."""

EPILOG = """\
scoring:
  every replay starts at 100; each finding takes off its weight: forbidden_action 40,
  missing_action 25, policy_denied 20, wrong_amount 15, wrong_disposition 15,
  needs_approval 10, history_not_reviewed 10 (each entry), no_empathy 10, over_time 10.
  It passes with at least 80 and no forbidden_action or policy_denied.

exit status:
  0 scored (passed or not), 2 bad input (a scenario or answers file refused, naming the
  file, the line and the key); `report`: 1 when an answers file could not be scored (each
  is named, with why)."""


def add(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "replay",
        help="score a training scenario: a trainee's answers, or the autopilot",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "scenario", metavar="SCENARIO", type=Path, help="the scenario file (or `report`)"
    )
    parser.add_argument(
        "folder",
        metavar="DIR",
        type=Path,
        nargs="?",
        help="with `report`: the folder of answers files to score as a class",
    )
    parser.add_argument(
        "--scenarios",
        metavar="DIR",
        type=Path,
        action="append",
        default=[],
        help="with `report`: a folder of scenarios to look in too (besides DIR and the library)",
    )
    played = parser.add_mutually_exclusive_group()
    played.add_argument("--answers", metavar="FILE", type=Path, help="the answers file to score")
    played.add_argument(
        "--autopilot", action="store_true", help="play the scenario's own expectations"
    )
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    parser.add_argument(
        "--speed",
        metavar="X",
        type=_speed,
        default=1.0,
        help="run the scenario's clock X times as fast (default 1)",
    )
    parser.add_argument(
        "--trainee", metavar="NAME", default=None, help="who plays (default: your user name)"
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        default=None,
        help="where the answers and the report are written (default: the current folder)",
    )
    # Refused, not unknown: a replay runs on a throw-away database of its own.
    parser.add_argument("--db", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    parser.set_defaults(run=run)


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 1000:
        raise argparse.ArgumentTypeError(f"expected a number above 0 and up to 1000, got {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    from workspace.errors import CareDeskError
    from workspace.replay.autopilot import autopilot
    from workspace.replay.loading import load_answers, load_scenario
    from workspace.replay.scoring import score
    from workspace.replay.text import report_lines

    # Given here or before the command (`caredesk --db URL replay ...`): refused either way.
    if getattr(args, "db", None) is not None:
        raise CareDeskError(
            "replay: --db is refused: a replay never opens the team's database, it plays in "
            "a private throw-away one"
        )
    if str(args.scenario) == "report" and not args.scenario.exists():
        if args.folder is None:
            raise CareDeskError(
                "replay report: give the folder of answers files: replay report DIR"
            )
        if args.answers is not None or args.autopilot:
            raise CareDeskError("replay report: --answers and --autopilot are for one scenario")
        return _class_report(args)
    if args.folder is not None:
        raise CareDeskError(f"replay: unexpected {args.folder}: only `replay report` takes a DIR")
    if args.scenarios:
        raise CareDeskError("replay: --scenarios is for `replay report DIR`")
    if args.json and args.answers is None and not args.autopilot:
        raise CareDeskError("replay: --json prints a score: give --answers FILE or --autopilot")
    scenario = load_scenario(args.scenario)
    if args.answers is None and not args.autopilot:
        return _play(args, scenario)
    answers = autopilot(scenario) if args.autopilot else load_answers(args.answers)
    report = score(scenario, answers)
    if args.json:
        # ASCII: names and reasons are untrusted, and a terminal acts on raw control bytes.
        json.dump(report.as_json(), sys.stdout, ensure_ascii=True, indent=2)
        echo()
    else:
        echo("\n".join(report_lines(report, scenario.title)))
    return 0


def _class_report(args: argparse.Namespace) -> int:
    """Every answers file of a folder, scored, in one table."""
    from workspace.errors import CareDeskError
    from workspace.replay.classroom import score_folder, table

    folder: Path = args.folder
    if not folder.is_dir():
        raise CareDeskError(f"replay report: {folder}: not a folder that exists")
    room = score_folder(folder, args.scenarios)
    if not room.scored and not room.refused:
        raise CareDeskError(f"replay report: {folder}: no answers file (*.answers.yaml) in it")
    if args.json:
        json.dump(room.as_json(), sys.stdout, ensure_ascii=True, indent=2)
        echo()
    else:
        echo("\n".join(table(room)))
    return 1 if room.refused else 0


def _play(args: argparse.Namespace, scenario: Scenario) -> int:
    """The replay in the workspace, on a throw-away world; the files it wrote are named
    once it ends."""
    import getpass

    from workspace.cli.desk import NEEDS_TERMINAL, on_terminal
    from workspace.errors import CareDeskError
    from workspace.text import one_line

    folder: Path = args.out or Path.cwd()
    if not folder.is_dir():
        raise CareDeskError(f"replay: --out {folder}: not a folder that exists")
    trainee = args.trainee or getpass.getuser()
    if not trainee.strip():
        raise CareDeskError("replay: --trainee: expected a name")
    if not on_terminal():
        raise CareDeskError(NEEDS_TERMINAL.replace("the workspace", "a replay"))
    app, files = replay_app(scenario, folder, trainee, args.speed)
    with unguarded():  # the app draws on the terminal itself
        app.run()
    if files.answers.exists():
        echo(f"answers: {one_line(str(files.answers))}")
    if files.report.exists():
        echo(f"report: {one_line(str(files.report))}")
    return app.return_code or 0


def replay_app(
    scenario: Scenario,
    folder: Path,
    trainee: str,
    speed: float = 1.0,
    clock: Callable[[], datetime] | None = None,
    started: datetime | None = None,
) -> tuple[CareDeskApp, Files]:
    """The workspace playing `scenario`, and where it writes (its files are named after
    `started`, default now); `clock` (a test's) replaces the scenario clock running at
    `speed`."""
    from workspace.app import CareDeskApp, ReplayLaunch
    from workspace.replay.answers_file import Files
    from workspace.replay.clock import ScenarioClock
    from workspace.timefmt import utcnow

    ticking = clock or ScenarioClock(scenario.now, speed)
    files = Files.for_replay(folder, scenario, trainee, started or utcnow())

    def session() -> ReplaySession:
        # In the boot worker, after the first frame: the database layers load here.
        from workspace.replay.session import ReplaySession
        from workspace.replay.world import build_world

        return ReplaySession(build_world(scenario), ticking, trainee, files)

    app = CareDeskApp(ReplayLaunch(session), clock=ticking, show_clock=False, quiet_start=True)
    return app, files
