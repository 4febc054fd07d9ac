"""The supervisor's wallboard: one read per panel, each served by indexes, none per agent.

Every statement here only reads. Counts come from the ticket indexes alone (the queue's
status and channel index, and the partial index of contacts nobody holds), the most urgent
contacts from one bounded range of the queue index per active status, and the floor from
one statement that joins each agent to their sessions, their holds and their day.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Float, Row, case, cast, extract, func, literal, select, true, union_all
from sqlmodel import Session, col

from storage.models import Action, Agent, ContactHold, DeskSession, Ticket
from storage.queue_queries import QUEUE_ORDER, rows_of
from storage.types import UTCDateTime

#: The statuses of contacts not yet closed (the workspace's open, pending and escalated).
NOT_CLOSED = ("open", "pending", "escalated")
#: The statuses of contacts being worked, whose SLA clock runs.
WORKED = ("open", "escalated")


def _at(value: datetime) -> Any:
    """A time bound as UTC whatever the session's time zone (see queue_queries)."""
    return literal(value, UTCDateTime())


def depth(session: Session) -> Sequence[Row[Any]]:
    """Contacts not closed by status and channel (`status`, `channel`, `total`, `unheld`).

    Two index-only counts in one statement: every contact through the queue's status and
    channel index, and those nobody holds through its partial twin (`ix_ticket_unheld_
    channel`), so nothing reads a ticket row however many wait.
    """
    every: Any = (
        select(
            col(Ticket.status).label("status"),
            col(Ticket.channel).label("channel"),
            func.count().label("total"),
            literal(0).label("unheld"),
        )
        .where(col(Ticket.status).in_(NOT_CLOSED))
        .group_by(col(Ticket.status), col(Ticket.channel))
    )
    unheld: Any = (
        select(
            col(Ticket.status).label("status"),
            col(Ticket.channel).label("channel"),
            literal(0).label("total"),
            func.count().label("unheld"),
        )
        .where(col(Ticket.status).in_(NOT_CLOSED), col(Ticket.assigned_agent_id).is_(None))
        .group_by(col(Ticket.status), col(Ticket.channel))
    )
    both = union_all(every, unheld).subquery("counts")
    stmt = (
        select(
            both.c.status,
            both.c.channel,
            func.sum(both.c.total).label("total"),
            func.sum(both.c.unheld).label("unheld"),
        )
        .group_by(both.c.status, both.c.channel)
        .order_by(both.c.status, both.c.channel)
    )
    return session.execute(stmt).all()


def urgent(session: Session, due_before: datetime, limit: int) -> Sequence[Row[Any]]:
    """The `limit` contacts being worked whose SLA falls due soonest, all due before
    `due_before`, as queue rows, most urgent first.

    Each active status is one range of the queue index, cut at `limit`; the merge sorts at
    most twice `limit` rows.
    """
    ranges = [
        select(Ticket)
        .where(col(Ticket.status) == status, col(Ticket.sla_due_at) < _at(due_before))
        .order_by(*QUEUE_ORDER)
        .limit(limit)
        .subquery(f"due_{status}")
        for status in WORKED
    ]
    merged = union_all(*(select(r) for r in ranges)).subquery("due")
    stmt = (
        rows_of(merged)
        .order_by(merged.c.sla_due_at, merged.c.priority_rank, merged.c.opened_at, merged.c.id)
        .limit(limit)
    )
    return session.execute(stmt).all()


def overdue(session: Session, now: datetime, at_risk_until: datetime) -> Row[Any]:
    """How many contacts being worked are breached (due before `now`) and at risk (due
    before `at_risk_until`, not yet breached) (`breached`, `at_risk`): index-only counts
    of the queue index's due range."""
    due = col(Ticket.sla_due_at)
    stmt = select(
        func.coalesce(func.sum(case((due < _at(now), 1), else_=0)), 0).label("breached"),
        func.coalesce(func.sum(case((due >= _at(now), 1), else_=0)), 0).label("at_risk"),
    ).where(col(Ticket.status).in_(WORKED), due < _at(at_risk_until))
    return session.execute(stmt).one()


