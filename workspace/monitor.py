"""The supervisor's wallboard: what the floor looks like now, read without leaving a trace.

`Monitor` reads each panel in one short read-only transaction on a `Reader` (no engine in
the process can write); the functions below it turn what was read into the lines a panel
shows at a given moment, so a tick of the clock redraws durations without asking the
database again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Literal

from sqlalchemy.exc import OperationalError

from storage import (
    agent_queries,
    delivery_queries,
    follow_up_queries,
    monitor_queries,
    presence_queries,
)
from storage.engine import Database, Reader
from storage.money import to_money
from storage.uow import read_session
from workspace.action_view import ActionRecord
from workspace.errors import CareDeskError
from workspace.follow_up_view import OVERDUE_AFTER
from workspace.friction import Friction
from workspace.live import LiveFeed
from workspace.metrics import Period
from workspace.permissions import UseCase, check_login
from workspace.policy import Policy, resolve
from workspace.presence import BEAT
from workspace.queue import QueueRow, queue_row
from workspace.reading import Reading
from workspace.sla import AT_RISK, SlaLevel, format_duration, sla_state
from workspace.text import count, one_line, preview
from workspace.timefmt import utcnow
from workspace.vocabulary import ActionKind, Channel, ContactStatus, member

URGENT_SHOWN = 50
"""The most urgent contacts listed: the wallboard shows the top, the queue has the rest."""
APPROVALS_SHOWN = 50
"""Waiting requests listed, oldest first."""
PRESENT_WITHIN = timedelta(seconds=3 * BEAT)
"""A workspace that beat this recently is open: three beats may be missed before an agent
shows as silent."""

Tone = Literal["", "breached", "risk", "quiet", "over"]
"""How a line reads at a glance: breached or over budget, at risk, someone not here."""


@dataclass(frozen=True)
class Line:
    """One line of a panel, its cells decided here so the widget only draws them."""

    key: str
    """What the line is about: a contact id, `agent:<id>`, `action:<id>`, or a plain name."""
    cells: tuple[str, ...]
    """The text of each column, one line each (untrusted text already made safe)."""
    tone: Tone = ""
    """How it reads at a glance."""
    ticket_id: str | None = None
    """The contact that opens read-only on enter, if any."""
    customer_id: str | None = None
    """The customer that opens when there is no contact."""


# -- what is read -------------------------------------------------------------------------


@dataclass(frozen=True)
class Depth:
    """Contacts not closed in one channel, by where they stand."""

    channel: str
    """The channel, or `all` for the totals."""
    waiting: int
    """Open, and nobody holds them."""
    held: int
    """Open, and an agent holds them."""
    pending: int
    """Parked, waiting on the customer."""
    escalated: int
    """In the escalation queue (held or not)."""
    escalated_waiting: int
    """Of those, nobody holds them."""


@dataclass(frozen=True)
class Urgent:
    """The contacts most likely to breach, and how many are breached and at risk in all."""

    rows: tuple[QueueRow, ...]
    """Soonest due first, at most `URGENT_SHOWN`."""
    breached: int
    """Contacts being worked whose SLA is already breached."""
    at_risk: int
    """Contacts being worked within `AT_RISK` of breaching."""
    follow_ups_overdue: int = 0
    """Promises to customers overdue (`follow_ups.OVERDUE_AFTER` past due, not done)."""
    follow_up_due: datetime | None = None
    """When the oldest overdue one was due."""


@dataclass(frozen=True)
class AgentState:
    """One agent on the floor."""

    id: int
    """The agent's id."""
    name: str
    """Display name (untrusted text)."""
    role: str
    """Their role."""
    beat_at: datetime | None
    """Their open workspace's last heartbeat; None: none is open."""
    viewing: str | None
    """The contact their workspace has open."""
    held: int
    """How many contacts they hold."""
    held_id: str | None
    """The one they have held longest."""
    held_since: datetime | None
    """Since when they hold it."""
    handled: int
    """Holds they ended today (UTC): contacts released, resolved, parked or escalated."""
    handled_s: int
    """The time those holds lasted, in seconds."""


