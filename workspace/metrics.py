"""The figures a care team is judged by (specs/metrics.md), as pure functions of stored facts.

Each figure is one function over plain facts of one period `[since, until)` in UTC, so the
monitor, `caredesk report` and a test agree to the last digit. A figure with no data is None
(`null` in JSON, `-` on screen), never 0. Arithmetic is exact (`Fraction`) until the one
rounding, half-even, that the spec names for each figure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import TypeVar

from workspace.vocabulary import Channel, Disposition

FCR_WINDOW = timedelta(days=7)
"""A customer who opens another contact within this long after a resolution was not helped
the first time."""

#: Survey answers counted as satisfied (CSAT), promoters and detractors (NPS).
SATISFIED = frozenset({4, 5})
PROMOTERS = frozenset({9, 10})
DETRACTORS = frozenset(range(7))


@dataclass(frozen=True)
class Period:
    """The time a report covers: from `since` (included) to `until` (excluded), in UTC."""

    since: datetime
    """The first moment counted."""
    until: datetime
    """The first moment no longer counted; backlog and waiting approvals are taken here."""

    def __post_init__(self) -> None:
        if self.until <= self.since:
            raise ValueError("a period ends after it starts")

    def holds(self, moment: datetime) -> bool:
        """Whether `moment` falls in the period."""
        return self.since <= moment < self.until


# -- the facts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Hold:
    """One stretch of time an agent held a contact."""

    started_at: datetime
    """The claim (or the open, or being given it)."""
    ended_at: datetime | None
    """The release or close; None if it still ran when read (it ends at the close)."""


@dataclass(frozen=True)
class ClosedContact:
    """A contact closed in the period, with what FCR, AHT and the service level need."""

    id: str
    channel: str
    agent: str | None
    """Who closed it (the name of the agent it was with), if anyone."""
    opened_at: datetime
    closed_at: datetime
    """When it was resolved (its opening time for an import that lacks one)."""
    sla_due_at: datetime
    disposition: str | None
    reopened: int
    """How many times it was reopened."""
    next_contact_at: datetime | None
    """When the customer next opened a contact after `closed_at`, if they did."""
    handle_seconds: int | None = None
    """Handle time its source system measured (imported contacts)."""
    holds: tuple[Hold, ...] = ()
    """Every hold of it here."""


@dataclass(frozen=True)
class FirstResponse:
    """A contact whose first reply to the customer falls in the period."""

    channel: str
    agent: str | None
    opened_at: datetime
    first_response_at: datetime


@dataclass(frozen=True)
class SurveyAnswer:
    """A survey answered in the period, with the contact it is about."""

    channel: str
    agent: str | None
    csat: int | None = None
    ces: int | None = None
    nps: int | None = None


@dataclass(frozen=True)
class Tally:
    """A count (or a sum) of one channel's and one agent's rows, from the database."""

    channel: str | None
    agent: str | None
    count: int = 0
    amount: Decimal = Decimal("0.00")
    """The sum of the amounts (compensation only)."""


# -- rounding and percentiles --------------------------------------------------------------


def one_decimal(value: Fraction) -> float:
    """Rounded half-even to one decimal (percentages and means)."""
    return float(round(value, 1))


def two_decimals(value: Fraction) -> float:
    """Rounded half-even to two decimals (`ces_mean`)."""
    return float(round(value, 2))


def whole_seconds(value: Fraction) -> int:
    """Rounded half-even to whole seconds (times)."""
    return round(value)


def seconds(delta: timedelta) -> Fraction:
    """A duration in seconds, exactly (microseconds included)."""
    return Fraction(delta.days * 86_400 + delta.seconds) + Fraction(delta.microseconds, 10**6)


_MICROSECOND = timedelta(microseconds=1)


def microseconds(delta: timedelta) -> int:
    """A duration in whole microseconds: exact, like `seconds`, and orders thousands of
    times as fast as fractions (a busy day has tens of thousands of first replies)."""
    return delta // _MICROSECOND


_V = TypeVar("_V", int, Fraction)


def nearest_rank(values: Sequence[_V], percent: int) -> _V | None:
    """The `percent`th percentile by nearest rank: the smallest value with at least `percent`
    percent of the values at or below it (the value at rank ceil(percent/100 x n) in order);
    None for no values."""
    if not values:
        return None
    rank = max(1, -(-percent * len(values) // 100))
    return sorted(values)[rank - 1]


def _share(hits: int, total: int) -> float | None:
    return None if total == 0 else one_decimal(Fraction(100 * hits, total))


# -- the figures ---------------------------------------------------------------------------


def csat_percent(answers: Iterable[int | None]) -> float | None:
    """Customer satisfaction: 100 x answers of 4 or 5 / `csat` answers; None without one."""
    given = [a for a in answers if a is not None]
    return _share(sum(a in SATISFIED for a in given), len(given))


def nps(answers: Iterable[int | None]) -> float | None:
    """Net promoter score: 100 x (answers 9-10 minus answers 0-6) / `nps` answers, -100 to
    100, to one decimal; None without one."""
    given = [a for a in answers if a is not None]
    if not given:
        return None
    net = sum(a in PROMOTERS for a in given) - sum(a in DETRACTORS for a in given)
    return one_decimal(Fraction(100 * net, len(given)))


def ces_mean(answers: Iterable[int | None]) -> float | None:
    """Customer effort score: the mean of `ces` answers (1-7), to two decimals; None
    without one."""
    given = [a for a in answers if a is not None]
    return None if not given else two_decimals(Fraction(sum(given), len(given)))


def first_contact_resolved(contact: ClosedContact) -> bool:
    """Whether a resolved contact was resolved the first time: never reopened, and its
    customer opened no other contact within `FCR_WINDOW` after it was resolved (a contact
    opened exactly 7 days after still counts against it)."""
    if contact.reopened:
        return False
    after = contact.next_contact_at
    return after is None or after - contact.closed_at > FCR_WINDOW


def fcr_percent(contacts: Iterable[ClosedContact]) -> float | None:
    """First contact resolution: of the contacts closed with disposition `resolved`, 100 x
    those resolved the first time (`first_contact_resolved`) / all of them; None without
    one."""
    resolved = [c for c in contacts if c.disposition == Disposition.RESOLVED]
    return _share(sum(first_contact_resolved(c) for c in resolved), len(resolved))


def response_seconds(response: FirstResponse) -> Fraction:
    """How long the customer waited for the first reply: `first_response_at - opened_at`."""
    return seconds(response.first_response_at - response.opened_at)


def _waits(responses: Iterable[FirstResponse]) -> list[int]:
    """Each response's wait (`response_seconds`) in microseconds, in order."""
    return sorted(microseconds(r.first_response_at - r.opened_at) for r in responses)


