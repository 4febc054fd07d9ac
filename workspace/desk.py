"""The agent's use cases: what the workspace screens call, each in one unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage import action_queries, contact_writes, customer_queries, queue_queries
from storage.agent_queries import agent_by_name, first_agent
from storage.audit import append_audit
from storage.engine import Database
from storage.records import (
    AgentRecord,
    ClaimOutcome,
    QueueFilter,
    QueueKey,
    QueueRow,
    TimelineKey,
    TimelineRecord,
)
from storage.uow import read_session, unit_of_work
from workspace.actions import COMPENSATION_WINDOW, ActionDesk
from workspace.context import REPEAT_WINDOW, Compensation, CustomerContext, make_digest
from workspace.errors import CareDeskError, NotHeld, UnknownAgent
from workspace.outcomes import DISPOSITIONS
from workspace.policy import Policy
from workspace.policy_file import default_policy
from workspace.timefmt import utcnow
from workspace.timeline import merge_page

#: Timeline entries loaded per page.
TIMELINE_PAGE = 50


def resolve_agent(db: Database, name: str | None) -> AgentRecord:
    """The agent called `name`, or the first agent when no name is given."""
    with read_session(db) as session:
        agent = agent_by_name(session, name) if name else first_agent(session)
    if agent is None:
        if name:
            raise UnknownAgent(f"no agent called {name!r} in this database")
        raise UnknownAgent("this database has no agents yet: run `caredesk demo` or import some")
    return agent


class Desk:
    """One agent's view of one database; every method is safe to call from a worker thread."""

    def __init__(
        self,
        db: Database,
        agent: AgentRecord,
        clock: Callable[[], datetime] = utcnow,
        policy: Policy | None = None,
    ) -> None:
        self.db = db
        self.agent = agent
        self.clock = clock
        self.policy = policy if policy is not None else default_policy()
        self.actions = ActionDesk(db, agent, self.policy, clock)
        """Policy-bounded actions and approvals."""

    def _audit(
        self,
        session: Session,
        at: datetime,
        action: str,
        ticket_id: str,
        *,
        before: Mapping[str, object] | None = None,
        after: Mapping[str, object] | None = None,
    ) -> None:
        append_audit(
            session,
            at=at,
            actor=self.agent.name,
            action=action,
            entity="ticket",
            entity_id=ticket_id,
            before=before,
            after=after,
        )

    # -- the queue -------------------------------------------------------------------------

    def queue_count(self, flt: QueueFilter) -> int:
        """How many contacts the filter shows."""
        with read_session(self.db) as s:
            return queue_queries.count_queue(s, flt)

    def queue_page(
        self,
        flt: QueueFilter,
        *,
        after: QueueKey | None = None,
        before: QueueKey | None = None,
        offset: int | None = None,
        limit: int = 100,
    ) -> list[QueueRow]:
        """A page of the queue: after a key, before a key, or (to jump) at an offset."""
        with read_session(self.db) as s:
            if before is not None:
                return queue_queries.page_before(s, flt, before, limit)
            if offset is not None and after is None:
                return queue_queries.page_at(s, flt, offset, limit)
            return queue_queries.page_after(s, flt, after, limit)

    def queue_position(self, flt: QueueFilter, key: QueueKey) -> int:
        """Where a row stands in the filtered queue."""
        with read_session(self.db) as s:
            return queue_queries.position_of(s, flt, key)

    def contact(self, ticket_id: str) -> QueueRow | None:
        """One contact, fresh from the database."""
        with read_session(self.db) as s:
            return queue_queries.get_row(s, ticket_id)

    # -- claims and the conversation --------------------------------------------------------

    def claim(self, ticket_id: str) -> ClaimOutcome:
        """Take the contact if nobody holds it; atomic, so two agents never hold one."""
        now = self.clock()
        with unit_of_work(self.db) as s:
            outcome = contact_writes.claim(
                s, ticket_id, self.agent.id, now, self.agent.display_name
            )
            if outcome.claimed and outcome.reason == "claimed":
                holder = {"holder": self.agent.name}
                self._audit(s, now, "claim", ticket_id, before={"holder": None}, after=holder)
        return outcome

    def claim_next(self, flt: QueueFilter) -> QueueRow | None:
        """Claim the most urgent contact nobody holds; None when none is left in the view."""
        for _attempt in range(5):
            with read_session(self.db) as s:
                candidates = queue_queries.first_unheld(s, flt)
            if not candidates:
                return None
            for row in candidates:
                if self.claim(row.id).claimed:
                    return self.contact(row.id)
        return None

    def release(self, ticket_id: str) -> None:
        """Hand the contact back to the queue."""
        now = self.clock()
        with unit_of_work(self.db) as s:
            if not contact_writes.release(s, ticket_id, self.agent.id):
                raise NotHeld(f"you do not hold contact {ticket_id}")
            holder = {"holder": self.agent.name}
            self._audit(s, now, "release", ticket_id, before=holder, after={"holder": None})

    def write(
        self, ticket_id: str, text: str, *, note: bool = False, key: str | None = None
    ) -> str:
        """Send a reply (or add an internal note) on a held contact; returns its ref.

        `key` is the draft's idempotency key: sending the same draft twice (a double key
        press, a retry after a timeout) stores it once.
        """
        if not text.strip():
            raise CareDeskError("the message is empty")
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
                    kind="note" if note else "message",
                    text=text,
                    now=now,
                )
                if not stored:
                    raise NotHeld(f"you no longer hold contact {ticket_id}; nothing was sent")
                after = {"interaction": ref, "chars": len(text)}
                self._audit(s, now, "note" if note else "reply", ticket_id, after=after)
        except IntegrityError:
            with read_session(self.db) as s:
                if contact_writes.interaction_exists(s, ref):
                    return ref  # the same draft, sent at the same moment by another press
            raise
        return ref

    def resolve(self, ticket_id: str, disposition: str) -> None:
        """End the contact with a disposition (resolved, escalated, or pending on the customer)."""
        outcome = DISPOSITIONS.get(disposition)
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
                disposition=disposition,
                now=now,
            )
            if not ok:
                raise NotHeld(f"you no longer hold contact {ticket_id}; it was not resolved")
            after = {"status": status, "disposition": disposition}
            self._audit(s, now, "resolve", ticket_id, after=after)

    # -- the customer context ---------------------------------------------------------------

    def customer_context(self, customer_id: str, contact: QueueRow | None) -> CustomerContext:
        """The digest and first timeline page for a customer, read in one session."""
        now = self.clock()
        with read_session(self.db) as s:
            customer = customer_queries.get_customer(s, customer_id)
            if customer is None:
                raise CareDeskError(f"customer {customer_id} does not exist")
            orders = customer_queries.customer_orders(s, customer_id)
            tickets = customer_queries.customer_tickets(s, customer_id, limit=4)
            recent = customer_queries.interactions_since(s, customer_id, now - REPEAT_WINDOW)
            count = customer_queries.count_interactions(s, customer_id)
            recent_page = customer_queries.interactions_page(
                s, customer_id, None, TIMELINE_PAGE + 1
            )
            since = now - COMPENSATION_WINDOW
            actions = action_queries.customer_actions(s, customer_id, since, limit=20)
            given, given_count = action_queries.compensation(s, customer_id, since)
            waiting = action_queries.count_waiting_for(s, customer_id)
        page = merge_page(recent_page, orders, None, TIMELINE_PAGE + 1)
        digest = make_digest(
            customer,
            orders,
            [t for t in tickets if contact is None or t.id != contact.id],
            recent,
            count,
            contact.channel if contact else None,
            now,
            Compensation(
                given=given,
                given_count=given_count,
                currency=self.policy.currency,
                waiting=waiting,
                recent=tuple(actions[:5]),
            ),
        )
        return CustomerContext(
            ticket_id=contact.id if contact else None,
            digest=digest,
            timeline=tuple(page[:TIMELINE_PAGE]),
            has_more=len(page) > TIMELINE_PAGE,
        )

    def timeline_page(
        self, customer_id: str, before: TimelineKey, limit: int = TIMELINE_PAGE
    ) -> tuple[list[TimelineRecord], bool]:
        """The next older page of the timeline, and whether more remain."""
        with read_session(self.db) as s:
            older = customer_queries.interactions_page(s, customer_id, before, limit + 1)
            orders = customer_queries.customer_orders(s, customer_id)
        page = merge_page(older, orders, before, limit + 1)
        return page[:limit], len(page) > limit

    def search_history(self, customer_id: str, query: str) -> list[TimelineRecord]:
        """The customer's newest interactions matching every word of `query` (see text_index)."""
        with read_session(self.db) as s:
            return customer_queries.search_history(s, customer_id, query)
