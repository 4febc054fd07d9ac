"""The report's use cases: read one period's facts in one read transaction, and compute its
figures (`workspace.metrics`) or the policy's friction (`workspace.friction`).

Read-only: each runs on a `Reader`, so `caredesk report` works on a read-only login.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from storage import metric_queries as q
from storage.engine import Reader
from storage.migrate import current_revision, head_revision, is_known
from workspace.errors import CareDeskError
from workspace.friction import Friction, RuleTally, Spend, Turnaround, friction
from workspace.metrics import (
    ClosedContact,
    Facts,
    FirstResponse,
    Hold,
    Metrics,
    Period,
    SurveyAnswer,
    Tally,
    metrics,
)
from workspace.reading import GIVING
from workspace.vocabulary import ActionStatus, ContactStatus, VerdictKind

ACTIVE = tuple(s.value for s in ContactStatus if s.active)
"""The statuses of contacts still to be worked (the backlog)."""

DAY = timedelta(days=1)


class BadPeriod(CareDeskError):
    """A `--since` or `--until` that is not a date or a time, or a period that ends before
    it starts."""


def require_schema(db: Reader) -> None:
    """Refuse a database without CareDesk's newest schema: a report only reads, so it cannot
    migrate one (`caredesk db upgrade` does)."""
    revision = current_revision(db.read)
    if revision is None:
        raise CareDeskError(f"{db.safe_url} has no CareDesk schema: nothing to report")
    if revision != head_revision() and is_known(revision):
        raise CareDeskError(
            f"{db.safe_url} is at schema {revision}, older than {head_revision()}: "
            "run `caredesk db upgrade` first"
        )


def parse_moment(text: str, option: str) -> datetime:
    """`2026-11-07` (its midnight, UTC) or `2026-11-07T09:30[:00][Z|+01:00]` (without a zone:
    UTC) as an aware UTC datetime; `option` names what is wrong in the message."""
    value = text.strip()
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), UTC)
        moment = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise BadPeriod(
            f"{option}: expected a date (2026-11-07) or a time (2026-11-07T09:30Z), got {text!r}"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def period_of(since: str | None, until: str | None, now: datetime) -> Period:
    """The period the options name: by default today (UTC); `until` alone, the day before
    it; `since` alone, up to the end of today."""
    end = (
        parse_moment(until, "--until")
        if until is not None
        else datetime.combine(now.astimezone(UTC).date(), time(), UTC) + DAY
    )
    start = parse_moment(since, "--since") if since is not None else end - DAY
    if end <= start:
        raise BadPeriod(
            f"--until ({end:%Y-%m-%dT%H:%M:%SZ}) must be after --since ({start:%Y-%m-%dT%H:%M:%SZ})"
        )
    return Period(start, end)


def report(db: Reader, period: Period, *, groups: bool = True) -> Metrics:
    """Every figure of specs/metrics.md for `period`, the team's and by channel and agent
    (without `groups`, the team's alone)."""
    return metrics(period, gather(db, period), groups=groups)


def gather(db: Reader, period: Period) -> Facts:
    """The facts of `period` every figure is computed from, read in one snapshot."""
    since, until = period.since, period.until
    with q.snapshot(db) as s:
        holds: dict[str, list[Hold]] = defaultdict(list)
        for h in q.holds_of_closed(s, since, until):
            holds[h.ticket_id].append(Hold(h.started_at, h.ended_at))
        closed = [
            ClosedContact(
                id=r.id,
                channel=r.channel,
                agent=r.agent,
                opened_at=r.opened_at,
                closed_at=r.closed_at,
                sla_due_at=r.sla_due_at,
                disposition=r.disposition,
                reopened=r.reopened,
                next_contact_at=r.next_contact_at,
                handle_seconds=r.handle_seconds,
                holds=tuple(holds.get(r.id, ())),
            )
            for r in q.closed_contacts(s, since, until)
        ]
        responses = [
            FirstResponse(r.channel, r.agent, r.opened_at, r.first_response_at)
            for r in q.first_responses(s, since, until)
        ]
        surveys = [
            SurveyAnswer(r.channel, r.agent, r.csat, r.ces, r.nps)
            for r in q.surveys(s, since, until)
        ]
        opened = [Tally(r.channel, None, r.tally) for r in q.opened_by_channel(s, since, until)]
        backlog = [Tally(r.channel, None, r.tally) for r in q.backlog_by_channel(s, until, ACTIVE)]
        given = [
            Tally(None, r.agent, r.tally, Decimal(r.amount))
            for r in q.given_by_agent(s, since, until, kinds=[str(k) for k in GIVING])
        ]
        waiting = [
            Tally(None, r.agent, r.tally)
            for r in q.waiting_by_agent(
                s, until, waiting=ActionStatus.REQUESTED, verdict=VerdictKind.NEEDS_APPROVAL
            )
        ]
    return Facts(closed, responses, surveys, opened, backlog, given, waiting)


_DECIDED = (ActionStatus.APPROVED, ActionStatus.EXECUTED, ActionStatus.DENIED)
"""Where a request a supervisor decided stands (a withdrawn one the agent took back)."""


def friction_report(db: Reader, period: Period) -> Friction:
    """The policy's friction in `period`: denials and requests by rule, approval turnaround,
    and executed amounts by agent and kind."""
    since, until = period.since, period.until
    with q.snapshot(db) as s:
        tallies = [
            RuleTally(r.rule, r.verdict, r.status, r.tally)
            for r in q.verdicts_by_rule(s, since, until, [str(x) for x in ActionStatus])
        ]
        decided = [
            Turnaround(r.requested_at, r.decided_at)
            for r in q.decided_requests(s, since, until, verdict=VerdictKind.NEEDS_APPROVAL)
            if r.status in _DECIDED
        ]
        spend = [
            Spend(r.agent, r.kind, r.tally, Decimal(r.amount))
            for r in q.executed_by_agent_kind(s, since, until)
        ]
    return friction(period, tallies, decided, spend)
