"""Follow-ups: what an agent promised a customer (call back, check the tracking, confirm the
replacement arrived), with a due time and an owner, so no promise is forgotten.

A follow-up is scheduled until it falls due. Then a sweep (`bring_due`, run by every
workspace and by `caredesk deliver`) puts its contact back in its owner's queue, held by
them, with the service level of its channel from that moment (parked or closed, the contact
is opened again; held by someone else, it stays with them). With no owner (the team's, or
its owner was let go) the contact goes to the team's queue. It shows in the customer's
digest until it is done: resolving its contact does it.

A pending disposition comes with one: if the customer has not written within
`CHECK_BACK_AFTER`, the contact comes back to the agent who parked it; the customer writing
first makes it moot.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from storage import changes, follow_up_queries, presence_queries
from storage.engine import Database
from storage.uow import read_session, unit_of_work
from workspace.agents import AgentRecord
from workspace.audit_trail import AuditTrail
from workspace.due import FollowUpInputError, parse_due
from workspace.errors import CareDeskError
from workspace.follow_up_view import OVERDUE_AFTER, FollowUpRecord, follow_up_record
from workspace.team_config import TeamConfig
from workspace.timefmt import utcnow
from workspace.vocabulary import (
    AuditEvent,
    ChangeKind,
    ContactStatus,
    Entity,
    FollowUpKind,
    FollowUpStatus,
    HoldEnd,
    member,
)

CHECK_BACK_AFTER = timedelta(days=2)
"""How long a contact parked waiting on the customer waits before it comes back."""

SYSTEM = "caredesk"
"""Who the audit log names for what the sweep does."""

NOTE_LIMIT = 500


class FollowUps:
    """One agent's follow-ups: promising them, and reading the customer's."""

    def __init__(
        self, db: Database, agent: AgentRecord, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.db = db
        self.agent = agent
        self.clock = clock
        self.trail = AuditTrail(agent.name)

    def promise(
        self, ticket_id: str, kind: str, due: str, note: str = "", *, team: bool = False
    ) -> FollowUpRecord:
        """Promise the customer of `ticket_id` a follow-up of `kind`, due as the agent typed
        it (`parse_due`), owned by this agent (or by the team); audited and announced."""
        what = member(FollowUpKind, kind)
        if what is None:
            known = ", ".join(FollowUpKind)
            raise FollowUpInputError(
                f"there is no follow-up called {kind!r}; expected {known}", "kind"
            )
        now = self.clock()
        due_at = parse_due(due, now)
        words = note.strip()
        if len(words) > NOTE_LIMIT:
            raise FollowUpInputError(f"the note is longer than {NOTE_LIMIT} characters", "note")
        with unit_of_work(self.db) as s:
            found = follow_up_queries.contact(s, ticket_id)
            if found is None:
                raise CareDeskError(f"contact {ticket_id} does not exist; nothing was promised")
            record = add(
                s,
                self.trail,
                ticket_id=ticket_id,
                kind=what,
                due_at=due_at,
                note=words,
                owner_id=None if team else self.agent.id,
                by=self.agent.id,
                now=now,
            )
        return record

    def of_customer(self, customer_id: str) -> list[FollowUpRecord]:
        """The customer's follow-ups not done yet, soonest due first."""
        with read_session(self.db) as s:
            rows = follow_up_queries.of_customer(s, customer_id)
        return [follow_up_record(r) for r in rows]


def add(
    session: Session,
    trail: AuditTrail,
    *,
    ticket_id: str,
    kind: FollowUpKind,
    due_at: datetime,
    note: str,
    owner_id: int | None,
    by: int,
    now: datetime,
) -> FollowUpRecord:
    """Store a follow-up in the caller's unit of work (a promise, or a pending disposition),
    audited and announced."""
    customer = follow_up_queries.customer_of(session, ticket_id)
    new_id = follow_up_queries.add(
        session,
        {
            "ticket_id": ticket_id,
            "customer_id": customer,
            "owner_id": owner_id,
            "kind": kind.value,
            "note": note,
            "due_at": due_at,
            "status": FollowUpStatus.SCHEDULED.value,
            "created_at": now,
            "created_by": by,
        },
    )
    row = follow_up_queries.get(session, new_id)
    record = follow_up_record(row)
    trail.record(
        session,
        now,
        AuditEvent.FOLLOW_UP,
        Entity.FOLLOW_UP,
        str(new_id),
        after={
            "ticket": ticket_id,
            "kind": kind.value,
            "due_at": due_at.isoformat(),
            "owner": record.owner_name,
        },
    )
    changes.record(session, ChangeKind.FOLLOW_UP, now, ticket_id=ticket_id, agent_id=owner_id)
    return record


