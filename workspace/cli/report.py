"""`caredesk report`: the figures a care team is judged by, for a period (specs/metrics.md),
or with --policy the policy's friction. Reads only, on a read-only connection."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from workspace.cli.common import Subparsers, add_db, settings_of
from workspace.cli.terminal import echo, guard

if TYPE_CHECKING:
    from workspace.friction import Friction
    from workspace.metrics import Figures, Metrics

DESCRIPTION = """\
Print the team's figures for a period [since, until) in UTC: satisfaction (CSAT), net
promoter score (NPS), effort (CES), first contact resolution (FCR), first response time
(median and 90th percentile), average handle time (AHT), service level, contacts opened
and closed, backlog, compensation given and approvals waiting, for the team, each channel
and each agent. A figure with no data in the period is `-` (null in JSON), never 0.

With --policy, the policy's friction instead: denials and approval requests by rule,
how long supervisors took to decide, and what each agent executed, by action kind.

It only reads, on a read-only connection: a read-only login can run it."""

EPILOG = """\
period:
  --since and --until take a date (2026-11-07: its midnight, UTC) or a time
  (2026-11-07T09:30Z; without a zone, UTC). --until is not included. Default: today
  (UTC); --until alone covers the day before it, --since alone runs to the end of today.

output:
  a table (default), one JSON object (--json) with the figures' keys plus since, until,
  by_channel and by_agent, or CSV (--csv) with one row per channel and per agent.

exit status:
  0 printed, 2 bad input (a date that is not one, --until not after --since, a database
  without CareDesk's schema)."""


def add(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "report",
        help="the team's figures (CSAT, NPS, FCR, FRT, AHT, SLA, ...) for a period",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_db(parser)
    parser.add_argument("--since", metavar="DATE|TIME", help="start of the period (included)")
    parser.add_argument("--until", metavar="DATE|TIME", help="end of the period (excluded)")
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print one JSON object")
    form.add_argument("--csv", action="store_true", help="print CSV, a row per channel and agent")
    parser.add_argument(
        "--policy",
        dest="friction",
        action="store_true",
        help="the policy's friction: denials and approval requests by rule, approval "
        "turnaround, executed amounts by agent and kind",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from storage.engine import make_reader
    from workspace.reporting import friction_report, period_of, report, require_schema
    from workspace.timefmt import utcnow

    # Bad dates are refused before the database is opened.
    period = period_of(args.since, args.until, utcnow())
    db = make_reader(settings_of(args).database_url())
    try:
        require_schema(db)
        if args.friction:
            _print_friction(friction_report(db, period), args)
        else:
            _print_metrics(report(db, period), args)
    finally:
        db.dispose()
    return 0


# -- the figures ----------------------------------------------------------------------------


def _print_metrics(metrics: Metrics, args: argparse.Namespace) -> None:
    if args.json:
        echo(json.dumps(metrics.to_dict()), json=True)
    elif args.csv:
        _write_csv(metrics)
    else:
        echo(_metrics_text(metrics))


def _write_csv(metrics: Metrics) -> None:
    """One row per channel and per agent; a figure with no data, or none for that kind of
    row, is an empty cell."""
    from workspace.metrics import AGENT_KEYS, CHANNEL_KEYS, KEYS

    out = csv.writer(guard(sys.stdout), lineterminator="\n")
    out.writerow(["by", "name", *KEYS])
    for by, groups, keys in (
        ("channel", metrics.by_channel, CHANNEL_KEYS),
        ("agent", metrics.by_agent, AGENT_KEYS),
    ):
        for name, figures in groups.items():
            out.writerow(
                [by, name, *(_csv_cell(getattr(figures, k)) if k in keys else "" for k in KEYS)]
            )


def _csv_cell(value: object) -> str:
    return "" if value is None else str(value)


def _metrics_text(metrics: Metrics) -> str:
    from workspace.metrics import AGENT_KEYS, CHANNEL_KEYS, KEYS, LABELS, shown, timestamp
    from workspace.text import one_line

    period = metrics.period
    lines = [f"Report {timestamp(period.since)} to {timestamp(period.until)} (UTC)", ""]
    lines += _table(
        ["Figure", "Team"], [[LABELS[k], shown(k, getattr(metrics.total, k))] for k in KEYS]
    )

    def rows(groups: dict[str, Figures], keys: Sequence[str]) -> list[list[str]]:
        return [
            [one_line(name), *(shown(k, getattr(f, k)) for k in keys)] for name, f in groups.items()
        ]

    lines += ["", "By channel"]
    lines += _table(
        ["Channel", *(LABELS[k] for k in CHANNEL_KEYS)], rows(metrics.by_channel, CHANNEL_KEYS)
    )
    lines += ["", "By agent"]
    if metrics.by_agent:
        lines += _table(
            ["Agent", *(LABELS[k] for k in AGENT_KEYS)], rows(metrics.by_agent, AGENT_KEYS)
        )
    else:
        lines.append("  nothing attributed to an agent in this period")
    return "\n".join(lines)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Columns padded to their widest cell; the first left-aligned, the figures right."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True)]
        return "  ".join(cells).rstrip()

    return [line(header), *(line(r) for r in rows)]


# -- the policy's friction ------------------------------------------------------------------


def _print_friction(report: Friction, args: argparse.Namespace) -> None:
    if args.json:
        echo(json.dumps(report.to_dict()), json=True)
    elif args.csv:
        _write_friction_csv(report)
    else:
        echo(_friction_text(report))


def _write_friction_csv(report: Friction) -> None:
    out = csv.writer(guard(sys.stdout), lineterminator="\n")
    out.writerow(["rule", "denied", "requested", "approved", "refused", "withdrawn", "waiting"])
    for r in report.rules:
        out.writerow([r.rule, r.denied, r.requested, r.approved, r.refused, r.withdrawn, r.waiting])


def _friction_text(report: Friction) -> str:
    from workspace.metrics import duration, timestamp
    from workspace.text import one_line

    period = report.period

    def shown(seconds: int | None) -> str:
        return "-" if seconds is None else duration(seconds)

    lines = [f"Policy friction {timestamp(period.since)} to {timestamp(period.until)} (UTC)", ""]
    lines.append("Denials and approval requests by rule")
    if report.rules:
        header = ["Rule", "Denied", "Asked approval", "Approved", "Refused", "Withdrawn", "Waiting"]
        rows = [
            [
                one_line(r.rule),
                *map(str, (r.denied, r.requested, r.approved, r.refused, r.withdrawn, r.waiting)),
            ]
            for r in report.rules
        ]
        lines += _table(header, rows)
    else:
        lines.append("  no action was denied or sent for approval")
    lines += [
        "",
        f"Approval turnaround ({report.decided} decided): "
        f"median {shown(report.turnaround_median_s)}, "
        f"90th percentile {shown(report.turnaround_p90_s)}",
        "",
        "Budget used (executed) by agent and kind",
    ]
    if report.spend:
        lines += _table(
            ["Agent", "Kind", "Actions", "Amount"],
            [[one_line(s.agent), s.kind, str(s.count), str(s.amount)] for s in report.spend],
        )
    else:
        lines.append("  nothing executed")
    return "\n".join(lines)
