"""A scored replay as text for a terminal: every value from a scenario or answers file is
untrusted and shown literally, one line each (`workspace.text.one_line`)."""

from __future__ import annotations

from workspace.replay.model import Scenario
from workspace.replay.scoring import PASS_MARK, WEIGHTS, Report
from workspace.sla import format_duration
from workspace.text import one_line


def report_lines(report: Report, title: str) -> list[str]:
    """The report: who played what, the score, each finding with its weight, each action
    with its verdict and rule."""
    who = f" · {one_line(report.trainee)}" if report.trainee else ""
    verdict = "passed" if report.passed else "not passed"
    lines = [
        f"{one_line(report.scenario)} · {one_line(title)}{who}",
        f"score {report.score} / 100 · {verdict} (at least {PASS_MARK}, with no forbidden or "
        "denied action)",
    ]
    if report.findings:
        lines.append("findings:")
        width = max(len(f.kind) for f in report.findings)
        lines += [
            f"  {f.kind:<{width}}  -{WEIGHTS[f.kind]:<3} {one_line(f.detail)}"
            for f in report.findings
        ]
    else:
        lines.append("findings: none")
    if report.actions:
        lines.append("actions:")
        for a in report.actions:
            at = format_duration(int(a.at.total_seconds()))
            order = one_line(a.order) if a.order else "-"
            lines.append(
                f"  {at:>7}  {a.action:<13} {order:<10} {a.amount:>9.2f}  {a.verdict:<14} "
                f"{one_line(a.rule)}"
            )
    return lines


def expected_lines(scenario: Scenario) -> list[str]:
    """What the scenario expected, shown once the replay is over (never before)."""
    expect = scenario.expect
    lines = ["expected:"]
    for a in expect.actions:
        what = a.action.replace("_", " ")
        if a.order:
            what += f" on {one_line(a.order)}"
        if a.items:
            what += " of " + ", ".join(one_line(i) for i in a.items)
        if a.amount is not None:
            low, high = a.amount.min, a.amount.max
            what += f", {low if low is not None else ''}..{high if high is not None else ''}"
        lines.append(f"  {what}")
    for f in expect.forbidden:
        on = f" on {one_line(f.order)}" if f.order else ""
        lines.append(f"  not {f.action.replace('_', ' ')}{on}")
    if expect.review_history:
        opened = ", ".join(str(i) for i in expect.review_history)
        lines.append(f"  open history {opened}")
    if expect.reply_phrases_any:
        said = ", ".join(repr(one_line(p)) for p in expect.reply_phrases_any)
        lines.append(f"  say one of {said}")
    if expect.disposition:
        lines.append(f"  close it as {expect.disposition}")
    if expect.within is not None:
        lines.append(f"  within {format_duration(int(expect.within.total_seconds()))}")
    if len(lines) == 1:
        lines.append("  nothing in particular")
    return lines
