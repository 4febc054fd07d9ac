"""Policy-bounded actions: preview a verdict, take an action, and decide approvals.

The verdict is decided and enforced inside the transaction that records the action: the
deciding transaction first takes the write lock every audited change takes (SQLite's
BEGIN IMMEDIATE; a PostgreSQL advisory lock), then counts what is already committed, so two
agents spending the same budget at the same moment cannot overspend it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage import action_queries, agent_queries, customer_queries, queue_queries
from storage.audit import append_audit
from storage.engine import Database
from storage.money import to_money
from storage.records import ActionRecord, AgentRecord, OrderRecord
from storage.uow import lock_for_audit, read_session, unit_of_work
from workspace.action_view import (
    APPROVER_ROLES,
    COMPENSATION_WINDOW,
    LABELS,
    NEEDS_ORDER,
    TYPED_AMOUNT,
    ActionOutcome,
    ActionRequest,
    Assessment,
    Decision,
    action_message,
    headroom_text,
    month_start,
    parse_amount,
)
from workspace.context import days_late
from workspace.errors import ActionInputError, CareDeskError, NotAllowed, NotHeld
from workspace.policy import (
    ACTIONS,
    Policy,
    Proposal,
    Usage,
    decide,
    fingerprint,
    resolve,
)


@dataclass(frozen=True)
class _Facts:
    proposal: Proposal
    order: OrderRecord | None
    items: tuple[str, ...]


class ActionDesk:
    """One agent's actions on one database, under one policy; safe to call from workers."""

    def __init__(
        self, db: Database, agent: AgentRecord, policy: Policy, clock: Callable[[], datetime]
    ) -> None:
        self.db = db
        self.agent = agent
        self.policy = policy
        self.clock = clock
        self.fingerprint = fingerprint(policy)
        """The policy's fingerprint, stored with every action it decides."""

    @property
    def can_approve(self) -> bool:
        """Whether this agent decides other agents' requests."""
        return self.agent.role in APPROVER_ROLES

    def available(self, tier: str) -> tuple[str, ...]:
        """The actions this policy lets this agent take for a customer of `tier`."""
        return tuple(a for a in ACTIONS if resolve(self.policy, a, tier, self.agent.role))

    # -- deciding --------------------------------------------------------------------------

    def _facts(self, session: Session, request: ActionRequest, now: datetime) -> _Facts:
        if request.kind not in ACTIONS:
            choices = ", ".join(ACTIONS)
            raise ActionInputError("action", f"unknown action {request.kind!r}; one of {choices}")
        customer = customer_queries.get_customer(session, request.customer_id)
        if customer is None:
            raise ActionInputError("customer", f"customer {request.customer_id} does not exist")
        order = None
        if request.order_id:
            order = customer_queries.get_order(session, request.order_id)
            if order is None or order.customer_id != customer.id:
                raise ActionInputError(
                    "order", f"order {request.order_id} is not one of {customer.id}'s orders"
                )
        elif request.kind in NEEDS_ORDER:
            raise ActionInputError("order", f"choose the order to {_verb(request.kind)}")
        if request.ticket_id is not None:
            row = queue_queries.get_row(session, request.ticket_id)
            if row is None or not row.active or row.holder_id != self.agent.id:
                raise NotHeld(f"you no longer hold contact {request.ticket_id}; nothing was done")
        items: tuple[str, ...] = ()
        if request.kind == "replacement":
            assert order is not None
            amount, items = _replacement_value(order, request.items)
        elif request.kind in ("reship", "cancel_order"):
            assert order is not None
            amount = order.total
        else:
            amount = parse_amount(request.amount)
        age = None
        if order is not None:
            since = order.delivered_at or order.placed_at
            age = max(0, (now.date() - since.astimezone(UTC).date()).days)
        proposal = Proposal(
            action=request.kind,
            amount=amount,
            order_total=order.total if order else None,
            order_status=order.status if order else None,
            order_age_days=age,
            reason=request.reason,
            customer_tier=customer.tier,
            agent_role=self.agent.role,
            late_by_days=days_late(order) if order else None,
        )
        return _Facts(proposal, order, items)

    def _usage(self, session: Session, facts: _Facts, customer_id: str, now: datetime) -> Usage:
        proposal = facts.proposal
        rule = resolve(self.policy, proposal.action, proposal.customer_tier, self.agent.role)
        cap = rule.rule.per_customer if rule else None
        used, on_order = action_queries.usage(
            session,
            agent_id=self.agent.id,
            customer_id=customer_id,
            kind=proposal.action,
            month_start=month_start(now),
            window_start=now - timedelta(days=cap.days) if cap else None,
            order_id=facts.order.id if facts.order is not None else None,
        )
        return Usage(
            agent_month_amount=used.agent_month_amount,
            agent_month_count=used.agent_month_count,
            customer_grants_in_window=used.customer_count,
            order_given_back=on_order.given_back if on_order else Decimal("0.00"),
            order_same_action=on_order.same_kind if on_order else 0,
            order_guarantee_grants=on_order.guarantee_grants if on_order else 0,
        )

    def preview(self, request: ActionRequest) -> Assessment:
        """The verdict `request` would get now (nothing is stored); raises ActionInputError."""
        now = self.clock()
        with read_session(self.db) as s:
            facts = self._facts(s, request, now)
            usage = self._usage(s, facts, request.customer_id, now)
        verdict = decide(self.policy, facts.proposal, usage)
        return Assessment(verdict, facts.proposal.amount, self.policy.currency)

    def take(self, request: ActionRequest, key: str | None = None) -> ActionOutcome:
        """Decide and record `request` in one transaction: `allow` is executed at once,
        `needs_approval` waits for a supervisor, `deny` is recorded as denied.

        `key` is the form's idempotency key: submitting the same request twice stores it once.
        """
        ref = f"A-{key or uuid.uuid4().hex}"
        try:
            return self._take(request, ref)
        except IntegrityError:
            with read_session(self.db) as s:
                existing = action_queries.by_ref(s, ref)
            if existing is None:
                raise
            return ActionOutcome(existing, repeated=True)

    def _take(self, request: ActionRequest, ref: str) -> ActionOutcome:
        now = self.clock()
        with unit_of_work(self.db) as s:
            lock_for_audit(s)  # every decider waits here, then counts what is committed
            existing = action_queries.by_ref(s, ref)
            if existing is not None:
                return ActionOutcome(existing, repeated=True)
            facts = self._facts(s, request, now)
            usage = self._usage(s, facts, request.customer_id, now)
            verdict = decide(self.policy, facts.proposal, usage)
            status = {"allow": "executed", "needs_approval": "requested", "deny": "denied"}[
                verdict.verdict
            ]
            values = {
                "ref": ref,
                "kind": request.kind,
                "customer_id": request.customer_id,
                "order_id": facts.order.id if facts.order else None,
                "ticket_id": request.ticket_id,
                "agent_id": self.agent.id,
                "amount": facts.proposal.amount,
                "currency": self.policy.currency,
                "items": facts.items,
                "reason": request.reason.strip(),
                "verdict": verdict.verdict,
                "rule": verdict.rule,
                "verdict_reason": verdict.reason,
                "outside_budget": verdict.outside_budget,
                "policy_hash": self.fingerprint,
                "status": status,
                "requested_at": now,
                "decided_at": now if status == "denied" else None,
                "executed_at": now if status == "executed" else None,
            }
            action_id = action_queries.insert_action(s, values)
            self._audit(
                s,
                now,
                "action.request",
                action_id,
                after={
                    k: values[k]
                    for k in ("kind", "customer_id", "order_id", "ticket_id", "amount", "items")
                }
                | {"reason": values["reason"]},
            )
            self._audit(
                s,
                now,
                "action.verdict",
                action_id,
                after={
                    "verdict": verdict.verdict,
                    "rule": verdict.rule,
                    "reason": verdict.reason,
                    "outside_budget": verdict.outside_budget,
                    "policy": self.fingerprint,
                },
            )
            if status == "executed":
                self._audit(s, now, "action.execute", action_id, after={"status": "executed"})
            record = action_queries.get_action(s, action_id)
            assert record is not None
        return ActionOutcome(record, repeated=False, headroom=verdict.headroom)

    # -- approvals -------------------------------------------------------------------------

    def pending(self, limit: int = 200) -> tuple[list[ActionRecord], int]:
        """Requests waiting for a supervisor, oldest first, and how many there are in all."""
        with read_session(self.db) as s:
            return action_queries.pending(s, limit), action_queries.count_pending(s)

    def count_pending(self) -> int:
        """How many requests wait for a supervisor."""
        with read_session(self.db) as s:
            return action_queries.count_pending(s)

    def approve(self, action_id: int, reason: str) -> Decision:
        """Approve another agent's request and execute it, once."""
        return self._decide(action_id, reason, approve=True)

    def deny(self, action_id: int, reason: str) -> Decision:
        """Deny another agent's request, once."""
        return self._decide(action_id, reason, approve=False)

    def _decide(self, action_id: int, reason: str, *, approve: bool) -> Decision:
        if not self.can_approve:
            raise NotAllowed(f"only a supervisor decides requests; you are {self.agent.role}")
        if not reason.strip():
            raise ActionInputError("reason", "give a reason for the decision")
        now = self.clock()
        with unit_of_work(self.db) as s:
            lock_for_audit(s)
            current = action_queries.get_action(s, action_id)
            if current is None:
                raise CareDeskError(f"there is no action #{action_id}")
            if current.agent_id == self.agent.id:
                raise NotAllowed("nobody approves their own request")
            status = "approved" if approve else "denied"
            decided = {
                "status": status,
                "decided_at": now,
                "decided_by": self.agent.id,
                "decision_reason": reason.strip(),
            }
            if not action_queries.move(
                s, action_id, from_status="requested", values=decided, not_agent=self.agent.id
            ):
                return Decision(current, changed=False)
            before = {"status": "requested"}
            after = {"status": status, "reason": reason.strip()}
            verb = "action.approve" if approve else "action.deny"
            self._audit(s, now, verb, action_id, before, after)
            if approve:
                executed = action_queries.move(
                    s,
                    action_id,
                    from_status="approved",
                    values={"status": "executed", "executed_at": now},
                )
                assert executed
                self._audit(
                    s,
                    now,
                    "action.execute",
                    action_id,
                    {"status": "approved"},
                    {"status": "executed"},
                )
            record = action_queries.get_action(s, action_id)
            assert record is not None
        return Decision(record, changed=True)

    def withdraw(self, action_id: int) -> Decision:
        """Withdraw one's own waiting request; a decided one stays as it is."""
        now = self.clock()
        with unit_of_work(self.db) as s:
            lock_for_audit(s)
            current = action_queries.get_action(s, action_id)
            if current is None:
                raise CareDeskError(f"there is no action #{action_id}")
            if current.agent_id != self.agent.id:
                raise NotAllowed("only the agent who asked can withdraw a request")
            values = {"status": "withdrawn", "decided_at": now, "decided_by": self.agent.id}
            if not action_queries.move(
                s, action_id, from_status="requested", values=values, only_agent=self.agent.id
            ):
                return Decision(current, changed=False)
            self._audit(
                s,
                now,
                "action.withdraw",
                action_id,
                {"status": "requested"},
                {"status": "withdrawn"},
            )
            record = action_queries.get_action(s, action_id)
            assert record is not None
        return Decision(record, changed=True)

    def news(self, since: datetime | None) -> tuple[list[ActionRecord], datetime]:
        """Decisions on this agent's requests since `since` (None: since the agent was last
        told, even in an earlier session), and the mark to pass next time."""
        with read_session(self.db) as s:
            if since is None:
                since = agent_queries.news_seen_at(s, self.agent.id) or self.clock()
            decided = action_queries.decided_for(s, self.agent.id, since)
        latest = max((r.decided_at for r in decided if r.decided_at), default=since)
        return decided, max(since, latest)

    def saw_news(self, upto: datetime) -> None:
        """Remember that decisions up to `upto` were told, for the next session."""
        with unit_of_work(self.db) as s:
            agent_queries.saw_news(s, self.agent.id, upto)

    def decided_since(self, since: datetime) -> list[ActionRecord]:
        """This agent's requests that a supervisor decided at or after `since`, oldest first."""
        with read_session(self.db) as s:
            return action_queries.decided_for(s, self.agent.id, since)

    # -- the customer's actions ------------------------------------------------------------

    def orders(self, customer_id: str, limit: int = 50) -> list[OrderRecord]:
        """The customer's orders to act on, newest first."""
        with read_session(self.db) as s:
            return customer_queries.customer_orders(s, customer_id, limit)

    def customer_actions(self, customer_id: str, limit: int = 50) -> list[ActionRecord]:
        """The customer's actions of the last 90 days, newest first."""
        since = self.clock() - COMPENSATION_WINDOW
        with read_session(self.db) as s:
            return action_queries.customer_actions(s, customer_id, since, limit)

    def _audit(
        self,
        session: Session,
        at: datetime,
        action: str,
        action_id: int,
        before: Mapping[str, object] | None = None,
        after: Mapping[str, object] | None = None,
    ) -> None:
        append_audit(
            session,
            at=at,
            actor=self.agent.name,
            action=action,
            entity="action",
            entity_id=str(action_id),
            before=before,
            after=after,
        )


