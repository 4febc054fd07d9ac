"""Reading: the queue, a customer's context and history, their actions, and the requests that
wait. Needs no agent and writes nothing, so a read-only viewer runs on it as the desk does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from storage import action_queries, customer_queries, follow_up_queries, queue_queries
from storage.engine import Reader
from storage.uow import ping, read_session
from workspace.action_entries import action_entry, decision_entry
from workspace.action_view import COMPENSATION_WINDOW, ActionRecord, action_record
from workspace.context import REPEAT_WINDOW, Compensation, CustomerContext, make_digest
from workspace.customers import OrderRecord, customer_record, order_record, ticket_record
from workspace.errors import CareDeskError
from workspace.follow_up_view import follow_up_record
from workspace.queue import CLOSED_SHOWN, QueueFilter, QueueKey, QueueRow, queue_row
from workspace.timefmt import utcnow
from workspace.timeline import (
    ACTION,
    DECISION,
    TimelineKey,
    TimelineRecord,
    interaction_record,
    merge_page,
)
from workspace.vocabulary import ActionKind, ActionStatus

TIMELINE_PAGE = 50
"""Timeline entries loaded per page."""

GIVING = tuple(k for k in ActionKind if k.gives)
"""The actions counted as compensation given."""


def _timeline_page(
    s: Session,
    customer_id: str,
    orders: list[OrderRecord],
    before: TimelineKey | None,
    limit: int,
) -> list[TimelineRecord]:
    """The newest `limit` timeline entries older than `before`: each stored source's next
    `limit`, read by its own keyset, merged with the orders' events."""
    interactions = customer_queries.interactions_page(s, customer_id, before, limit)
    taken = action_queries.taken_page(s, customer_id, before, limit, source=ACTION)
    decided = action_queries.decided_page(s, customer_id, before, limit, source=DECISION)
    paged = [interaction_record(r) for r in interactions]
    paged += [action_entry(action_record(r)) for r in taken]
    paged += [e for r in decided if (e := decision_entry(action_record(r))) is not None]
    return merge_page(paged, orders, before, limit)


class Reading:
    """Every read a pane makes, each in its own short transaction; safe from worker threads."""

    def __init__(self, db: Reader, currency: str, clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.currency = currency
        """The policy's currency, for the compensation the digest shows."""
        self.clock = clock

    def ping(self) -> None:
        """Ask the database one trivial question: raises if it cannot be reached."""
        ping(self.db)

    # -- the queue -------------------------------------------------------------------------

    def queue_count(self, flt: QueueFilter) -> int:
        """How many contacts the filter shows: in a view of closed contacts, at most
        `CLOSED_SHOWN` (the newest)."""
        at_most = CLOSED_SHOWN if flt.closed else None
        with read_session(self.db) as s:
            return queue_queries.count_queue(s, flt, at_most)

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
                rows = queue_queries.page_before(s, flt, before, limit)
            elif offset is not None and after is None:
                rows = queue_queries.page_at(s, flt, offset, limit)
            else:
                rows = queue_queries.page_after(s, flt, after, limit)
        return [queue_row(r) for r in rows]

    def queue_position(self, flt: QueueFilter, key: QueueKey) -> int:
        """Where a row stands in the filtered queue."""
        with read_session(self.db) as s:
            return queue_queries.position_of(s, flt, key)

    def contact(self, ticket_id: str) -> QueueRow | None:
        """One contact, fresh from the database."""
        with read_session(self.db) as s:
            row = queue_queries.get_row(s, ticket_id)
        return queue_row(row) if row is not None else None

    # -- the customer context ---------------------------------------------------------------

    def customer_context(self, customer_id: str, contact: QueueRow | None) -> CustomerContext:
        """The digest and first timeline page for a customer, read in one session."""
        now = self.clock()
        since = now - COMPENSATION_WINDOW
        with read_session(self.db) as s:
            found = customer_queries.get_customer(s, customer_id)
            if found is None:
                raise CareDeskError(f"customer {customer_id} does not exist")
            orders = [order_record(*o) for o in customer_queries.customer_orders(s, customer_id)]
            tickets = customer_queries.customer_tickets(s, customer_id, limit=4)
            recent = customer_queries.interactions_since(s, customer_id, now - REPEAT_WINDOW)
            count = customer_queries.count_interactions(s, customer_id)
            page = _timeline_page(s, customer_id, orders, None, TIMELINE_PAGE + 1)
            actions = action_queries.customer_actions(s, customer_id, since, limit=20)
            given, given_count = action_queries.given(
                s, customer_id, since, status=ActionStatus.EXECUTED, kinds=GIVING
            )
            waiting = action_queries.count_for_customer(s, customer_id, ActionStatus.REQUESTED)
            promised = follow_up_queries.of_customer(s, customer_id, limit=5)
        digest = make_digest(
            customer_record(found),
            orders,
            [ticket_record(t) for t in tickets if contact is None or t.id != contact.id],
            [interaction_record(r) for r in recent],
            count,
            contact.channel if contact else None,
            now,
            Compensation(
                given=given,
                given_count=given_count,
                currency=self.currency,
                waiting=waiting,
                recent=tuple(action_record(a) for a in actions[:5]),
            ),
            tuple(follow_up_record(f) for f in promised),
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
            orders = [order_record(*o) for o in customer_queries.customer_orders(s, customer_id)]
            page = _timeline_page(s, customer_id, orders, before, limit + 1)
        return page[:limit], len(page) > limit

    def search_history(self, customer_id: str, query: str) -> list[TimelineRecord]:
        """The customer's newest interactions matching every word of `query` (see text_index)."""
        with read_session(self.db) as s:
            found = customer_queries.search_history(s, customer_id, query)
        return [interaction_record(r) for r in found]

    def orders(self, customer_id: str, limit: int = 50) -> list[OrderRecord]:
        """The customer's orders to act on, newest first."""
        with read_session(self.db) as s:
            found = customer_queries.customer_orders(s, customer_id, limit)
        return [order_record(*o) for o in found]

    # -- actions and requests ----------------------------------------------------------------

    def customer_actions(self, customer_id: str, limit: int = 50) -> list[ActionRecord]:
        """The customer's actions of the last 90 days, newest first."""
        since = self.clock() - COMPENSATION_WINDOW
        with read_session(self.db) as s:
            found = action_queries.customer_actions(s, customer_id, since, limit)
        return [action_record(r) for r in found]

    def waiting_requests(self, limit: int = 200) -> tuple[list[ActionRecord], int]:
        """Requests waiting for a supervisor, oldest first, and how many there are in all."""
        with read_session(self.db) as s:
            found = action_queries.in_status(s, ActionStatus.REQUESTED, limit)
            total = action_queries.count_in_status(s, ActionStatus.REQUESTED)
        return [action_record(r) for r in found], total

    def count_waiting(self) -> int:
        """How many requests wait for a supervisor."""
        with read_session(self.db) as s:
            return action_queries.count_in_status(s, ActionStatus.REQUESTED)