def _ranked(waits: Sequence[int], percent: int) -> int | None:
    """The `percent`th percentile of waits already in order, in whole seconds."""
    value = nearest_rank(waits, percent)
    return None if value is None else whole_seconds(Fraction(value, 10**6))


def frt_percentile(responses: Iterable[FirstResponse], percent: int) -> int | None:
    """First response time: the `percent`th percentile (nearest rank) of `response_seconds`,
    in whole seconds; None without a response."""
    return _ranked(_waits(responses), percent)


def frt_median_s(responses: Iterable[FirstResponse]) -> int | None:
    """First response time, median by nearest rank, in whole seconds."""
    return frt_percentile(responses, 50)


def frt_p90_s(responses: Iterable[FirstResponse]) -> int | None:
    """First response time, 90th percentile by nearest rank, in whole seconds."""
    return frt_percentile(responses, 90)


def handle_time(contact: ClosedContact) -> Fraction | None:
    """How long agents held a closed contact, in seconds: the sum of its holds (a hold still
    running when read ends at the close) plus the `handle_seconds` its source system
    measured; None when it has neither."""
    if not contact.holds and contact.handle_seconds is None:
        return None
    held = sum(
        (seconds((h.ended_at or contact.closed_at) - h.started_at) for h in contact.holds),
        Fraction(0),
    )
    return max(held, Fraction(0)) + (contact.handle_seconds or 0)


