"""Writes on contacts: claims, releases, replies and resolutions, each fenced by the claim,
and the return of a parked contact to the queue.

Every write that gives a contact to an agent or takes it away also starts or ends the hold
(`storage.hold_writes`) in the same transaction, so handle time counts every hold.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Row, bindparam, exists, func, insert, or_, select, true, update
from sqlmodel import Session, col

from storage import changes, hold_writes
from storage.audit import Draft, appended
from storage.engine import Database
from storage.models import Agent, Interaction, Ticket
from storage.queue_queries import Scope, get_row, next_unheld, rows_of
from storage.types import UTCDateTime
from storage.uow import one_statement, unit_of_work

ESCALATED = "escalated"
"""The status of a contact in the escalation queue (the workspace's `ContactStatus.ESCALATED`;
a test keeps them equal)."""

ESCALATION_ROLES = ("supervisor",)
"""Who claims escalated contacts unless the caller names more: supervisors always do (the
workspace's `Role.SUPERVISOR`)."""

#: The claimer still works here: someone who left cannot take contacts.
_ACTIVE_AGENT = exists().where(col(Agent.id) == bindparam("agent_id"), col(Agent.active) == true())

#: An escalated contact goes only to someone whose role works the escalation queue.
_MAY_CLAIM = or_(
    col(Ticket.status) != ESCALATED,
    exists().where(
        col(Agent.id) == bindparam("agent_id"),
        col(Agent.role).in_(bindparam("escalation_roles", expanding=True)),
    ),
)

#: The claim: one conditional UPDATE, built once (agents claim all day long).
_CLAIM = (
    update(Ticket.__table__)  # type: ignore[attr-defined]
    .where(
        col(Ticket.id) == bindparam("ticket_id"),
        col(Ticket.active) == true(),
        col(Ticket.assigned_agent_id).is_(None),
        _ACTIVE_AGENT,
        _MAY_CLAIM,
    )
    .values(
        assigned_agent_id=bindparam("agent_id"),
        claimed_at=bindparam("claimed_at", type_=UTCDateTime()),
        version=col(Ticket.version) + 1,
    )
)

#: The claim and its hold in one statement (PostgreSQL): one round trip, as before holds.
_CLAIM_HELD = hold_writes.claim_with_hold(_CLAIM)


def _held_by(ticket_id: str, agent_id: int) -> tuple[Any, ...]:
    """The fence of every write on a contact: it is active (open, or escalated and claimed
    by someone who works escalations) and this agent holds it."""
    return (
        col(Ticket.id) == ticket_id,
        col(Ticket.assigned_agent_id) == agent_id,
        col(Ticket.active) == true(),
    )


def claim(
    session: Session,
    ticket_id: str,
    agent_id: int,
    now: datetime,
    *,
    escalation_roles: Collection[str] = ESCALATION_ROLES,
) -> bool:
    """Give the contact to `agent_id` if it is active and nobody holds it (an escalated one
    only if their role is one of `escalation_roles`), and start their hold: one conditional
    UPDATE, atomic, so two agents never hold one. True when this claim took it.

    On PostgreSQL the hold is inserted by the same statement (a data-modifying CTE); on
    SQLite, whose transaction holds the only write lock, right after it.
    """
    params = {
        "ticket_id": ticket_id,
        "agent_id": agent_id,
        "claimed_at": now,
        "escalation_roles": list(escalation_roles),
    }
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        # Its row count comes back as -1 (the INSERT under a data-modifying CTE): the
        # hold's id says whether the claim took the contact.
        return conn.execute(_CLAIM_HELD, params).first() is not None
    if conn.execute(_CLAIM, params).rowcount != 1:
        return False
    hold_writes.start(session, ticket_id, agent_id, now)
    return True


def claim_next(
    db: Database,
    scope: Scope,
    agent_id: int,
    now: datetime,
    *,
    announce: str,
    audit: Draft,
    escalation_roles: Collection[str] = ESCALATION_ROLES,
) -> Row[Any] | None:
    """Give `agent_id` the most urgent contact in `scope` that nobody holds, announce it on
    the change feed as `announce` (`storage.changes.record`) and append `audit` for it to
    the audit log; its queue row as the claim left it (`queue_queries.get_row`'s columns),
    or None when none waits (or the agent no longer works here, or the scope is the
    escalation queue and their role is not one of `escalation_roles`).

    On PostgreSQL this is one statement, committed as it runs: an UPDATE whose target a
    subquery picks, locking the row it picks and skipping rows other claimers have locked
    (`FOR UPDATE SKIP LOCKED`), so twenty agents pressing "next" at once each get a
    different contact at the first try; the same statement reads the row back (the
    UPDATE's RETURNING joined to the customer and the holder), starts the hold, records
    the change, sends its NOTIFY and appends the audit entry last. Agents press "next" all
    day long, and the audit chain's lock, taken by that append, is held until the commit:
    one round trip, with no BEGIN or COMMIT of its own, holds it the least. On SQLite the
    transaction already holds the only write lock, so the first unheld row is free by
    construction; the hold, the change and the entry are written after.
    """
    key = _ScopeKey(scope.status, scope.channel)
    params = {
        "agent_id": agent_id,
        "claimed_at": now,
        "escalation_roles": list(escalation_roles),
        "kind": announce,
    }
    if not db.is_sqlite:
        with one_statement(db) as conn:
            return conn.execute(_claim_next_row(key), params | audit.params()).first()
    with unit_of_work(db) as session:
        # On the session's connection: these need none of the ORM's bookkeeping.
        conn = session.connection()
        taken = conn.execute(_claim_next_id(key), params).scalar_one_or_none()
        if taken is None:
            return None
        hold_writes.start(session, str(taken), agent_id, now)
        changes.record(session, announce, now, ticket_id=str(taken), agent_id=agent_id)
        row = get_row(session, str(taken))
        audit.append(session, str(taken))  # last: SQLite's write lock is held to the end
        return row


@dataclass(frozen=True)
class _ScopeKey:
    """The queue a "next" claims from (never one agent's own contacts)."""

    status: str | None
    channel: str | None
    agent_id: None = None


def _claim_next(scope: _ScopeKey, *, postgres: bool) -> Any:
    """The claim of the next contact in `scope`."""
    pick = next_unheld(scope)
    if postgres:
        pick = pick.with_for_update(skip_locked=True)
    return (
        update(Ticket.__table__)  # type: ignore[attr-defined]
        .where(
            col(Ticket.id) == pick.scalar_subquery(),
            col(Ticket.assigned_agent_id).is_(None),
            _ACTIVE_AGENT,
            _MAY_CLAIM,
        )
        .values(
            assigned_agent_id=bindparam("agent_id"),
            claimed_at=bindparam("claimed_at", type_=UTCDateTime()),
            version=col(Ticket.version) + 1,
        )
    )


# Built once per queue (agents press "next" all day long).


@cache
def _claim_next_id(scope: _ScopeKey) -> Any:
    return _claim_next(scope, postgres=False).returning(col(Ticket.id))


@cache
def _claim_next_row(scope: _ScopeKey) -> Any:
    columns = Ticket.__table__.c  # type: ignore[attr-defined]
    claimed = _claim_next(scope, postgres=True).returning(*columns).cte("claimed")
    recorded = changes.record_claimed(claimed, kind=bindparam("kind"))
    row = rows_of(claimed).add_cte(hold_writes.started_by(claimed), recorded)
    # NOTIFY and the audit entry only when a row was claimed: the functions run once per
    # row returned, the append last (it takes the chain's lock).
    return row.add_columns(
        changes.notify_call().label("notified"), appended(claimed.c.id).label("audited")
    )


def holder(session: Session, ticket_id: str) -> Row[Any] | None:
    """Who holds the contact (`holder_id`, `holder_name`), whether it is `active` (worked:
    open or escalated) and its `status`; None when there is no such contact."""
    row: Row[Any] | None = session.execute(
        select(
            col(Ticket.assigned_agent_id).label("holder_id"),
            col(Agent.display_name).label("holder_name"),
            col(Ticket.active).label("active"),
            col(Ticket.status).label("status"),
        )
        .outerjoin(Agent, col(Agent.id) == col(Ticket.assigned_agent_id))
        .where(col(Ticket.id) == ticket_id)
    ).first()
    return row


def release(
    session: Session, ticket_id: str, agent_id: int, now: datetime, *, ended_by: str
) -> bool:
    """Hand the contact back to the queue, ending the agent's hold at `now` as `ended_by`;
    False, changing nothing, when this agent did not hold it."""
    result = session.execute(
        update(Ticket)
        .where(*_held_by(ticket_id, agent_id))
        .values(assigned_agent_id=None, claimed_at=None, version=col(Ticket.version) + 1)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    hold_writes.end(session, ticket_id, now, ended_by)
    return True


def interaction_exists(session: Session, ref: str) -> bool:
    """Whether an interaction with this ref is stored (an idempotency check)."""
    stmt = select(col(Interaction.id)).where(col(Interaction.ref) == ref)
    return session.execute(stmt).first() is not None


def add_interaction(
    session: Session,
    *,
    ref: str,
    ticket_id: str,
    agent_id: int,
    author: str,
    kind: str,
    direction: str,
    text: str,
    now: datetime,
    responds: bool,
) -> bool:
    """Store a reply or note on a contact the agent holds; False if they do not hold it.

    `ref` is the idempotency key of the draft; the caller checks it was not stored already,
    and the unique index on `ref` refuses a second copy racing this one. An interaction that
    `responds` to the customer stamps the contact's first-response time, once.
    """
    values: dict[str, object] = {"version": col(Ticket.version) + 1}
    if responds:
        values["first_response_at"] = func.coalesce(col(Ticket.first_response_at), now)
    fenced = session.execute(update(Ticket).where(*_held_by(ticket_id, agent_id)).values(**values))
    if fenced.rowcount != 1:  # type: ignore[attr-defined]
        return False
    ticket = session.get(Ticket, ticket_id)
    assert ticket is not None
    session.add(
        Interaction(
            ref=ref,
            customer_id=ticket.customer_id,
            ticket_id=ticket_id,
            at=now,
            channel=ticket.channel,
            direction=direction,
            kind=kind,
            subject=None,
            text=text,
            author=author,
        )
    )
    session.flush()
    return True


def set_outcome(
    session: Session,
    *,
    ticket_id: str,
    agent_id: int,
    status: str,
    active: bool,
    disposition: str,
    resolved_at: datetime | None,
    parked_at: datetime | None,
    release: bool,
    now: datetime,
    ended_by: str,
) -> bool:
    """End the agent's work on a contact they hold: close, escalate or park it, and end
    their hold at `now` as `ended_by`; False, changing nothing, if not held.

    `active` says whether it is still worked in its new `status`; `resolved_at` stamps a
    contact that is over (it keeps its holder as who resolved it); `parked_at` stamps one
    that waits on the customer, its SLA clock stopped from then; `release` hands it back,
    unheld, to whichever queue its status puts it in.
    """
    values: dict[str, object] = {
        "status": status,
        "active": active,
        "disposition": disposition,
        "parked_at": parked_at,
        "version": col(Ticket.version) + 1,
    }
    if resolved_at is not None:
        values["resolved_at"] = resolved_at
    if release:
        values["assigned_agent_id"] = None
        values["claimed_at"] = None
    result = session.execute(update(Ticket).where(*_held_by(ticket_id, agent_id)).values(**values))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    hold_writes.end(session, ticket_id, now, ended_by)
    return True


def parked(session: Session, ticket_id: str, status: str) -> Row[Any] | None:
    """The contact's `sla_due_at`, `parked_at` and `version` if it is parked (in `status`),
    locked until the transaction ends (PostgreSQL); None when it is not parked."""
    row: Row[Any] | None = session.execute(
        select(
            col(Ticket.sla_due_at).label("sla_due_at"),
            col(Ticket.parked_at).label("parked_at"),
            col(Ticket.version).label("version"),
        )
        .where(col(Ticket.id) == ticket_id, col(Ticket.status) == status)
        .with_for_update()
    ).first()
    return row


def unpark(
    session: Session,
    ticket_id: str,
    *,
    version: int,
    status: str,
    sla_due_at: datetime,
) -> bool:
    """Put a parked contact, as it was at `version`, back among those worked, in `status`,
    due at `sla_due_at`; False when it changed since it was read."""
    result = session.execute(
        update(Ticket)
        .where(col(Ticket.id) == ticket_id, col(Ticket.version) == version)
        .values(
            status=status,
            active=True,
            sla_due_at=sla_due_at,
            parked_at=None,
            version=col(Ticket.version) + 1,
        )
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def open_contact(
    session: Session,
    *,
    ticket_id: str,
    customer_id: str,
    channel: str,
    subject: str,
    status: str,
    priority: str,
    priority_rank: int,
    opened_at: datetime,
    sla_due_at: datetime,
    agent_id: int,
) -> Row[Any] | None:
    """Insert a new contact for the customer, held by `agent_id` from the moment it opens
    (their hold starts then), and return its queue row (`queue_queries.get_row`'s
    columns); None, inserting nothing, when the agent no longer works here. The caller
    checks the customer exists (the foreign key refuses one that does not)."""
    if not session.execute(_ACTIVE_AGENT.select(), {"agent_id": agent_id}).scalar():
        return None
    session.execute(
        insert(Ticket.__table__),  # type: ignore[attr-defined]
        {
            "id": ticket_id,
            "customer_id": customer_id,
            "channel": channel,
            "subject": subject,
            "status": status,
            "active": True,
            "priority": priority,
            "priority_rank": priority_rank,
            "opened_at": opened_at,
            "sla_due_at": sla_due_at,
            "assigned_agent_id": agent_id,
            "claimed_at": opened_at,
            "reopened": 0,
            "version": 0,
        },
    )
    hold_writes.start(session, ticket_id, agent_id, opened_at)
    return get_row(session, ticket_id)