@dataclass(frozen=True)
class Spend:
    """Compensation of one kind given this month against the team's budget."""

    kind: str
    """The action kind."""
    today: Decimal
    """Given today (UTC)."""
    today_n: int
    """How many times today."""
    month: Decimal
    """Given this calendar month (UTC)."""
    month_n: int
    """How many times this month."""
    budget: Decimal | None
    """The team's money budget this month: its active agents' budgets summed; None: no
    agent has one."""
    budget_n: int | None
    """The team's budget in grants; None: no agent has one."""


def day_start(now: datetime) -> datetime:
    """Midnight UTC of `now`'s day: the day the figures count (specs/metrics.md)."""
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def month_start(now: datetime) -> datetime:
    """The first of `now`'s month, UTC: budgets run by calendar month."""
    return day_start(now).replace(day=1)


def team_budgets(
    policy: Policy, roles: dict[str, int]
) -> dict[str, tuple[Decimal | None, int | None]]:
    """Each action's monthly budget for the whole team: every active agent's budget (by
    their role's rule, before any tier's override) summed. None where nobody has one."""
    found: dict[str, tuple[Decimal | None, int | None]] = {}
    for kind in ActionKind:
        amount: Decimal | None = None
        grants: int | None = None
        for role, n in roles.items():
            resolved = resolve(policy, kind, "", role)
            budget = None if resolved is None else resolved.rule.budget
            if budget is None:
                continue
            if budget.amount is not None:
                amount = (amount or Decimal(0)) + budget.amount * n
            if budget.count is not None:
                grants = (grants or 0) + budget.count * n
        found[kind] = (None if amount is None else to_money(amount), grants)
    return found


@dataclass(frozen=True)
class Deliveries:
    """The outbox at a glance: what still goes to the systems that fulfil actions."""

    waiting: int
    """Messages queued or being retried."""
    failed: int
    """Messages failed for good (an agent can retry them)."""
    oldest: datetime | None
    """When the oldest waiting one was written."""