__all__ = [
    "APPROVER_ROLES",
    "COMPENSATION_WINDOW",
    "LABELS",
    "NEEDS_ORDER",
    "TYPED_AMOUNT",
    "ActionDesk",
    "ActionOutcome",
    "ActionRequest",
    "Assessment",
    "Decision",
    "action_message",
    "headroom_text",
    "month_start",
    "parse_amount",
]


def _verb(kind: str) -> str:
    return {
        "refund": "refund",
        "replacement": "replace items of",
        "reship": "reship",
        "cancel_order": "cancel",
    }.get(kind, "act on")


def _replacement_value(
    order: OrderRecord, skus: tuple[str, ...]
) -> tuple[Decimal, tuple[str, ...]]:
    """The value of the order's items named by `skus` (each line once), and the SKUs kept."""
    if not skus:
        raise ActionInputError("items", "choose the items to replace")
    by_sku = {item.sku: item for item in order.items}
    unknown = [s for s in skus if s not in by_sku]
    if unknown:
        known = ", ".join(by_sku) or "none"
        raise ActionInputError(
            "items", f"order {order.id} has no item {unknown[0]!r}; its items are {known}"
        )
    chosen = tuple(dict.fromkeys(skus))
    value = sum((by_sku[s].price * by_sku[s].quantity for s in chosen), Decimal("0"))
    return to_money(value), chosen
