"""The agent's desk: claiming contacts, writing on them, releasing, parking, escalating and
resolving them; and a parked contact's return to the queue when the customer writes again.

Each use case runs in one unit of work, fenced by the claim: a write on a contact the agent
no longer holds (released, resolved, taken over) changes nothing and says so. Each claim
starts a hold of the contact and each release, parking, escalation or resolution ends it
(`contact_hold`), in the same unit of work: handle time is the sum of a contact's holds.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage import changes, contact_writes, customer_queries
from storage.engine import Database
from storage.uow import read_session, unit_of_work
from workspace import follow_ups, team_config
from workspace.agents import AgentRecord
from workspace.audit_trail import AuditTrail
from workspace.errors import AgentInactive, CareDeskError, NotHeld
from workspace.permissions import UseCase, check
from workspace.queue import QueueFilter, QueueRow, queue_row
from workspace.sla import resumed_due
from workspace.team_config import TeamConfig
from workspace.timefmt import utcnow
from workspace.vocabulary import (
    AuditEvent,
    ChangeKind,
    Channel,
    ContactStatus,
    Disposition,
    Entity,
    FollowUpKind,
    HoldEnd,
    InteractionKind,
    Priority,
    member,
)

#: How the agent's hold ends with each disposition.
HOLD_ENDS = {
    Disposition.RESOLVED: HoldEnd.RESOLVE,
    Disposition.PENDING: HoldEnd.PARK,
    Disposition.ESCALATED: HoldEnd.ESCALATE,
}


@dataclass(frozen=True)
class ClaimOutcome:
    """The result of trying to claim a contact."""

    claimed: bool
    """True when this agent now holds it."""
    ticket_id: str
    """The contact."""
    holder_name: str | None
    """Who holds it (this agent on success, another on failure)."""
    reason: str
    """One plain sentence for the agent."""


class Desk:
    """One agent's work on contacts; every method is safe to call from a worker thread."""

    def __init__(
        self,
        db: Database,
        agent: AgentRecord,
        clock: Callable[[], datetime] = utcnow,
        *,
        config: TeamConfig | None = None,
    ) -> None:
        self.db = db
        self.agent = agent
        self.clock = clock
        self.trail = AuditTrail(agent.name)
        self.config = team_config.in_effect(db) if config is None else config
        """The team's configuration, read as the desk opens (the one installed, else
        CareDesk's own)."""

    @property
    def sees_escalation(self) -> bool:
        """Whether this agent's role works the escalation queue (supervisors always do)."""
        return self.config.works_escalations(self.agent.role)

    def claim(self, ticket_id: str) -> ClaimOutcome:
        """Take the contact if nobody holds it; atomic, so two agents never hold one."""
        check(self.agent.role, UseCase.CLAIM)
        now = self.clock()
        me = self.agent
        roles = self._escalation_roles
        with unit_of_work(self.db) as s:
            if contact_writes.claim(s, ticket_id, me.id, now, escalation_roles=roles):
                self._claimed(s, ticket_id, now)
                return ClaimOutcome(True, ticket_id, me.display_name, "claimed")
            found = contact_writes.holder(s, ticket_id)
        if found is None:
            return ClaimOutcome(False, ticket_id, None, f"contact {ticket_id} does not exist")
        if not found.active:
            return ClaimOutcome(False, ticket_id, None, self._not_workable(ticket_id, found.status))
        if found.holder_id == me.id:
            return ClaimOutcome(True, ticket_id, found.holder_name, "already yours")
        if found.holder_id is None:
            # Not held, yet not taken: escalated, and this agent's role does not work those.
            reason = f"contact {ticket_id} is escalated: a {self._escalation_names} claims it"
            return ClaimOutcome(False, ticket_id, None, reason)
        reason = f"{found.holder_name} already holds contact {ticket_id}"
        return ClaimOutcome(False, ticket_id, found.holder_name, reason)

    def claim_next(self, flt: QueueFilter) -> QueueRow | None:
        """Claim the most urgent contact in the view that nobody holds; None only when none
        waits. Whatever the view, "next" never hands out someone else's contact."""
        check(self.agent.role, UseCase.CLAIM)
        now = self.clock()
        me = self.agent
        scope = replace(flt, agent_id=None)
        row = contact_writes.claim_next(
            self.db,
            scope,
            me.id,
            now,
            announce=ChangeKind.CLAIM,
            audit=self.trail.draft(
                self.db,
                now,
                AuditEvent.CLAIM,
                Entity.TICKET,
                before={"holder": None},
                after={"holder": me.name},
            ),
            escalation_roles=self._escalation_roles,
        )
        if row is None:
            return None
        return queue_row(row)

    @property
    def _escalation_roles(self) -> list[str]:
        return sorted(self.config.escalation_roles)

    @property
    def _escalation_names(self) -> str:
        return " or ".join(self._escalation_roles)

    @staticmethod
    def _not_workable(ticket_id: str, status: str) -> str:
        if status == ContactStatus.PENDING:
            return f"contact {ticket_id} is parked until the customer answers"
        return f"contact {ticket_id} is already resolved"

    def _claimed(self, s: Session, ticket_id: str, now: datetime) -> None:
        """Record a claim this transaction made, for the live feed and the audit log; the
        audit append comes last, since it holds the chain's lock until the commit."""
        changes.record(s, ChangeKind.CLAIM, now, ticket_id=ticket_id, agent_id=self.agent.id)
        self._audit_claim(s, ticket_id, now)

    def _audit_claim(self, s: Session, ticket_id: str, now: datetime) -> None:
        self.trail.record(
            s,
            now,
            AuditEvent.CLAIM,
            Entity.TICKET,
            ticket_id,
            before={"holder": None},
            after={"holder": self.agent.name},
        )

    def release(self, ticket_id: str) -> None:
        """Hand the contact back to the queue."""
        now = self.clock()
        with unit_of_work(self.db) as s:
            if not contact_writes.release(
                s, ticket_id, self.agent.id, now, ended_by=HoldEnd.RELEASE
            ):
                raise NotHeld(f"you do not hold contact {ticket_id}")
            self.trail.record(
                s,
                now,
                AuditEvent.RELEASE,
                Entity.TICKET,
                ticket_id,
                before={"holder": self.agent.name},
                after={"holder": None},
            )
            changes.record(s, ChangeKind.RELEASE, now, ticket_id=ticket_id, agent_id=self.agent.id)

    def write(
        self, ticket_id: str, text: str, *, note: bool = False, key: str | None = None
    ) -> str:
        """Send a reply (or add an internal note) on a held contact; returns its ref.

        `key` is the draft's idempotency key: sending the same draft twice (a double key
        press, a retry after a timeout) stores it once.
        """
        check(self.agent.role, UseCase.REPLY)
        if not text.strip():
            raise CareDeskError("the message is empty")
        kind = InteractionKind.NOTE if note else InteractionKind.MESSAGE
        ref = f"I-{key or uuid.uuid4().hex}"
        now = self.clock()
        try:
            with unit_of_work(self.db) as s:
                if contact_writes.interaction_exists(s, ref):
                    return ref
                stored = contact_writes.add_interaction(
                    s,
                    ref=ref,
                    ticket_id=ticket_id,
                    agent_id=self.agent.id,
                    author=self.agent.display_name,
                    kind=kind,
                    direction=kind.direction,
                    text=text,
                    now=now,
                    responds=kind is InteractionKind.MESSAGE,
                )
                if not stored:
                    raise NotHeld(f"you no longer hold contact {ticket_id}; nothing was sent")
                event = AuditEvent.NOTE if note else AuditEvent.REPLY
                after = {"interaction": ref, "chars": len(text)}
                self.trail.record(s, now, event, Entity.TICKET, ticket_id, after=after)
                changes.record(
                    s, ChangeKind.REPLY, now, ticket_id=ticket_id, agent_id=self.agent.id
                )
        except IntegrityError:
            with read_session(self.db) as s:
                if contact_writes.interaction_exists(s, ref):
                    return ref  # the same draft, sent at the same moment by another press
            raise
        return ref

    def resolve(self, ticket_id: str, disposition: str) -> None:
        """End the agent's work on the contact with a disposition: resolved closes it;
        escalated hands it, unheld, to the escalation queue (resolving it there closes it);
        pending parks it, unheld and out of the queue, its SLA clock stopped until the
        customer writes again (`resume_parked`)."""
        outcome = member(Disposition, disposition)
        if outcome is None:
            raise CareDeskError(f"unknown disposition {disposition!r}")
        status = outcome.status
        now = self.clock()
        with unit_of_work(self.db) as s:
            ok = contact_writes.set_outcome(
                s,
                ticket_id=ticket_id,
                agent_id=self.agent.id,
                status=status,
                active=status.active,
                disposition=outcome,
                resolved_at=now if status.closed else None,
                parked_at=now if status.parked else None,
                release=not status.closed,
                now=now,
                ended_by=HOLD_ENDS[outcome],
            )
            if not ok:
                raise NotHeld(f"you no longer hold contact {ticket_id}; it was not resolved")
            after = {"status": status.value, "disposition": outcome.value}
            self.trail.record(s, now, AuditEvent.RESOLVE, Entity.TICKET, ticket_id, after=after)
            if outcome is Disposition.RESOLVED:  # what fell due on it was seen to
                follow_ups.finish(s, self.trail, ticket_id, now, self.agent.id)
            elif outcome is Disposition.PENDING:  # back to this agent if the customer is silent
                follow_ups.add(
                    s,
                    self.trail,
                    ticket_id=ticket_id,
                    kind=FollowUpKind.CHECK_BACK,
                    due_at=now + follow_ups.CHECK_BACK_AFTER,
                    note="",
                    owner_id=self.agent.id,
                    by=self.agent.id,
                    now=now,
                )
            changes.record(s, ChangeKind.RESOLVE, now, ticket_id=ticket_id, agent_id=self.agent.id)

    def open_contact(self, customer_id: str, channel: str, subject: str) -> QueueRow:
        """Open a new contact for a customer who reached the agent outside the queue (an
        inbound call, a walk-in e-mail), held by this agent at once: open, normal priority,
        due by the team's service levels, audited and announced in one unit of work."""
        how = member(Channel, channel)
        if how is None:
            known = ", ".join(Channel)
            raise CareDeskError(f"there is no channel called {channel!r}; expected {known}")
        about = subject.strip()
        if not about:
            raise CareDeskError("a new contact needs a subject")
        now = self.clock()
        priority = Priority.NORMAL
        due = self.config.service_levels.resolution_due(how, priority, now)
        ticket_id = f"T-{uuid.uuid4().hex[:12].upper()}"
        me = self.agent
        with unit_of_work(self.db) as s:
            if customer_queries.get_customer(s, customer_id) is None:
                raise CareDeskError(f"there is no customer {customer_id!r}; nothing was opened")
            row = contact_writes.open_contact(
                s,
                ticket_id=ticket_id,
                customer_id=customer_id,
                channel=how,
                subject=about,
                status=ContactStatus.OPEN,
                priority=priority,
                priority_rank=priority.rank,
                opened_at=now,
                sla_due_at=due,
                agent_id=me.id,
            )
            if row is None:
                raise AgentInactive(f"{me.name!r} no longer works here; nothing was opened")
            changes.record(s, ChangeKind.OPEN, now, ticket_id=ticket_id, agent_id=me.id)
            self.trail.record(
                s,
                now,
                AuditEvent.OPEN,
                Entity.TICKET,
                ticket_id,
                after={
                    "customer": customer_id,
                    "channel": how.value,
                    "status": ContactStatus.OPEN.value,
                    "holder": me.name,
                    "sla_due_at": due.isoformat(),
                },
            )
        return queue_row(row)


