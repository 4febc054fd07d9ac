"""The figures' targets, and the table that shows them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Target:
    """One figure and what it should be."""

    key: str
    """The figure's key in the JSON."""
    op: str | None
    """`<=` (at most), `<` (under) or `>=` (at least); None: reported without a target."""
    limit: float | None
    """The bound."""
    unit: str
    """How the value is shown: `s`, `ms`, `MiB`, `/s` or `%` (of one core)."""

    @property
    def text(self) -> str:
        """The target as shown, e.g. `<= 50 ms`."""
        if self.op is None or self.limit is None:
            return "-"
        if self.unit in ("s", "ms", "%"):
            return f"{self.op} {self.limit:g} {self.unit}"
        return f"{self.op} {_number(self.limit, self.unit)}"

    def met(self, value: float | None) -> bool | None:
        """Whether `value` meets the target; None when there is no value or no target."""
        if value is None or self.op is None or self.limit is None:
            return None
        if self.op == "<":
            return value < self.limit
        return value <= self.limit if self.op == "<=" else value >= self.limit


TARGETS: tuple[Target, ...] = (
    Target("startup_s", "<=", 1.0, "s"),
    Target("queue_move_p50_ms", None, None, "ms"),
    Target("queue_move_p95_ms", "<=", 50, "ms"),
    Target("open_customer_10k_ms", "<=", 100, "ms"),
    Target("history_search_ms", "<=", 100, "ms"),
    Target("history_search_all_ms", "<=", 100, "ms"),
    Target("lookup_ms", "<=", 50, "ms"),
    Target("monitor_first_screen_s", "<=", 1.5, "s"),
    Target("monitor_refresh_p95_ms", "<=", 100, "ms"),
    Target("monitor_rss_mb", "<=", 200, "MiB"),
    Target("report_day_ms", "<=", 500, "ms"),
    Target("report_30_days_s", "<=", 2.0, "s"),
    Target("rss_mb", "<=", 300, "MiB"),
    Target("policy_decision_p95_ms", "<=", 5, "ms"),
    Target("import_records_per_s", ">=", 20_000, "/s"),
    Target("demo_build_records_per_s", ">=", 50_000, "/s"),
    Target("claims_per_s", ">=", 500, "/s"),
    Target("claims_next_per_s", ">=", 500, "/s"),
    Target("live_update_p95_ms", "<=", 500, "ms"),
    Target("delivery_per_s", ">=", 500, "/s"),
    Target("delivery_latency_p95_ms", "<=", 250, "ms"),
    Target("audit_verify_rows_per_s", ">=", 50_000, "/s"),
    Target("heartbeat_core_percent", "<", 5, "%"),
    Target("replay_start_s", "<=", 1.0, "s"),
    Target("scenario_check_per_file_ms", "<=", 300, "ms"),
)
"""Every figure, in the order the table shows them."""

FIGURES = tuple(t.key for t in TARGETS)
"""The figures' keys."""


def _number(value: float, unit: str) -> str:
    if unit == "/s":
        return f"{value:,.0f}/s"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "MiB":
        return f"{value:.0f} MiB"
    if unit == "%":
        return f"{value:.2f} %"
    return f"{value:.1f} ms" if value < 1000 else f"{value:,.0f} ms"


def judged(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each figure's target and whether the results meet it, for the JSON."""
    return {
        t.key: {"target": t.text if t.op else None, "met": t.met(results.get(t.key))}
        for t in TARGETS
    }


#: What must not happen while the figures are taken, by measurement: each should be 0.
CHECKS: dict[str, tuple[str, ...]] = {
    "claims": ("errors",),
    "claims_next": ("held_twice", "lost", "false_empty", "errors", "outside"),
    "live_updates": ("missed", "errors"),
    "delivery": ("duplicates", "missing", "undelivered", "bad_signatures", "errors"),
    "delivery_latency": ("duplicates", "missing", "undelivered", "bad_signatures", "errors"),
    "lookup": ("empty",),
    "tamper": ("not_caught",),
}


def checks(details: dict[str, Any]) -> dict[str, dict[str, int]]:
    """The counts that should be 0 (contacts held twice, lost, false "queue empty"
    answers, errors reaching a process, changes a feed missed, lookups of a customer's own
    name or address that found nothing), by measurement."""
    return {
        name: {key: int(details[name][key]) for key in keys}
        for name, keys in CHECKS.items()
        if details.get(name) is not None
    }


def problems(results: dict[str, Any]) -> list[str]:
    """One line for every check that is not 0."""
    return [
        f"{name}: {key} = {count} (should be 0)"
        for name, counts in results.get("checks", {}).items()
        for key, count in counts.items()
        if count
    ]


def table(results: dict[str, Any], compare: dict[str, Any] | None = None) -> str:
    """The figures as a plain-text table: figure, value, target, met? (and the demo's value
    beside them, when `compare` holds the demo set's results)."""
    header = ["figure", "value", "target", "met?"]
    if compare is not None:
        header.append(f"{compare.get('size', 'demo')} set")
    rows = [header]
    for t in TARGETS:
        value = results.get(t.key)
        met = t.met(value)
        shown = _number(value, t.unit) if value is not None else "n/a"
        row = [t.key, shown, t.text, "-" if met is None else ("yes" if met else "NO")]
        if compare is not None:
            other = compare.get(t.key)
            row.append(_number(other, t.unit) if other is not None else "n/a")
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        cells = [
            cell.ljust(w) if i in (0, 3) else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