def _seconds(session: Session, start: Any, end: Any) -> Any:
    """`end - start` in seconds, in each database's own arithmetic."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return extract("epoch", end - start)


def floor(session: Session, day_start: datetime) -> Sequence[Row[Any]]:
    """Every active agent, by name, with their open workspaces, what they hold and their
    day (`id`, `name`, `role`, `beat_at`, `viewing`, `held`, `held_id`, `held_since`,
    `handled`, `handled_s`).

    One statement, each part through its own index: the sessions (one row per open
    workspace), the holds running now (`ix_contact_hold_agent_running`: an agent's holds
    always agree with the contacts they hold; the longest held is named), and the holds
    ended since `day_start` (`ix_contact_hold_ended`).
    """
    sessions = (
        select(
            col(DeskSession.agent_id).label("agent_id"),
            func.max(col(DeskSession.beat_at)).label("beat_at"),
            func.max(col(DeskSession.viewing_ticket_id)).label("viewing"),
        )
        .group_by(col(DeskSession.agent_id))
        .subquery("sessions")
    )
    # What each agent holds now: their running holds, from the index of those alone, in
    # the agent's order and then the order they were taken in (the first is held longest).
    running = col(ContactHold.ended_at).is_(None)
    ranked = (
        select(
            col(ContactHold.agent_id).label("agent_id"),
            col(ContactHold.ticket_id).label("ticket_id"),
            col(ContactHold.started_at).label("held_since"),
            func.count().over(partition_by=col(ContactHold.agent_id)).label("held"),
            func.row_number()
            .over(
                partition_by=col(ContactHold.agent_id),
                order_by=(col(ContactHold.started_at), col(ContactHold.ticket_id)),
            )
            .label("n"),
        )
        .where(running)
        .subquery("ranked")
    )
    holding = select(ranked).where(ranked.c.n == 1).subquery("holding")
    ended = col(ContactHold.ended_at)
    # Grouped by an expression, not the column: otherwise SQLite walks the whole agent index
    # (every hold ever) to hand out the groups in order rather than sort today's in a b-tree.
    holder = col(ContactHold.agent_id) + 0
    day = (
        select(
            holder.label("agent_id"),
            func.count().label("handled"),
            func.sum(cast(_seconds(session, col(ContactHold.started_at), ended), Float)).label(
                "handled_s"
            ),
        )
        .where(ended >= _at(day_start))
        .group_by(holder)
        .subquery("day")
    )
    stmt = (
        select(
            col(Agent.id).label("id"),
            col(Agent.display_name).label("name"),
            col(Agent.role).label("role"),
            sessions.c.beat_at.label("beat_at"),
            sessions.c.viewing.label("viewing"),
            func.coalesce(holding.c.held, 0).label("held"),
            holding.c.ticket_id.label("held_id"),
            holding.c.held_since.label("held_since"),
            func.coalesce(day.c.handled, 0).label("handled"),
            func.coalesce(day.c.handled_s, 0).label("handled_s"),
        )
        .outerjoin(sessions, sessions.c.agent_id == col(Agent.id))
        .outerjoin(holding, holding.c.agent_id == col(Agent.id))
        .outerjoin(day, day.c.agent_id == col(Agent.id))
        .where(col(Agent.active) == true())
        .order_by(col(Agent.display_name), col(Agent.id))
    )
    return session.execute(stmt).all()


def given(session: Session, month_start: datetime, day_start: datetime) -> Sequence[Row[Any]]:
    """Money of the actions executed since `month_start`, by kind (`kind`, `month`,
    `month_n`, `today`, `today_n`), through the index on `executed_at`: what was given in a
    period is what was executed in it, as the report counts it (specs/metrics.md), however
    long ago it was asked for. Only an execution sets `executed_at`."""
    executed = col(Action.executed_at)
    today = executed >= _at(day_start)
    stmt = (
        select(
            col(Action.kind).label("kind"),
            func.sum(col(Action.amount)).label("month"),
            func.count().label("month_n"),
            func.coalesce(func.sum(case((today, col(Action.amount)), else_=0)), 0).label("today"),
            func.coalesce(func.sum(case((today, 1), else_=0)), 0).label("today_n"),
        )
        .where(executed >= _at(month_start))
        .group_by(col(Action.kind))
    )
    return session.execute(stmt).all()


def roles(session: Session) -> Sequence[Row[Any]]:
    """How many active agents each role has (`role`, `n`): a team's budget is the sum of
    its agents' budgets."""
    stmt: Any = (
        select(col(Agent.role).label("role"), func.count().label("n"))
        .where(col(Agent.active) == true())
        .group_by(col(Agent.role))
    )
    return session.execute(stmt).all()
