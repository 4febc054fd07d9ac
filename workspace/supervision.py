"""A supervisor's hand on the queue: free a contact someone holds, or give it to someone.

Every move is one conditional write, fenced by the holder the supervisor saw: if the
contact changed hands meanwhile, nothing moves and the supervisor is told who has it now.
The holder's own writes are fenced by the claim, so a contact taken from them can no longer
be replied to or acted on from their workspace. The holder's hold of the contact ends with
the move (freed, or given to someone else), and the new holder's starts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from storage import agent_queries, changes, contact_writes, presence_queries
from storage.engine import Database
from storage.uow import unit_of_work
from workspace.agents import AgentRecord
from workspace.audit_trail import AuditTrail
from workspace.errors import CareDeskError, NotAllowed
from workspace.permissions import UseCase, check
from workspace.timefmt import utcnow
from workspace.vocabulary import AuditEvent, ChangeKind, Entity, HoldEnd


@dataclass(frozen=True)
class Moved:
    """A contact a supervisor moved."""

    ticket_id: str
    """The contact."""
    before: str | None
    """Who held it (display name), or None."""
    after: str | None
    """Who holds it now (display name), or None: back in the queue."""

    @property
    def sentence(self) -> str:
        """What happened, in one line."""
        if self.after is None:
            was = f" from {self.before}" if self.before else ""
            return f"Contact {self.ticket_id} is back in the queue{was}"
        return f"Contact {self.ticket_id} is now {self.after}'s"


class Supervision:
    """What a supervisor may do to other agents' holds."""

    def __init__(
        self, db: Database, agent: AgentRecord, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.db = db
        self.agent = agent
        self.clock = clock
        self.trail = AuditTrail(agent.name)

    def release(self, ticket_id: str, reason: str = "") -> Moved:
        """Free a contact whoever holds it."""
        return self._move(ticket_id, None, reason)

    def assign(self, ticket_id: str, to: str, reason: str = "") -> Moved:
        """Give a contact to the agent whose login name is `to`."""
        return self._move(ticket_id, to, reason)

    def _move(self, ticket_id: str, to: str | None, reason: str) -> Moved:
        check(self.agent.role, UseCase.REASSIGN)
        now = self.clock()
        with unit_of_work(self.db) as s:
            target = None
            if to is not None:
                target = agent_queries.agent_by_name(s, to)
                if target is None:
                    raise CareDeskError(f"no agent called {to!r} in this database")
                if not getattr(target, "active", True):
                    raise NotAllowed(f"{to} no longer works here")
            found = contact_writes.holder(s, ticket_id)
            if found is None:
                raise CareDeskError(f"contact {ticket_id} does not exist")
            if not found.active:
                raise NotAllowed(f"contact {ticket_id} is already resolved")
            before = found.holder_name
            to_id = None if target is None else target.id
            if found.holder_id == to_id:
                return Moved(ticket_id, before, before)
            how = HoldEnd.FREE if target is None else HoldEnd.ASSIGN
            if not presence_queries.take_over(
                s, ticket_id, found.holder_id, to_id, now, ended_by=how
            ):
                raise NotAllowed(f"contact {ticket_id} changed hands just now; look again")
            after: dict[str, object] = {"holder": None if target is None else target.name}
            if reason:
                after["reason"] = reason
            self.trail.record(
                s,
                now,
                AuditEvent.ASSIGN,
                Entity.TICKET,
                ticket_id,
                before={"holder": before},
                after=after,
            )
            changes.record(s, ChangeKind.ASSIGN, now, ticket_id=ticket_id, agent_id=self.agent.id)
        return Moved(ticket_id, before, None if target is None else target.display_name)
