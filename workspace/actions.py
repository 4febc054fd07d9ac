"""Policy-bounded actions: preview a verdict, take an action, and the one way to execute it.

The verdict is decided and enforced inside the transaction that records the action: the
deciding transaction first takes the write lock every audited change takes (SQLite's
BEGIN IMMEDIATE; a PostgreSQL advisory lock), then counts what is already committed, so two
agents spending the same budget at the same moment cannot overspend it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlmodel import Session

from storage import (
    action_queries,
    changes,
    customer_queries,
    delivery_queries,
    order_writes,
    queue_queries,
)
from storage.engine import Database
from storage.money import to_money
from storage.uow import lock_for_audit, read_session, unit_of_work
from workspace import delivery, idempotency
from workspace.action_view import (
    ActionOutcome,
    ActionRecord,
    ActionRequest,
    Assessment,
    action_record,
    month_start,
    parse_amount,
)
from workspace.agents import AgentRecord
from workspace.audit_trail import AuditTrail
from workspace.customers import OrderRecord, customer_record, order_record
from workspace.errors import ActionInputError, NotHeld
from workspace.permissions import UseCase, check
from workspace.policy import (
    REASON_LEAF,
    Policy,
    Proposal,
    Usage,
    decide,
    fingerprint,
    resolve,
)
from workspace.proposals import proposal_of, replacement_value
from workspace.queue import holds, queue_row
from workspace.vocabulary import (
    ActionKind,
    ActionStatus,
    AuditEvent,
    ChangeKind,
    Entity,
    OrderStatus,
    ShipmentStatus,
    member,
)

COUNTED = ActionStatus.counted()
"""What counts against budgets and allowances, as the usage query is told."""

MONEY_BACK = tuple(k for k in ActionKind if k.money_back)
"""What gives money back on an order, as the usage query is told."""


@dataclass(frozen=True)
class _Facts:
    proposal: Proposal
    order: OrderRecord | None
    items: tuple[str, ...]


def execute(session: Session, trail: AuditTrail, action_id: int, at: datetime) -> ActionRecord:
    """The one way an action becomes executed, inside the unit of work that approved it
    (the policy, taking it, or a supervisor, deciding it): from approved to executed, once,
    audited. Returns the action as it now stands."""
    moved = action_queries.move(
        session,
        action_id,
        from_status=ActionStatus.APPROVED,
        values={"status": ActionStatus.EXECUTED, "executed_at": at},
    )
    if not moved:
        raise RuntimeError(f"action #{action_id} was not approved in this transaction")
    record = _fulfil(session, stored(session, action_id), at)
    delivery.enqueue(session, record, at)  # the message to fulfil it, in the same transaction
    # Recorded last, so its state has the order's shipment and the message.
    trail.record(
        session,
        at,
        AuditEvent.ACTION_EXECUTE,
        Entity.ACTION,
        str(action_id),
        before={"status": ActionStatus.APPROVED.value},
        after={"status": ActionStatus.EXECUTED.value},
    )
    return record


def _fulfil(session: Session, record: ActionRecord, at: datetime) -> ActionRecord:
    """The order follows the executed action, in its transaction: a cancel cancels it, a
    refund is recorded against its total, a reship or a replacement creates the shipment the
    customer will receive. Returns the action as it now stands."""
    kind, order = member(ActionKind, record.kind), record.order_id
    if order is None:
        return record
    if kind is ActionKind.CANCEL_ORDER:
        # The policy only allows a cancel of a pending order.
        order_writes.set_status(
            session, order, OrderStatus.CANCELLED, only_from=OrderStatus.PENDING
        )
    elif kind is ActionKind.REFUND:
        order_writes.add_refund(session, order, record.amount)
    elif kind in (ActionKind.RESHIP, ActionKind.REPLACEMENT):
        items = list(record.items)
        if not items:  # a reship sends the whole order again
            found = customer_queries.get_order(session, order)
            items = [i.sku for i in found[1]] if found is not None else []
        order_writes.add_shipment(
            session,
            ref=f"SH-{record.id:06d}",
            order_id=order,
            action_id=record.id,
            kind=record.kind,
            items=json.dumps(items),
            status=ShipmentStatus.TO_SHIP,
            at=at,
        )
        return stored(session, record.id)
    return record


def stored(session: Session, action_id: int) -> ActionRecord:
    """The action as this transaction sees it now."""
    row = action_queries.get_action(session, action_id)
    if row is None:
        raise RuntimeError(f"action #{action_id} is not stored")
    return action_record(row)


class Actions:
    """One agent's policy-bounded actions under one policy; safe to call from workers."""

    def __init__(
        self, db: Database, agent: AgentRecord, policy: Policy, clock: Callable[[], datetime]
    ) -> None:
        self.db = db
        self.agent = agent
        self.policy = policy
        self.clock = clock
        self.trail = AuditTrail(agent.name)
        self.fingerprint = fingerprint(policy)
        """The policy's fingerprint, stored with every action it decides."""

    def redeliver(self, action_id: int) -> bool:
        """Send a failed delivery again (the agent asked, say once the receiver is fixed):
        due at once, audited, and announced so a deliverer wakes. False if it had not
        failed."""
        now = self.clock()
        with unit_of_work(self.db) as s:
            if not delivery_queries.retry_now(s, action_id, now):
                return False
            self.trail.record(
                s,
                now,
                AuditEvent.ACTION_REDELIVER,
                Entity.ACTION,
                str(action_id),
                before={"delivery": "failed"},
                after={"delivery": "retrying"},
            )
            changes.record(s, ChangeKind.DELIVERY, now, agent_id=self.agent.id)
        return True

    def available(self, tier: str) -> tuple[ActionKind, ...]:
        """The actions this policy lets this agent take for a customer of `tier`."""
        return tuple(a for a in ActionKind if resolve(self.policy, a, tier, self.agent.role))

    # -- deciding --------------------------------------------------------------------------

    def _facts(self, session: Session, request: ActionRequest, now: datetime) -> _Facts:
        kind = member(ActionKind, request.kind)
        if kind is None:
            choices = ", ".join(ActionKind)
            raise ActionInputError("action", f"unknown action {request.kind!r}; one of {choices}")
        found = customer_queries.get_customer(session, request.customer_id)
        if found is None:
            raise ActionInputError("customer", f"customer {request.customer_id} does not exist")
        customer = customer_record(found)
        order = None
        if request.order_id:
            rows = customer_queries.get_order(session, request.order_id)
            order = order_record(*rows) if rows is not None else None
            if order is None or order.customer_id != customer.id:
                raise ActionInputError(
                    "order", f"order {request.order_id} is not one of {customer.id}'s orders"
                )
        elif kind.needs_order:
            raise ActionInputError("order", f"choose the order to {kind.verb}")
        if request.ticket_id is not None:
            row = queue_queries.get_row(session, request.ticket_id)
            if not holds(queue_row(row) if row is not None else None, self.agent.id):
                raise NotHeld(f"you no longer hold contact {request.ticket_id}; nothing was done")
        items: tuple[str, ...] = ()
        if kind.takes_items:
            assert order is not None
            amount, items = replacement_value(order, request.items)
        elif kind.whole_order:
            assert order is not None
            amount = order.total
        else:
            amount = parse_amount(request.amount)
        proposal = proposal_of(
            kind, amount, order, request.reason, customer.tier, self.agent.role, now
        )
        return _Facts(proposal, order, items)

    def _usage(self, session: Session, facts: _Facts, customer_id: str, now: datetime) -> Usage:
        proposal = facts.proposal
        rule = resolve(self.policy, proposal.action, proposal.customer_tier, self.agent.role)
        cap = rule.rule.per_customer if rule else None
        used = action_queries.usage(
            session,
            agent_id=self.agent.id,
            customer_id=customer_id,
            kind=proposal.action,
            month_start=month_start(now),
            window_start=now - timedelta(days=cap.days) if cap else None,
            order_id=facts.order.id if facts.order is not None else None,
            counted=COUNTED,
            money_back=MONEY_BACK,
        )
        return Usage(
            agent_month_amount=to_money(used.agent_month_amount),
            agent_month_count=int(used.agent_month_count),
            customer_grants_in_window=int(used.customer_count),
            order_given_back=to_money(used.order_given_back),
            order_same_action=int(used.order_same_kind),
            order_guarantee_grants=int(used.order_guarantee_grants),
        )

    def preview(self, request: ActionRequest) -> Assessment:
        """The verdict `request` would get now (nothing is stored); raises ActionInputError.
        A reason the policy wants and the form does not have yet is `reason_needed`, not a
        denial: taking the action without one is still denied."""
        now = self.clock()
        with read_session(self.db) as s:
            facts = self._facts(s, request, now)
            usage = self._usage(s, facts, request.customer_id, now)
        verdict = decide(self.policy, facts.proposal, usage)
        missing = verdict.rule.endswith(f".{REASON_LEAF}") and not facts.proposal.reason.strip()
        if missing:
            # Still being filled in: the verdict the action gets once a reason is typed.
            verdict = decide(self.policy, replace(facts.proposal, reason="-"), usage)
        return Assessment(
            verdict, facts.proposal.amount, self.policy.currency, reason_needed=missing
        )

    def take(self, request: ActionRequest, key: str | None = None) -> ActionOutcome:
        """Decide and record `request` in one transaction: `allow` is executed at once,
        `needs_approval` waits for a supervisor, `deny` is recorded as denied.

        `key` is the agent's idempotency key (the form's, or `caredesk act --key`): the same
        request with it again replays the first action (`repeated`); another request with
        it is refused (`KeyReused`), as is a second submit while the first is still being
        decided (`KeyInProgress`). See `workspace.idempotency`.
        """
        check(self.agent.role, UseCase.ACT)
        if key is None:
            return self._take(request, f"A-{uuid.uuid4().hex}")
        # The same agent's key gives the same ref: a rebuilt demo stores the same rows.
        ref = "A-" + hashlib.sha256(f"{self.agent.id}:{key}".encode()).hexdigest()[:32]
        claimed = idempotency.claim(self.db, self.agent.id, key, request, self.clock())
        if isinstance(claimed, int):
            with read_session(self.db) as s:
                return ActionOutcome(stored(s, claimed), repeated=True)
        try:
            return self._take(request, ref, claimed)
        except (ActionInputError, NotHeld):
            claimed.release(self.db)  # nothing was done: the key is free to use again
            raise

    def _take(
        self, request: ActionRequest, ref: str, claimed: idempotency.Claim | None = None
    ) -> ActionOutcome:
        now = self.clock()
        with unit_of_work(self.db) as s:
            lock_for_audit(s)  # every decider waits here, then counts what is committed
            facts = self._facts(s, request, now)
            usage = self._usage(s, facts, request.customer_id, now)
            verdict = decide(self.policy, facts.proposal, usage)
            status = verdict.verdict.status
            # An allowed action is approved by the policy, then executed the one way every
            # action is; a denied one is decided at once.
            recorded = ActionStatus.APPROVED if status is ActionStatus.EXECUTED else status
            values = {
                "ref": ref,
                "kind": facts.proposal.action,
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
                "status": recorded,
                "requested_at": now,
                "decided_at": now if status is ActionStatus.DENIED else None,
            }
            action_id = action_queries.insert_action(s, values)
            asked = ("kind", "customer_id", "order_id", "ticket_id", "amount", "items", "reason")
            self.trail.record(
                s,
                now,
                AuditEvent.ACTION_REQUEST,
                Entity.ACTION,
                str(action_id),
                after={k: values[k] for k in asked},
            )
            self.trail.record(
                s,
                now,
                AuditEvent.ACTION_VERDICT,
                Entity.ACTION,
                str(action_id),
                after={
                    "verdict": verdict.verdict.value,
                    "rule": verdict.rule,
                    "reason": verdict.reason,
                    "outside_budget": verdict.outside_budget,
                    "policy": self.fingerprint,
                },
            )
            if recorded is ActionStatus.APPROVED:
                record = execute(s, self.trail, action_id, now)
            else:
                record = stored(s, action_id)
            if claimed is not None:
                claimed.settle(s, action_id)
            # Every workspace showing the customer adds the action to their timeline.
            kind = ChangeKind.REQUEST if recorded is ActionStatus.REQUESTED else ChangeKind.ACTION
            changes.record(s, kind, now, ticket_id=request.ticket_id, agent_id=self.agent.id)
        return ActionOutcome(record, repeated=False, headroom=verdict.headroom)
