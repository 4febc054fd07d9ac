"""Actions in the database: usage counted for a decision, inserts, conditional decisions, lists.

Every status change is one conditional UPDATE on the status it expects, so deciding twice,
or deciding a request that was withdrawn meanwhile, changes nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, case, func, literal, select, true, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from storage.models import Action, Agent, Customer
from storage.records import COMMITTED, ActionRecord, ActionUsage, OrderUsage
from storage.types import UTCDateTime, to_money

_Decider = aliased(Agent)


def _at(value: datetime) -> Any:
    """A time bound as UTC whatever the session's time zone (see queue_queries)."""
    return literal(value, UTCDateTime())


def _select() -> Any:
    return (
        select(
            Action,
            col(Customer.name),
            col(Customer.tier),
            col(Agent.display_name),
            _Decider.display_name,  # type: ignore[call-overload]
        )
        .join(Customer, col(Customer.id) == col(Action.customer_id))
        .join(Agent, col(Agent.id) == col(Action.agent_id))
        .outerjoin(_Decider, _Decider.id == col(Action.decided_by))
    )


def _record(row: Any) -> ActionRecord:
    a, customer_name, tier, agent_name, decider = row
    assert a.id is not None
    return ActionRecord(
        id=a.id,
        ref=a.ref,
        kind=a.kind,
        customer_id=a.customer_id,
        customer_name=customer_name,
        customer_tier=tier,
        order_id=a.order_id,
        ticket_id=a.ticket_id,
        agent_id=a.agent_id,
        agent_name=agent_name,
        amount=a.amount,
        currency=a.currency,
        items=tuple(json.loads(a.items)) if a.items else (),
        reason=a.reason,
        verdict=a.verdict,
        rule=a.rule,
        verdict_reason=a.verdict_reason,
        outside_budget=a.outside_budget,
        policy_hash=a.policy_hash,
        status=a.status,
        requested_at=a.requested_at,
        decided_at=a.decided_at,
        decided_by_name=decider,
        decision_reason=a.decision_reason,
        executed_at=a.executed_at,
    )


def _usage_statement() -> Any:
    """The statement `usage` runs, built once: its values are all bound parameters."""
    committed = col(Action.status).in_(COMMITTED)
    kind: Any = bindparam("kind")
    agent = (
        select(
            func.coalesce(func.sum(col(Action.amount)), 0).label("amount"),
            func.count().label("n"),
        )
        .where(
            col(Action.agent_id) == bindparam("agent_id"),
            col(Action.kind) == kind,
            col(Action.requested_at) >= bindparam("month_start", type_=UTCDateTime()),
            col(Action.outside_budget).is_(False),
            committed,
        )
        .subquery("agent_usage")
    )
    customer = (
        select(func.count().label("n"))
        .where(
            col(Action.customer_id) == bindparam("customer_id"),
            col(Action.kind) == kind,
            col(Action.requested_at) >= bindparam("window_start", type_=UTCDateTime()),
            committed,
        )
        .subquery("customer_usage")
    )
    money_back = col(Action.kind).in_(("refund", "discount"))
    order = (
        select(
            func.coalesce(func.sum(case((money_back, col(Action.amount)), else_=0)), 0).label(
                "given_back"
            ),
            func.coalesce(func.sum(case((col(Action.kind) == kind, 1), else_=0)), 0).label("same"),
            func.coalesce(
                func.sum(case((col(Action.outside_budget).is_(True), 1), else_=0)), 0
            ).label("promised"),
        )
        .where(col(Action.order_id) == bindparam("order_id"), committed)
        .subquery("order_usage")
    )
    return (
        select(agent.c.amount, agent.c.n, customer.c.n, *order.c)
        .select_from(agent)
        .join(customer, true())
        .join(order, true())
    )


_USAGE = _usage_statement()

#: A window that holds nothing: no customer allowance applies.
_NO_WINDOW = datetime(9999, 1, 1, tzinfo=UTC)