def finish(
    session: Session,
    trail: AuditTrail,
    ticket_id: str,
    now: datetime,
    by: int | None,
    *,
    moot: bool = False,
) -> int:
    """Mark done, in the caller's unit of work, the contact's follow-ups that fell due (its
    agent resolved it), or (`moot`) its check-backs still scheduled (the customer wrote)."""
    kinds = (FollowUpKind.CHECK_BACK.value,) if moot else ()
    ids = follow_up_queries.finish_for_contact(
        session, ticket_id, now, by, kinds=kinds, due=not moot
    )
    for follow_up_id in ids:
        after = {"status": FollowUpStatus.DONE.value, "ticket": ticket_id}
        if moot:
            after["reason"] = "the customer wrote"
        trail.record(
            session,
            now,
            AuditEvent.FOLLOW_UP_DONE,
            Entity.FOLLOW_UP,
            str(follow_up_id),
            after=after,
        )
    return len(ids)


def hand_back(session: Session, trail: AuditTrail, agent: str, agent_id: int, now: datetime) -> int:
    """Give a deactivated agent's open follow-ups to the team, in the caller's unit of work."""
    ids = follow_up_queries.hand_back(session, agent_id)
    for follow_up_id in ids:
        trail.record(
            session,
            now,
            AuditEvent.FOLLOW_UP_HAND_BACK,
            Entity.FOLLOW_UP,
            str(follow_up_id),
            before={"owner": agent},
            after={"owner": None},
        )
    if ids:
        changes.record(session, ChangeKind.FOLLOW_UP, now)
    return len(ids)


def bring_due(
    db: Database, config: TeamConfig, clock: Callable[[], datetime] = utcnow, limit: int = 50
) -> int:
    """Put each follow-up that fell due back in its owner's queue (or the team's): its
    contact opened again if parked or closed, held by the owner unless someone else holds
    it, due by its channel's first-response target from now. Safe to run from several
    workspaces at once (PostgreSQL skips rows another sweep holds; SQLite's writer lock
    serialises). Returns how many fell due."""
    now = clock()
    trail = AuditTrail(SYSTEM)
    with read_session(db) as s:  # a look through the index first: no writer lock for nothing
        if not follow_up_queries.any_due(s, now):
            return 0
    with unit_of_work(db) as s:
        due = follow_up_queries.take_due(s, now, limit)
        for row in due:
            _surface(s, trail, config, row, now)
    return len(due)


def _surface(
    session: Session, trail: AuditTrail, config: TeamConfig, row: Any, now: datetime
) -> None:
    ticket = follow_up_queries.contact(session, row.ticket_id)
    owner = row.owner_id
    if owner is not None and not follow_up_queries.agent_active(session, owner):
        owner = None  # let go before the sweep handed it back: the team's
    # A closed contact keeps who resolved it; nobody holds it.
    closed = ticket is not None and ContactStatus(ticket.status).closed
    held_by = None if ticket is None or closed else ticket.holder_id
    if ticket is not None and held_by is None:
        status = ContactStatus(ticket.status)
        if status is not ContactStatus.ESCALATED:
            sla = config.service_levels.first_response_due(ticket.channel, ticket.priority, now)
            if status is ContactStatus.OPEN:  # already waiting: it keeps the sooner time
                sla = min(sla, ticket.sla_due_at)
            follow_up_queries.reopen(
                session,
                row.ticket_id,
                version=ticket.version,
                status=ContactStatus.OPEN.value,
                sla_due_at=sla,
            )
        if owner is not None and presence_queries.take_over(
            session, row.ticket_id, None, owner, now, ended_by=HoldEnd.ASSIGN
        ):
            held_by = owner
    follow_up_queries.set_status(
        session,
        row.id,
        FollowUpStatus.DUE.value,
        only_from=(FollowUpStatus.SCHEDULED.value,),
        surfaced_at=now,
    )
    trail.record(
        session,
        now,
        AuditEvent.FOLLOW_UP_DUE,
        Entity.FOLLOW_UP,
        str(row.id),
        before={"status": FollowUpStatus.SCHEDULED.value},
        after={"status": FollowUpStatus.DUE.value, "ticket": row.ticket_id, "holder_id": held_by},
    )
    changes.record(session, ChangeKind.FOLLOW_UP, now, ticket_id=row.ticket_id, agent_id=held_by)


def overdue(db: Database, now: datetime) -> tuple[int, datetime | None]:
    """How many follow-ups are overdue, and the oldest one's due time (the monitor)."""
    with read_session(db) as s:
        return follow_up_queries.overdue(s, now - OVERDUE_AFTER)


class Sweep:
    """`bring_due` at most every `every` seconds, however often it is called: each
    workspace and each `caredesk deliver` runs one, so a follow-up falls due within
    `every` seconds of its time while anyone is working."""

    def __init__(
        self,
        db: Database,
        config: TeamConfig,
        clock: Callable[[], datetime] = utcnow,
        every: float = 15.0,
    ) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self.every = timedelta(seconds=every)
        self._last: datetime | None = None

    def __call__(self) -> int:
        """Bring what fell due, if the last sweep is `every` old; how many fell due."""
        now = self.clock()
        if self._last is not None and now - self._last < self.every:
            return 0
        self._last = now
        brought = 0
        while (n := bring_due(self.db, self.config, self.clock)) > 0:
            brought += n  # a backlog (nobody worked overnight) is brought in batches
        return brought
