"""The demo's compensation: actions taken for recently resolved contacts, through the real
policy, audit log and approvals (never written as bare rows), so the monitor's compensation,
the report's figures, `caredesk report --policy` and the audit log have something to show.

Each action is taken at a moment before `now`, with an idempotency key of its own, so the
same seed gives the same actions, and a build never takes one twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from storage import agent_queries, demo_queries
from storage.engine import Database
from storage.uow import read_session
from workspace.action_view import ActionRequest
from workspace.agents import AgentRecord, agent_record
from workspace.policy import Policy
from workspace.policy_file import default_policy
from workspace.vocabulary import VerdictKind
from workspace.workbench import Workbench

#: How far back the demo's actions go: within the budget month's reach.
WINDOW = timedelta(days=14)

#: What an agent does for the customer of each contact, in turn: (kind, share of the order
#: to give, a reason, what the supervisor then does with a request: approve, deny or wait).
PLAYBOOK: tuple[tuple[str, Decimal | None, str, str | None], ...] = (
    ("store_credit", Decimal("10"), "sorry for the wait on the reply", None),
    ("discount", Decimal("15"), "delivery came three days late", None),
    ("discount", Decimal("0.45"), "second late delivery in a month", "approve"),
    ("refund", Decimal("0.50"), "half the set arrived broken", "deny"),
    ("store_credit", Decimal("15"), "had to chase us twice", None),
    ("cancel_order", None, "customer changed their mind after delivery", None),
    ("discount", Decimal("60"), "parcel two weeks late, gold customer", "wait"),
    ("discount", Decimal("45"), "loyal customer, three bad deliveries", "wait"),
)
"""Amounts below one are shares of the order's total, the others sums. What a supervisor
is to decide (or leave waiting) is asked for at an amount the policy sends for approval
(`_for_approval`): the amount given, or less; the others get whatever verdict the policy
gives them (a cancellation of a delivered order is refused)."""

#: What a request is tried at, as shares of the amount given, until the policy wants a
#: supervisor for it: an order's size and the customer's tier move the limits.
_TRIES = (Decimal("1"), Decimal("0.75"), Decimal("0.5"), Decimal("0.35"), Decimal("1.5"))

#: Who decides the requests.
SUPERVISOR_ROLE = "supervisor"


@dataclass(frozen=True)
class DemoActions:
    """What the demo's agents did."""

    taken: int
    """Actions taken (executed, waiting, decided or refused by the policy)."""
    decided: int
    """Requests a supervisor decided."""


def take_demo_actions(
    db: Database, now: datetime, policy: Policy | None = None, limit: int = len(PLAYBOOK)
) -> DemoActions:
    """Take the playbook's actions for the newest resolved contacts, each a few minutes
    before the contact was resolved; requests are decided an hour later, except those left
    waiting, which are asked for in the last hour."""
    policy = policy or default_policy()
    with read_session(db) as s:
        agents = {r.id: agent_record(r) for r in agent_queries.all_agents(s)}
        contacts = demo_queries.recent_closed_with_orders(s, now - WINDOW, limit)
    supervisor = next((a for a in agents.values() if a.role == SUPERVISOR_ROLE), None)
    taken = decided = 0
    for n, (row, (kind, share, reason, then)) in enumerate(zip(contacts, PLAYBOOK, strict=False)):
        agent = agents.get(row.agent_id)
        if agent is None or (supervisor is not None and agent.id == supervisor.id):
            continue
        at = row.resolved_at - timedelta(minutes=5)
        if then == "wait":
            at = now - timedelta(minutes=10 + 20 * n)
        amount = _amount(kind, share, Decimal(row.total))
        request = ActionRequest(
            kind=kind,
            customer_id=row.customer_id,
            order_id=row.order_id,
            amount=None if amount is None else str(amount),
            reason=reason,
        )
        bench = _bench(db, agent, policy, at)
        if then is not None:
            asked = _for_approval(bench, request)
            if asked is None:
                continue  # nothing this customer could ask for waits for a supervisor
            request = asked
        outcome = bench.actions.take(request, key=f"demo-{row.ticket_id}")
        taken += 1
        if then in ("approve", "deny") and supervisor is not None:
            if outcome.record.status != "requested":
                continue
            approvals = _bench(db, supervisor, policy, at + timedelta(hours=1)).approvals
            if then == "approve":
                approvals.approve(outcome.record.id, "fair, given the history")
            else:
                approvals.deny(outcome.record.id, "offer a replacement instead")
            decided += 1
    return DemoActions(taken=taken, decided=decided)


def _for_approval(bench: Workbench, request: ActionRequest) -> ActionRequest | None:
    """`request` at the first amount of `_TRIES` the policy sends to a supervisor."""
    given = Decimal(request.amount or "0")
    for part in _TRIES:
        tried = replace(request, amount=str((given * part).quantize(Decimal("0.01"))))
        if bench.actions.preview(tried).verdict.verdict == VerdictKind.NEEDS_APPROVAL:
            return tried
    return None


def _amount(kind: str, share: Decimal | None, total: Decimal) -> Decimal | None:
    """A share (below one) of the order's total, or a sum; none for a cancellation."""
    if share is None:
        return None
    if share < 1:
        return (total * share).quantize(Decimal("0.01"))
    return share


def _bench(db: Database, agent: AgentRecord, policy: Policy, at: datetime) -> Workbench:
    return Workbench.open(db, agent, policy, clock=lambda: at)