def usage(
    session: Session,
    *,
    agent_id: int,
    customer_id: str,
    kind: str,
    month_start: datetime,
    window_start: datetime | None,
    order_id: str | None = None,
) -> tuple[ActionUsage, OrderUsage | None]:
    """What is already committed, in one statement (a decision waits on it):

    - this agent's budget use of `kind` since `month_start` (guarantee grants excluded);
    - this customer's grants of `kind` since `window_start` (0 without a window);
    - on `order_id`, by anyone: money given back by refunds and discounts, actions of
      `kind`, and grants made under a guarantee (None without an order).

    Each part is an aggregate over its own index, so the row always comes back.
    """
    row = session.execute(
        _USAGE,
        {
            "agent_id": agent_id,
            "kind": kind,
            "month_start": month_start,
            "customer_id": customer_id,
            "window_start": window_start if window_start is not None else _NO_WINDOW,
            "order_id": order_id,  # None: `order_id = NULL` holds for no row
        },
    ).one()
    amount, count, customer_count, given_back, same, promised = row
    used = ActionUsage(
        agent_month_amount=to_money(amount),  # summed as Money: already a Decimal
        agent_month_count=int(count),
        customer_count=int(customer_count),
    )
    if order_id is None:
        return used, None
    return used, OrderUsage(
        given_back=to_money(given_back),  # the CASE keeps the amount's Money type: a Decimal
        same_kind=int(same),
        guarantee_grants=int(promised),
    )


def by_ref(session: Session, ref: str) -> ActionRecord | None:
    """The action stored under this idempotency key, or None."""
    row = session.execute(_select().where(col(Action.ref) == ref)).first()
    return _record(row) if row else None


def get_action(session: Session, action_id: int) -> ActionRecord | None:
    """One action, or None."""
    row = session.execute(_select().where(col(Action.id) == action_id)).first()
    return _record(row) if row else None


def insert_action(session: Session, values: dict[str, Any]) -> int:
    """Store a decided action (`items` a sequence of SKUs); returns its id."""
    items = values.get("items")
    action = Action(**(values | {"items": json.dumps(list(items)) if items else None}))
    session.add(action)
    session.flush()
    assert action.id is not None
    return action.id


def move(
    session: Session,
    action_id: int,
    *,
    from_status: str,
    values: dict[str, Any],
    not_agent: int | None = None,
    only_agent: int | None = None,
) -> bool:
    """Move an action on from `from_status`, atomically; False when it was not there.

    `not_agent` refuses the requester (nobody approves their own request); `only_agent`
    allows only the requester (only they withdraw it).
    """
    where = [col(Action.id) == action_id, col(Action.status) == from_status]
    if not_agent is not None:
        where.append(col(Action.agent_id) != not_agent)
    if only_agent is not None:
        where.append(col(Action.agent_id) == only_agent)
    result = session.execute(update(Action).where(*where).values(**values))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def pending(session: Session, limit: int = 200) -> list[ActionRecord]:
    """Requests waiting for a supervisor, oldest first."""
    rows = session.execute(
        _select()
        .where(col(Action.status) == "requested")
        .order_by(col(Action.requested_at), col(Action.id))
        .limit(limit)
    ).all()
    return [_record(r) for r in rows]


def count_waiting_for(session: Session, customer_id: str) -> int:
    """How many of this customer's requests wait for a supervisor."""
    return int(
        session.execute(
            select(func.count()).where(
                col(Action.customer_id) == customer_id, col(Action.status) == "requested"
            )
        ).scalar_one()
    )


def count_pending(session: Session) -> int:
    """How many requests wait for a supervisor."""
    return int(
        session.execute(select(func.count()).where(col(Action.status) == "requested")).scalar_one()
    )


def customer_actions(
    session: Session, customer_id: str, since: datetime, limit: int = 50
) -> list[ActionRecord]:
    """The customer's actions since `since`, newest first."""
    rows = session.execute(
        _select()
        .where(col(Action.customer_id) == customer_id, col(Action.requested_at) >= _at(since))
        .order_by(col(Action.requested_at).desc(), col(Action.id).desc())
        .limit(limit)
    ).all()
    return [_record(r) for r in rows]


def compensation(session: Session, customer_id: str, since: datetime) -> tuple[Decimal, int]:
    """Money given to the customer by executed actions since `since` (cancellations excluded),
    and how many actions gave it."""
    total, count = session.execute(
        select(func.coalesce(func.sum(col(Action.amount)), 0), func.count()).where(
            col(Action.customer_id) == customer_id,
            col(Action.requested_at) >= _at(since),
            col(Action.status) == "executed",
            col(Action.kind) != "cancel_order",
        )
    ).one()
    return to_money(total), int(count)  # summed as Money: already a Decimal


def decided_for(
    session: Session, agent_id: int, since: datetime, limit: int = 50
) -> list[ActionRecord]:
    """This agent's requests that someone else decided at or after `since`, oldest first."""
    rows = session.execute(
        _select()
        .where(
            col(Action.agent_id) == agent_id,
            col(Action.decided_at) >= _at(since),
            col(Action.decided_by) != agent_id,
        )
        .order_by(col(Action.decided_at), col(Action.id))
        .limit(limit)
    ).all()
    return [_record(r) for r in rows]
