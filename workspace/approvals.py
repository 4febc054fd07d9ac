"""Approvals: supervisors decide the requests above agents' limits, agents withdraw their own,
and the news of each decision reaches the agent who asked.

The rules are checked here, and on PostgreSQL the database checks them again against the
login (storage/security.py): a refusal from either is a `NotAllowed` with one sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from storage import action_queries, agent_queries, changes
from storage.engine import Database
from storage.logins import refusal
from storage.uow import lock_for_audit, read_session, unit_of_work
from workspace.action_view import ActionRecord, Decision, action_record
from workspace.actions import execute, stored
from workspace.agents import AgentRecord
from workspace.audit_trail import AuditTrail
from workspace.errors import ActionInputError, AgentInactive, NotAllowed, UnknownAction
from workspace.permissions import UseCase, allowed, check
from workspace.vocabulary import ActionStatus, AuditEvent, ChangeKind, Entity


@dataclass(frozen=True)
class News:
    """What one look for decisions found."""

    decided: tuple[ActionRecord, ...]
    """This agent's requests decided since the last look, oldest first."""
    mark: datetime
    """Where the next look starts."""
    unmarked: bool
    """The agent was never told anything before (a first session): the mark is not stored."""


class Approvals:
    """One agent's side of approvals; every method is safe to call from a worker thread."""

    def __init__(self, db: Database, agent: AgentRecord, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.agent = agent
        self.clock = clock
        self.trail = AuditTrail(agent.name)

    @property
    def can_approve(self) -> bool:
        """Whether this agent decides other agents' requests."""
        return allowed(self.agent.role, UseCase.APPROVE)

    def approve(self, action_id: int, reason: str) -> Decision:
        """Approve another agent's request and execute it, once."""
        return self._decide(action_id, reason, approve=True)

    def deny(self, action_id: int, reason: str) -> Decision:
        """Deny another agent's request, once."""
        return self._decide(action_id, reason, approve=False)

    def _current(self, session: Session, action_id: int) -> ActionRecord:
        row = action_queries.get_action(session, action_id)
        if row is None:
            raise UnknownAction(f"there is no action #{action_id}")
        return action_record(row)

    @contextmanager
    def _deciding(self) -> Iterator[Session]:
        """A unit of work whose refusal by the database (PostgreSQL's grants and triggers
        hold the same rules against the login) is a NotAllowed saying why."""
        try:
            with unit_of_work(self.db) as s:
                yield s
        except DBAPIError as error:
            reason = refusal(error)
            if reason is None:
                raise
            raise NotAllowed(f"the database refused: {reason}") from None

    def _answer(
        self,
        session: Session,
        at: datetime,
        action_id: int,
        values: Mapping[str, object],
        event: AuditEvent,
        after: Mapping[str, object],
        ticket_id: str | None,
        **fence: int,
    ) -> bool:
        """Move a waiting request on, once, and audit it; False when it no longer waits (or
        the fence, `not_agent` or `only_agent`, refuses this agent). The change names the
        request's contact, so every workspace showing its customer reloads the timeline."""
        if not action_queries.move(
            session, action_id, from_status=ActionStatus.REQUESTED, values=values, **fence
        ):
            return False
        before = {"status": ActionStatus.REQUESTED.value}
        self.trail.record(
            session, at, event, Entity.ACTION, str(action_id), before=before, after=after
        )
        kind = ChangeKind.REQUEST if event is AuditEvent.ACTION_WITHDRAW else ChangeKind.DECISION
        changes.record(session, kind, at, ticket_id=ticket_id, agent_id=self.agent.id)
        return True

    def _decide(self, action_id: int, reason: str, *, approve: bool) -> Decision:
        check(self.agent.role, UseCase.APPROVE if approve else UseCase.DENY)
        why = reason.strip()
        if not why:
            raise ActionInputError("reason", "give a reason for the decision")
        now = self.clock()
        status = ActionStatus.APPROVED if approve else ActionStatus.DENIED
        with self._deciding() as s:
            lock_for_audit(s)
            me = agent_queries.agent_by_name(s, self.agent.name)
            if me is None or not me.active:  # deactivated while their workspace was open
                raise AgentInactive(f"{self.agent.name!r} no longer works here")
            current = self._current(s, action_id)
            if current.agent_id == self.agent.id:
                raise NotAllowed("nobody approves their own request")
            decided = {
                "status": status,
                "decided_at": now,
                "decided_by": self.agent.id,
                "decision_reason": why,
            }
            event = AuditEvent.ACTION_APPROVE if approve else AuditEvent.ACTION_DENY
            after = {"status": status.value, "reason": why}
            answered = self._answer(
                s, now, action_id, decided, event, after, current.ticket_id, not_agent=self.agent.id
            )
            if not answered:
                return Decision(current, changed=False)
            record = execute(s, self.trail, action_id, now) if approve else stored(s, action_id)
        return Decision(record, changed=True)

    def withdraw(self, action_id: int) -> Decision:
        """Withdraw one's own waiting request; a decided one stays as it is."""
        check(self.agent.role, UseCase.WITHDRAW)
        now = self.clock()
        with self._deciding() as s:
            lock_for_audit(s)
            current = self._current(s, action_id)
            if current.agent_id != self.agent.id:
                raise NotAllowed("only the agent who asked can withdraw a request")
            values = {
                "status": ActionStatus.WITHDRAWN,
                "decided_at": now,
                "decided_by": self.agent.id,
            }
            after = {"status": ActionStatus.WITHDRAWN.value}
            event = AuditEvent.ACTION_WITHDRAW
            answered = self._answer(
                s, now, action_id, values, event, after, current.ticket_id, only_agent=self.agent.id
            )
            if not answered:
                return Decision(current, changed=False)
            record = stored(s, action_id)
        return Decision(record, changed=True)

    # -- news: decisions on this agent's requests ----------------------------------------------

    def news(self, since: datetime | None) -> News:
        """Decisions on this agent's requests since `since` (None: since the agent was last
        told, even in an earlier session). Reads only: `told` records what was told."""
        unmarked = False
        with read_session(self.db) as s:
            if since is None:
                kept = agent_queries.news_seen_at(s, self.agent.id)
                unmarked = kept is None
                since = kept or self.clock()
            rows = action_queries.decided_for(s, self.agent.id, since)
        decided = tuple(action_record(r) for r in rows)
        latest = max((r.decided_at for r in decided if r.decided_at), default=since)
        return News(decided, max(since, latest), unmarked)

    def told(self, upto: datetime) -> None:
        """Remember that decisions up to `upto` were told, for the next session."""
        with unit_of_work(self.db) as s:
            agent_queries.saw_news(s, self.agent.id, upto)

    def decided_since(self, since: datetime) -> list[ActionRecord]:
        """This agent's requests that a supervisor decided at or after `since`, oldest first."""
        with read_session(self.db) as s:
            return [action_record(r) for r in action_queries.decided_for(s, self.agent.id, since)]
