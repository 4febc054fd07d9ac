"""The facts the report's figures are computed from (specs/metrics.md), for one period.

Each query reads one range of one indexed timestamp: the contacts closed in the period
(`ix_ticket_closed`), first replies (`ix_ticket_first_response`), surveys (`ix_survey_at`),
contacts opened (`ix_ticket_opened`), actions executed (`ix_action_executed`) and requests
decided (`ix_action_decided_at`), so a day's report reads that day's rows and never a whole
table. Counts and sums are aggregated here, where that is exact; values a median or a mean
needs come back one row per contact. The words (statuses, verdicts, kinds) are the
workspace's, passed in.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Row, String, func, literal, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col

from storage.engine import Reader
from storage.models import Action, Agent, ContactHold, Survey, Ticket
from storage.queue_queries import CLOSED, CLOSED_AT
from storage.types import UTCDateTime

_Next = aliased(Ticket)


def _at(value: datetime) -> Any:
    """A time bound as UTC whatever the session's time zone (see queue_queries)."""
    return literal(value, UTCDateTime())


def _within(column: Any, since: datetime, until: datetime) -> list[ColumnElement[bool]]:
    return [column >= _at(since), column < _at(until)]


#: Inlined, not bound: only a literal shows a planner the closed contacts' partial indexes
#: may serve the query (as `queue_queries.scope_where`).
_IS_CLOSED = col(Ticket.status) == literal(CLOSED, String(), literal_execute=True)


@contextmanager
def snapshot(db: Reader) -> Iterator[Session]:
    """One read transaction that sees one moment of the database for every query in it:
    REPEATABLE READ on PostgreSQL (READ COMMITTED takes a new snapshot per statement);
    SQLite's read transaction is one snapshot already. Nothing is committed."""
    engine = db.read
    if not db.is_sqlite:
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    with Session(engine) as session:
        try:
            yield session
        finally:
            session.rollback()


def closed_contacts(session: Session, since: datetime, until: datetime) -> Sequence[Row[Any]]:
    """The contacts closed in the period, with when their customer next opened a contact
    after the close: one probe of `ix_ticket_customer` each."""
    next_contact = (
        select(func.min(col(_Next.opened_at)))
        .where(col(_Next.customer_id) == col(Ticket.customer_id), col(_Next.opened_at) > CLOSED_AT)
        .correlate(Ticket)
        .scalar_subquery()
    )
    rows: Sequence[Row[Any]] = session.execute(
        select(
            col(Ticket.id).label("id"),
            col(Ticket.channel).label("channel"),
            col(Agent.name).label("agent"),
            col(Ticket.opened_at).label("opened_at"),
            CLOSED_AT.label("closed_at"),
            col(Ticket.sla_due_at).label("sla_due_at"),
            col(Ticket.disposition).label("disposition"),
            col(Ticket.reopened).label("reopened"),
            col(Ticket.handle_seconds).label("handle_seconds"),
            next_contact.label("next_contact_at"),
        )
        .select_from(Ticket)
        .outerjoin(Agent, col(Agent.id) == col(Ticket.assigned_agent_id))
        .where(_IS_CLOSED, *_within(CLOSED_AT, since, until))
    ).all()
    return rows


def holds_of_closed(session: Session, since: datetime, until: datetime) -> Sequence[Row[Any]]:
    """Every hold of the contacts closed in the period: each contact's through
    `ix_contact_hold_ticket`."""
    rows: Sequence[Row[Any]] = session.execute(
        select(
            col(ContactHold.ticket_id).label("ticket_id"),
            col(ContactHold.started_at).label("started_at"),
            col(ContactHold.ended_at).label("ended_at"),
        )
        .join(Ticket, col(Ticket.id) == col(ContactHold.ticket_id))
        .where(_IS_CLOSED, *_within(CLOSED_AT, since, until))
    ).all()
    return rows


def first_responses(session: Session, since: datetime, until: datetime) -> Sequence[Row[Any]]:
    """The contacts whose first reply to the customer falls in the period."""
    rows: Sequence[Row[Any]] = session.execute(
        select(
            col(Ticket.channel).label("channel"),
            col(Agent.name).label("agent"),
            col(Ticket.opened_at).label("opened_at"),
            col(Ticket.first_response_at).label("first_response_at"),
        )
        .select_from(Ticket)
        .outerjoin(Agent, col(Agent.id) == col(Ticket.assigned_agent_id))
        .where(*_within(col(Ticket.first_response_at), since, until))
    ).all()
    return rows


def surveys(session: Session, since: datetime, until: datetime) -> Sequence[Row[Any]]:
    """The surveys answered in the period, with their contact's channel and agent."""
    rows: Sequence[Row[Any]] = session.execute(
        select(
            col(Ticket.channel).label("channel"),
            col(Agent.name).label("agent"),
            col(Survey.csat).label("csat"),
            col(Survey.ces).label("ces"),
            col(Survey.nps).label("nps"),
        )
        .select_from(Survey)
        .join(Ticket, col(Ticket.id) == col(Survey.ticket_id))
        .outerjoin(Agent, col(Agent.id) == col(Ticket.assigned_agent_id))
        .where(*_within(col(Survey.at), since, until))
    ).all()
    return rows