def aht_mean_s(contacts: Iterable[ClosedContact]) -> int | None:
    """Average handle time: the mean of `handle_time` over the closed contacts that have one,
    in whole seconds; None when none has."""
    times = [t for c in contacts if (t := handle_time(c)) is not None]
    return None if not times else whole_seconds(sum(times, Fraction(0)) / len(times))


def sla_attainment_percent(contacts: Iterable[ClosedContact]) -> float | None:
    """Service level: 100 x contacts closed at or before their `sla_due_at` / contacts
    closed; None when none closed."""
    closed = list(contacts)
    return _share(sum(c.closed_at <= c.sla_due_at for c in closed), len(closed))


def compensation_total(amounts: Iterable[Decimal]) -> str | None:
    """Compensation given: the sum of the executed actions' amounts, as a decimal string in
    the policy's currency (`"12.50"`); None when nothing was given."""
    given = list(amounts)
    return None if not given else str(sum(given, Decimal("0.00")))


# -- the report ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """Every figure of specs/metrics.md for one scope (the team, a channel or an agent)."""

    csat_percent: float | None = None
    nps: float | None = None
    ces_mean: float | None = None
    fcr_percent: float | None = None
    frt_median_s: int | None = None
    frt_p90_s: int | None = None
    aht_mean_s: int | None = None
    sla_attainment_percent: float | None = None
    contacts_opened: int | None = None
    """Contacts opened in the period (a count: 0 when none opened)."""
    contacts_closed: int | None = None
    """Contacts closed in the period (0 when none closed)."""
    backlog: int | None = None
    """Active contacts at `until` (0 when none)."""
    compensation_total: str | None = None
    approvals_waiting: int | None = None
    """Requests waiting for a supervisor at `until` (0 when none)."""


KEYS: tuple[str, ...] = tuple(f.name for f in fields(Figures))
"""The figures' keys, in the spec's order."""

CHANNEL_KEYS: tuple[str, ...] = tuple(
    k for k in KEYS if k not in ("compensation_total", "approvals_waiting")
)
"""What a channel has: everything about contacts (actions are for a customer, not a
channel)."""

AGENT_KEYS: tuple[str, ...] = tuple(k for k in KEYS if k not in ("contacts_opened", "backlog"))
"""What an agent has: everything about the contacts they closed, answered and were rated
for, and their actions (the customer opens a contact; the backlog is the team's)."""


@dataclass(frozen=True)
class Facts:
    """Everything read for one period: the facts every figure is computed from."""

    closed: Sequence[ClosedContact] = ()
    responses: Sequence[FirstResponse] = ()
    surveys: Sequence[SurveyAnswer] = ()
    opened: Sequence[Tally] = ()
    """Contacts opened in the period, by channel."""
    backlog: Sequence[Tally] = ()
    """Active contacts at `until`, by channel."""
    given: Sequence[Tally] = ()
    """Executed actions' amounts in the period, by agent."""
    waiting: Sequence[Tally] = ()
    """Requests waiting at `until`, by agent."""


@dataclass(frozen=True)
class Metrics:
    """The report of one period: the team's figures, and each channel's and agent's."""

    period: Period
    total: Figures
    by_channel: dict[str, Figures] = field(default_factory=dict)
    """Every channel (the known ones always, in their order), with `CHANNEL_KEYS`."""
    by_agent: dict[str, Figures] = field(default_factory=dict)
    """Every agent something in the period is attributed to, by name, with `AGENT_KEYS`."""

    def to_dict(self) -> dict[str, object]:
        """The spec's object: every key, plus since, until, by_channel and by_agent."""
        out: dict[str, object] = {k: getattr(self.total, k) for k in KEYS}
        out["since"] = timestamp(self.period.since)
        out["until"] = timestamp(self.period.until)
        out["by_channel"] = {
            name: {k: getattr(f, k) for k in CHANNEL_KEYS} for name, f in self.by_channel.items()
        }
        out["by_agent"] = {
            name: {k: getattr(f, k) for k in AGENT_KEYS} for name, f in self.by_agent.items()
        }
        return out