def resume_parked(
    session: Session, ticket_id: str, *, wrote_at: datetime, now: datetime, trail: AuditTrail
) -> bool:
    """The customer wrote at `wrote_at` on a contact parked waiting on them: put it back in
    the agents' queue (open, unheld) with its SLA due time moved later by the time it was
    parked until then, audited by `trail` at `now`. Runs in the caller's unit of work (an
    import, the inbound path), for a message it has just stored: one written before the
    contact was parked but arriving after still un-parks it, and moves nothing. False,
    changing nothing, when the contact is not parked."""
    found = contact_writes.parked(session, ticket_id, ContactStatus.PENDING)
    if found is None:
        return False
    due = resumed_due(found.sla_due_at, found.parked_at, wrote_at)
    if not contact_writes.unpark(
        session, ticket_id, version=found.version, status=ContactStatus.OPEN, sla_due_at=due
    ):
        return False
    trail.record(
        session,
        now,
        AuditEvent.UNPARK,
        Entity.TICKET,
        ticket_id,
        before={"status": ContactStatus.PENDING.value, "sla_due_at": found.sla_due_at.isoformat()},
        after={"status": ContactStatus.OPEN.value, "sla_due_at": due.isoformat()},
    )
    changes.record(session, ChangeKind.UNPARK, now, ticket_id=ticket_id)
    follow_ups.finish(session, trail, ticket_id, now, None, moot=True)  # no need to check back
    return True


def unpark(db: Database, ticket_id: str, *, wrote_at: datetime, by: str, now: datetime) -> bool:
    """`resume_parked` in a unit of work of its own, audited as `by`."""
    with unit_of_work(db) as s:
        return resume_parked(s, ticket_id, wrote_at=wrote_at, now=now, trail=AuditTrail(by))