def opened_by_channel(session: Session, since: datetime, until: datetime) -> Sequence[Row[Any]]:
    """How many contacts were opened in the period, by channel (from `ix_ticket_opened`
    alone)."""
    rows: Sequence[Row[Any]] = session.execute(
        select(col(Ticket.channel).label("channel"), func.count().label("tally"))
        .where(*_within(col(Ticket.opened_at), since, until))
        .group_by(col(Ticket.channel))
    ).all()
    return rows


def backlog_by_channel(
    session: Session, until: datetime, active: Sequence[str]
) -> Sequence[Row[Any]]:
    """How many contacts were still to be worked at `until`, by channel: those opened before
    it that are in an `active` status now, and those opened before it but closed only at or
    after it (read from the closed contacts' index: none when `until` is now or later).

    What each contact's status was at a past `until` is not stored: one parked then and
    closed since counts as active then, one parked since as not.
    """
    rows: list[Row[Any]] = []
    rows += session.execute(
        select(col(Ticket.channel).label("channel"), func.count().label("tally"))
        .where(col(Ticket.status).in_(list(active)), col(Ticket.opened_at) < _at(until))
        .group_by(col(Ticket.status), col(Ticket.channel))
    ).all()
    closed_at = CLOSED_AT
    rows += session.execute(
        select(col(Ticket.channel).label("channel"), func.count().label("tally"))
        .where(_IS_CLOSED, closed_at >= _at(until), col(Ticket.opened_at) < _at(until))
        .group_by(col(Ticket.channel))
    ).all()
    return rows


def given_by_agent(
    session: Session, since: datetime, until: datetime, *, kinds: Sequence[str]
) -> Sequence[Row[Any]]:
    """The actions of `kinds` executed in the period, by agent: how many and their amounts'
    sum. Only an execution sets `executed_at`, and nothing moves an action on from there:
    its status is not asked (an equality on it would draw SQLite to `ix_action_status`, every
    executed action ever)."""
    rows: Sequence[Row[Any]] = session.execute(
        select(
            col(Agent.name).label("agent"),
            func.count().label("tally"),
            func.sum(col(Action.amount)).label("amount"),
        )
        .select_from(Action)
        .join(Agent, col(Agent.id) == col(Action.agent_id))
        .where(
            *_within(col(Action.executed_at), since, until),
            col(Action.kind).in_(list(kinds)),
        )
        .group_by(col(Agent.name))
    ).all()
    return rows


def waiting_by_agent(
    session: Session, until: datetime, *, waiting: str, verdict: str
) -> Sequence[Row[Any]]:
    """The requests (actions whose verdict was `verdict`) waiting for a decision at `until`,
    by agent: those requested before it still `waiting` now, and those decided only at or
    after it."""
    rows: list[Row[Any]] = []
    for where in (
        (col(Action.status) == waiting,),
        (col(Action.decided_at) >= _at(until), col(Action.verdict) == verdict),
    ):
        rows += session.execute(
            select(col(Agent.name).label("agent"), func.count().label("tally"))
            .select_from(Action)
            .join(Agent, col(Agent.id) == col(Action.agent_id))
            .where(*where, col(Action.requested_at) < _at(until))
            .group_by(col(Agent.name))
        ).all()
    return rows


# -- the policy's friction -------------------------------------------------------------------


def verdicts_by_rule(
    session: Session, since: datetime, until: datetime, statuses: Sequence[str]
) -> Sequence[Row[Any]]:
    """The actions requested in the period, counted by the rule that decided them, their
    verdict and where they stand now (`statuses`: every status, so `ix_action_status`
    serves the range)."""
    rows: Sequence[Row[Any]] = session.execute(
        select(
            col(Action.rule).label("rule"),
            col(Action.verdict).label("verdict"),
            col(Action.status).label("status"),
            func.count().label("tally"),
        )
        .where(
            col(Action.status).in_(list(statuses)), *_within(col(Action.requested_at), since, until)
        )
        .group_by(col(Action.rule), col(Action.verdict), col(Action.status))
    ).all()
    return rows


def decided_requests(
    session: Session, since: datetime, until: datetime, *, verdict: str
) -> Sequence[Row[Any]]:
    """The requests (verdict `verdict`) decided in the period: when each was requested and
    decided, and where it stands (the workspace tells a supervisor's decision from a
    withdrawal; asking the status here would draw SQLite to `ix_action_status`)."""
    rows: Sequence[Row[Any]] = session.execute(
        select(
            col(Action.requested_at).label("requested_at"),
            col(Action.decided_at).label("decided_at"),
            col(Action.status).label("status"),
        ).where(*_within(col(Action.decided_at), since, until), col(Action.verdict) == verdict)
    ).all()
    return rows


def executed_by_agent_kind(
    session: Session, since: datetime, until: datetime
) -> Sequence[Row[Any]]:
    """The actions executed in the period, by agent and kind: how many and their sum (by
    `executed_at` alone, as `given_by_agent`)."""
    rows: Sequence[Row[Any]] = session.execute(
        select(
            col(Agent.name).label("agent"),
            col(Action.kind).label("kind"),
            func.count().label("tally"),
            func.sum(col(Action.amount)).label("amount"),
        )
        .select_from(Action)
        .join(Agent, col(Agent.id) == col(Action.agent_id))
        .where(*_within(col(Action.executed_at), since, until))
        .group_by(col(Agent.name), col(Action.kind))
    ).all()
    return rows