def timestamp(moment: datetime) -> str:
    """A UTC moment as the import format writes it: `2026-11-06T12:00:00Z`."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (
        f".{moment.microsecond:06d}Z" if moment.microsecond else "Z"
    )


def figures(facts: Facts) -> Figures:
    """Every figure of one scope's facts."""
    waits = _waits(facts.responses)  # ordered once for both percentiles
    return Figures(
        csat_percent=csat_percent(s.csat for s in facts.surveys),
        nps=nps(s.nps for s in facts.surveys),
        ces_mean=ces_mean(s.ces for s in facts.surveys),
        fcr_percent=fcr_percent(facts.closed),
        frt_median_s=_ranked(waits, 50),
        frt_p90_s=_ranked(waits, 90),
        aht_mean_s=aht_mean_s(facts.closed),
        sla_attainment_percent=sla_attainment_percent(facts.closed),
        contacts_opened=sum(t.count for t in facts.opened),
        contacts_closed=len(facts.closed),
        backlog=sum(t.count for t in facts.backlog),
        compensation_total=compensation_total(t.amount for t in facts.given if t.count),
        approvals_waiting=sum(t.count for t in facts.waiting),
    )


_Row = ClosedContact | FirstResponse | SurveyAnswer | Tally


def grouped(facts: Facts, part: Callable[[_Row], str | None]) -> dict[str, Facts]:
    """The facts split by `part` of each row (its channel, or its agent), in one pass; rows
    without one are in no group."""
    groups: dict[str, dict[str, list[_Row]]] = {}
    for name in ("closed", "responses", "surveys", "opened", "backlog", "given", "waiting"):
        for row in getattr(facts, name):
            key = part(row)
            if key is not None:
                groups.setdefault(key, {}).setdefault(name, []).append(row)
    # Each list holds rows of its own field's type: Facts(**...) cannot be checked by mypy.
    return {
        key: Facts(**{n: tuple(r) for n, r in rows.items()})  # type: ignore[arg-type]
        for key, rows in groups.items()
    }


def metrics(period: Period, facts: Facts, *, groups: bool = True) -> Metrics:
    """The report of `period`: the team's figures, then each channel's (every known channel,
    in order, then any other) and each agent's (by name); without `groups`, the team's
    alone (the monitor's trends)."""
    if not groups:
        return Metrics(period=period, total=figures(facts), by_channel={}, by_agent={})
    by_channel = grouped(facts, lambda r: r.channel)
    by_agent = grouped(facts, lambda r: r.agent)
    channels = list(dict.fromkeys([*map(str, Channel), *sorted(by_channel)]))
    return Metrics(
        period=period,
        total=figures(facts),
        by_channel={c: figures(by_channel.get(c, Facts())) for c in channels},
        by_agent={a: figures(by_agent[a]) for a in sorted(by_agent)},
    )


#: How each figure is named on screen, in the spec's order.
LABELS = {
    "csat_percent": "CSAT %",
    "nps": "NPS",
    "ces_mean": "CES",
    "fcr_percent": "FCR %",
    "frt_median_s": "FRT median",
    "frt_p90_s": "FRT p90",
    "aht_mean_s": "AHT",
    "sla_attainment_percent": "SLA %",
    "contacts_opened": "Opened",
    "contacts_closed": "Closed",
    "backlog": "Backlog",
    "compensation_total": "Compensation",
    "approvals_waiting": "Approvals waiting",
}


def shown(key: str, value: object) -> str:
    """A figure as the screen shows it: `-` for no data, times as minutes and seconds."""
    if value is None:
        return "-"
    if key.endswith("_s") and isinstance(value, int):
        return duration(value)
    return str(value)


def duration(total: int) -> str:
    """Whole seconds as people read them: `42s`, `4m 05s`, `2h 03m`."""
    minutes, secs = divmod(total, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"