class Monitor:
    """The wallboard's reads, each in its own short read-only transaction; safe from worker
    threads. It holds a `Reader`: nothing it does can write, and it writes no presence."""

    def __init__(self, db: Reader, policy: Policy, clock: Callable[[], datetime] = utcnow) -> None:
        if isinstance(db, Database):
            raise CareDeskError("the monitor opens the database read-only, never for work")
        self.db = db
        self.policy = policy
        self.clock = clock
        self.reading = Reading(db, policy.currency, clock)
        """The customer context a drill-in shows, the requests that wait."""

    def feed(self) -> LiveFeed:
        """A new feed of the changes others commit (one per listening worker)."""
        return LiveFeed(self.db)

    def ping(self) -> None:
        """Raises when the database cannot be reached."""
        self.reading.ping()

    def depth(self) -> list[Depth]:
        """Queue depth by channel, every channel shown, then the totals."""
        with read_session(self.db) as s:
            rows = monitor_queries.depth(s)
        counts: dict[tuple[str, str], tuple[int, int]] = {
            (r.status, r.channel): (int(r.total), int(r.unheld)) for r in rows
        }
        channels = [*Channel, *sorted({c for _s, c in counts} - set(Channel))]
        out = []
        for channel in channels:
            total, unheld = counts.get((ContactStatus.OPEN, channel), (0, 0))
            esc, esc_unheld = counts.get((ContactStatus.ESCALATED, channel), (0, 0))
            pending, _ = counts.get((ContactStatus.PENDING, channel), (0, 0))
            out.append(Depth(channel, unheld, total - unheld, pending, esc, esc_unheld))
        out.append(
            Depth(
                "all",
                sum(d.waiting for d in out),
                sum(d.held for d in out),
                sum(d.pending for d in out),
                sum(d.escalated for d in out),
                sum(d.escalated_waiting for d in out),
            )
        )
        return out

    def urgent(self, limit: int = URGENT_SHOWN) -> Urgent:
        """The contacts breached or within `AT_RISK` of breaching, soonest due first."""
        now = self.clock()
        with read_session(self.db) as s:
            rows = monitor_queries.urgent(s, now + AT_RISK, limit)
            counted = monitor_queries.overdue(s, now, now + AT_RISK)
            promised, oldest = follow_up_queries.overdue(s, now - OVERDUE_AFTER)
        return Urgent(
            tuple(queue_row(r) for r in rows),
            int(counted.breached),
            int(counted.at_risk),
            promised,
            oldest,
        )

    def floor(self) -> list[AgentState]:
        """Every active agent, by name."""
        with read_session(self.db) as s:
            rows = monitor_queries.floor(s, day_start(self.clock()))
        return [
            AgentState(
                id=r.id,
                name=r.name,
                role=r.role,
                beat_at=r.beat_at,
                viewing=r.viewing,
                held=int(r.held),
                held_id=r.held_id,
                held_since=r.held_since,
                handled=int(r.handled),
                handled_s=round(float(r.handled_s or 0)),
            )
            for r in rows
        ]

    def approvals(self, limit: int = APPROVALS_SHOWN) -> tuple[list[ActionRecord], int]:
        """Requests waiting for a supervisor, oldest first, and how many in all."""
        return self.reading.waiting_requests(limit)

    def compensation(self) -> list[Spend]:
        """Compensation given (executed) today and this month, by kind, against budgets."""
        now = self.clock()
        with read_session(self.db) as s:
            given = {r.kind: r for r in monitor_queries.given(s, month_start(now), day_start(now))}
            roles = {r.role: int(r.n) for r in monitor_queries.roles(s)}
        budgets = team_budgets(self.policy, roles)
        out = []
        for kind in ActionKind:
            row = given.get(kind)
            amount, grants = budgets[kind]
            out.append(
                Spend(
                    kind=kind,
                    today=to_money(row.today) if row else to_money(0),
                    today_n=int(row.today_n) if row else 0,
                    month=to_money(row.month) if row else to_money(0),
                    month_n=int(row.month_n) if row else 0,
                    budget=amount,
                    budget_n=grants,
                )
            )
        return out

    def deliveries(self) -> Deliveries:
        """How many executed actions' messages wait, how many failed, the oldest waiting."""
        with read_session(self.db) as s:
            found = delivery_queries.counts(s)
            oldest = delivery_queries.waiting_since(s)
        waiting = sum(found.get(status, 0) for status in delivery_queries.WAITING)
        return Deliveries(waiting, found.get("failed", 0), oldest)

    def friction(self) -> FrictionView:
        """The policy's friction this month: denials and requests by rule, how long
        supervisors took to decide (the same as `caredesk report --policy`), and what each
        agent gave against their own budget."""
        from workspace.reporting import friction_report

        now = self.clock()
        found = friction_report(self.db, Period(month_start(now), now))
        with read_session(self.db) as s:
            team = {
                str(a.name): (str(a.display_name), str(a.role)) for a in agent_queries.all_agents(s)
            }
        spend = [
            AgentSpend(
                team.get(given.agent, (given.agent, ""))[0],
                given.kind,
                given.count,
                to_money(given.amount),
                *agent_budget(self.policy, given.kind, team.get(given.agent, ("", ""))[1]),
            )
            for given in found.spend
        ]
        spend.sort(key=lambda a: (-_share(a), a.agent, a.kind))
        return FrictionView(found, tuple(spend))

    def contact(self, ticket_id: str) -> QueueRow | None:
        """One contact, to open read-only."""
        return self.reading.contact(ticket_id)

    def viewers(self, ticket_ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Who has each of these contacts open (names, oldest first): every workspace, since
        the monitor has no session of its own."""
        found: dict[str, list[str]] = {}
        with read_session(self.db) as s:
            for row in presence_queries.viewers(s, ticket_ids):
                names = found.setdefault(row.ticket_id, [])
                if row.name not in names:
                    names.append(row.name)
        return {ticket: tuple(names) for ticket, names in found.items()}


def open_monitor(
    reader: Reader, *, clock: Callable[[], datetime] = utcnow, policy: Policy | None = None
) -> Monitor:
    """The monitor on `reader`, once its schema is known to be current (a viewer never
    migrates: `DatabaseUnavailable` says to upgrade first); the team's installed policy
    gives the budgets, else `policy`, else the one CareDesk ships. On PostgreSQL the login
    must be a supervisor's, the monitor's or an administrator's (`NotPermitted`)."""
    from workspace.boot import DatabaseUnavailable, open_viewer
    from workspace.policy_store import effective_policy

    open_viewer(reader, clock=clock, policy=policy)
    try:
        check_login(reader, UseCase.MONITOR)
        effective = effective_policy(reader, policy)
    except OperationalError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise DatabaseUnavailable(
            f"cannot read the database {reader.safe_url}: {reason}"
        ) from error
    return Monitor(reader, effective, clock)


# -- what each panel shows ------------------------------------------------------------------


def _since(start: datetime | None, now: datetime) -> str:
    if start is None:
        return "-"
    return format_duration(max(0, int((now - start).total_seconds())))


def depth_lines(depth: list[Depth]) -> list[Line]:
    """Channel, waiting, held, pending, escalated (of which nobody holds)."""
    return [
        Line(
            key=d.channel,
            cells=(
                d.channel,
                f"{d.waiting:,}",
                f"{d.held:,}",
                f"{d.pending:,}",
                f"{d.escalated:,}" + (f" ({d.escalated_waiting:,})" if d.escalated_waiting else ""),
            ),
        )
        for d in depth
    ]


def urgent_lines(urgent: Urgent, now: datetime) -> list[Line]:
    """SLA, channel, contact, customer, holder, subject: breached first, then at risk."""
    lines = []
    for row in urgent.rows:
        state = sla_state(row.sla_due_at, now)
        tone: Tone = "breached" if state.level is SlaLevel.BREACHED else "risk"
        status = member(ContactStatus, row.status)
        where = " esc" if status is ContactStatus.ESCALATED else ""
        lines.append(
            Line(
                key=row.id,
                cells=(
                    state.text,
                    row.channel + where,
                    one_line(row.id),
                    preview(row.customer_name, 60),
                    one_line(row.holder_name) if row.holder_name else "nobody",
                    preview(row.subject, 120),
                ),
                tone=tone,
                ticket_id=row.id,
                customer_id=row.customer_id,
            )
        )
    return lines


def agent_lines(agents: list[AgentState], now: datetime) -> list[Line]:
    """Agent, here or silent, holds (the longest and for how long), viewing, handled today
    and the time it took: agents not here are quiet."""
    lines = []
    for a in agents:
        present = a.beat_at is not None and now - a.beat_at <= PRESENT_WITHIN
        if a.beat_at is None:
            here = "away"
        elif present:
            here = "here"
        else:
            here = f"silent {_since(a.beat_at, now)}"
        holding = "-"
        if a.held_id is not None:
            more = f" +{a.held - 1}" if a.held > 1 else ""
            holding = f"{one_line(a.held_id)}{more} {_since(a.held_since, now)}"
        handled = f"{a.handled} · {format_duration(a.handled_s)}" if a.handled else "-"
        lines.append(
            Line(
                key=f"agent:{a.id}",
                cells=(
                    preview(a.name, 60),
                    here,
                    holding,
                    one_line(a.viewing) if present and a.viewing else "-",
                    handled,
                ),
                tone="" if present else "quiet",
                ticket_id=a.held_id or (a.viewing if present else None),
            )
        )
    return lines


def approval_lines(waiting: list[ActionRecord], now: datetime) -> list[Line]:
    """Waited, who asks, what, for whom: oldest first."""
    return [
        Line(
            key=f"action:{a.id}",
            cells=(
                _since(a.requested_at, now),
                preview(a.agent_name, 40),
                f"{ActionKind(a.kind).label if member(ActionKind, a.kind) else a.kind} "
                f"{a.amount} {a.currency}",
                preview(a.customer_name, 60),
            ),
            tone="risk" if now - a.requested_at > AT_RISK else "",
            ticket_id=a.ticket_id,
            customer_id=a.customer_id,
        )
        for a in waiting
    ]


def _used(given: Decimal, budget: Decimal | None) -> str:
    if budget is None:
        return "-"
    if budget == 0:
        return "-"
    return f"{given / budget * 100:.0f}%"


@dataclass(frozen=True)
class AgentSpend:
    """What one agent gave of one kind this month, against their own monthly budget."""

    agent: str
    """Their name as the team knows it."""
    kind: str
    count: int
    amount: Decimal
    budget: Decimal | None
    """Their role's money budget for the kind; None: the policy sets none."""
    budget_n: int | None
    """Their role's budget in grants; None: the policy sets none."""


@dataclass(frozen=True)
class FrictionView:
    """The friction panel's read: the policy's friction and the agents' budgets used."""

    friction: Friction
    spend: tuple[AgentSpend, ...]
    """The agents who gave something this month, the nearest their budget first."""


def agent_budget(policy: Policy, kind: str, role: str) -> tuple[Decimal | None, int | None]:
    """An agent's monthly budget for `kind`: their role's rule, before any tier's."""
    resolved = resolve(policy, kind, "", role) if role else None
    budget = None if resolved is None else resolved.rule.budget
    if budget is None:
        return None, None
    amount = None if budget.amount is None else to_money(budget.amount)
    return amount, budget.count


def _share(spend: AgentSpend) -> float:
    """How much of their budget an agent used (0 where none is set)."""
    shares = [0.0]
    if spend.budget:
        shares.append(float(spend.amount / spend.budget))
    if spend.budget_n:
        shares.append(spend.count / spend.budget_n)
    return max(shares)


def budget_lines(spend: Iterable[AgentSpend]) -> list[Line]:
    """Agent, kind, given this month (and how many), their budget, used: over it stands
    out."""
    lines = []
    for a in spend:
        budget = "-" if a.budget is None else f"{a.budget}"
        if a.budget_n is not None:
            budget += f" / {a.budget_n}"
        used = f"{_share(a) * 100:.0f}%" if (a.budget or a.budget_n) else "-"
        lines.append(
            Line(
                key=f"spend:{a.agent}:{a.kind}",
                cells=(
                    one_line(a.agent),
                    ActionKind(a.kind).label,
                    f"{a.amount} ({a.count})",
                    budget,
                    used,
                ),
                tone="over" if _share(a) > 1 else "",
            )
        )
    return lines


def friction_lines(found: Friction) -> list[Line]:
    """Rule, denied, asked a supervisor, approved, refused, waiting: the rules that stop
    agents most first (the limits operations may want to revise)."""
    rules = sorted(found.rules, key=lambda r: (-(r.denied + r.requested), r.rule))
    return [
        Line(
            key=f"rule:{r.rule}",
            cells=(
                one_line(r.rule),
                f"{r.denied:,}",
                f"{r.requested:,}",
                f"{r.approved:,}",
                f"{r.refused:,}",
                f"{r.waiting:,}",
            ),
            tone="over" if r.denied else "",
        )
        for r in rules
        if r.denied or r.requested
    ]


def friction_title(found: Friction) -> str:
    """What the panel's title adds: the month and the approvals' median turnaround."""
    median = found.turnaround_median_s
    decided = "" if median is None else f" · decided in {format_duration(median)} (median)"
    return f" · {found.period.since:%B %Y}{decided}"


def urgent_title(urgent: Urgent, now: datetime) -> str:
    """What the urgent panel's title adds: breached and at risk, and promises overdue."""
    title = f" · {urgent.breached:,} breached, {urgent.at_risk:,} at risk"
    if urgent.follow_ups_overdue:
        since = _since(urgent.follow_up_due, now) if urgent.follow_up_due else ""
        title += f" · {count(urgent.follow_ups_overdue, 'follow-up')} overdue"
        title += f", oldest {since}" if since else ""
    return title


def deliveries_title(sent: Deliveries, now: datetime) -> str:
    """What the compensation panel's title adds: whether what was given reached the
    systems that fulfil it."""
    if not sent.waiting and not sent.failed:
        return ""  # everything given reached its system: nothing to say
    parts = []
    if sent.waiting:
        oldest = f", oldest {_since(sent.oldest, now)}" if sent.oldest is not None else ""
        parts.append(f"{sent.waiting:,} to deliver{oldest}")
    if sent.failed:
        parts.append(f"{sent.failed:,} failed")
    return " · " + ", ".join(parts)


def spend_lines(spend: list[Spend]) -> list[Line]:
    """Kind, today, this month, the team's budget, used: over budget stands out."""
    lines = []
    for s in spend:
        over = s.budget is not None and s.month > s.budget
        label = ActionKind(s.kind).label
        budget = "-" if s.budget is None else f"{s.budget}"
        lines.append(
            Line(
                key=s.kind,
                cells=(
                    label,
                    f"{s.today} ({s.today_n})",
                    f"{s.month} ({s.month_n})",
                    budget,
                    _used(s.month, s.budget),
                ),
                tone="over" if over else "",
            )
        )
    return lines
