"""Actions in the database: usage counted for a decision, inserts, conditional decisions, lists.

Every status change is one conditional UPDATE on the status it expects, so deciding twice,
or deciding a request that was withdrawn meanwhile, changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Row, bindparam, case, func, literal, select, true, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from storage.customer_queries import Before, older
from storage.models import Action, Agent, Customer, Delivery, Shipment
from storage.types import UTCDateTime, to_money

_Decider = aliased(Agent)


def _at(value: datetime) -> Any:
    """A time bound as UTC whatever the session's time zone (see queue_queries)."""
    return literal(value, UTCDateTime())


#: An action as the workspace shows it, labelled by the workspace's names; `items` is the
#: JSON array of SKUs as stored (see `insert_action`).
_COLUMNS: tuple[Any, ...] = (
    col(Action.id).label("id"),
    col(Action.ref).label("ref"),
    col(Action.kind).label("kind"),
    col(Action.customer_id).label("customer_id"),
    col(Customer.name).label("customer_name"),
    col(Customer.tier).label("customer_tier"),
    col(Action.order_id).label("order_id"),
    col(Action.ticket_id).label("ticket_id"),
    col(Action.agent_id).label("agent_id"),
    col(Agent.display_name).label("agent_name"),
    col(Action.amount).label("amount"),
    col(Action.currency).label("currency"),
    col(Action.items).label("items"),
    col(Action.reason).label("reason"),
    col(Action.verdict).label("verdict"),
    col(Action.rule).label("rule"),
    col(Action.verdict_reason).label("verdict_reason"),
    col(Action.outside_budget).label("outside_budget"),
    col(Action.policy_hash).label("policy_hash"),
    col(Action.status).label("status"),
    col(Action.requested_at).label("requested_at"),
    col(Action.decided_at).label("decided_at"),
    col(_Decider.display_name).label("decided_by_name"),
    col(Action.decision_reason).label("decision_reason"),
    col(Action.executed_at).label("executed_at"),
    col(Delivery.status).label("delivery"),
    col(Shipment.ref).label("shipment"),
)


def _select() -> Any:
    return (
        select(*_COLUMNS)
        .join(Customer, col(Customer.id) == col(Action.customer_id))
        .join(Agent, col(Agent.id) == col(Action.agent_id))
        .outerjoin(_Decider, col(_Decider.id) == col(Action.decided_by))
        .outerjoin(Delivery, col(Delivery.action_id) == col(Action.id))  # its unique index
        .outerjoin(Shipment, col(Shipment.action_id) == col(Action.id))  # and this one's
    )


def _each(name: str, count: int) -> list[Any]:
    """`count` bound parameters `name_0`, `name_1`, ...: an IN list the database can plan
    once, where an expanding parameter would render the statement again on every call."""
    return [bindparam(f"{name}_{i}") for i in range(count)]


@lru_cache(maxsize=8)
def _usage_statement(counted_count: int, money_back_count: int) -> Any:
    """The statement `usage` runs, built once for each length of its two lists: its values
    are all bound parameters."""
    counted = col(Action.status).in_(_each("counted", counted_count))
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
            counted,
        )
        .subquery("agent_usage")
    )
    customer = (
        select(func.count().label("n"))
        .where(
            col(Action.customer_id) == bindparam("customer_id"),
            col(Action.kind) == kind,
            col(Action.requested_at) >= bindparam("window_start", type_=UTCDateTime()),
            counted,
        )
        .subquery("customer_usage")
    )
    money_back = col(Action.kind).in_(_each("money_back", money_back_count))
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
        .where(col(Action.order_id) == bindparam("order_id"), counted)
        .subquery("order_usage")
    )
    return (
        select(
            agent.c.amount.label("agent_month_amount"),
            agent.c.n.label("agent_month_count"),
            customer.c.n.label("customer_count"),
            order.c.given_back.label("order_given_back"),
            order.c.same.label("order_same_kind"),
            order.c.promised.label("order_guarantee_grants"),
        )
        .select_from(agent)
        .join(customer, true())
        .join(order, true())
    )


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
    order_id: str | None,
    counted: Sequence[str],
    money_back: Sequence[str],
) -> Row[Any]:
    """What is already committed, in one statement (a decision waits on it). Only actions
    in a `counted` status count:

    - this agent's budget use of `kind` since `month_start` (guarantee grants excluded):
      `agent_month_amount`, `agent_month_count`;
    - this customer's grants of `kind` since `window_start` (0 without a window):
      `customer_count`;
    - on `order_id`, by anyone (0 without an order): money given back by the `money_back`
      kinds, actions of `kind`, and grants made under a guarantee: `order_given_back`,
      `order_same_kind`, `order_guarantee_grants`.

    Each part is an aggregate over its own index, so the row always comes back; the money
    comes back as a Decimal (summed as Money, and the CASE keeps its type).
    """
    values: dict[str, Any] = {
        "agent_id": agent_id,
        "kind": kind,
        "month_start": month_start,
        "customer_id": customer_id,
        "window_start": window_start if window_start is not None else _NO_WINDOW,
        "order_id": order_id,  # None: `order_id = NULL` holds for no row
    }
    values |= {f"counted_{i}": status for i, status in enumerate(counted)}
    values |= {f"money_back_{i}": kind for i, kind in enumerate(money_back)}
    statement = _usage_statement(len(counted), len(money_back))
    return session.execute(statement, values).one()


def by_ref(session: Session, ref: str) -> Row[Any] | None:
    """The action stored under this idempotency key, or None."""
    row: Row[Any] | None = session.execute(_select().where(col(Action.ref) == ref)).first()
    return row


def get_action(session: Session, action_id: int) -> Row[Any] | None:
    """One action, or None."""
    row: Row[Any] | None = session.execute(_select().where(col(Action.id) == action_id)).first()
    return row


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
    values: Mapping[str, Any],
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


def in_status(session: Session, status: str, limit: int = 200) -> Sequence[Row[Any]]:
    """Actions in `status`, oldest request first."""
    rows: Sequence[Row[Any]] = session.execute(
        _select()
        .where(col(Action.status) == status)
        .order_by(col(Action.requested_at), col(Action.id))
        .limit(limit)
    ).all()
    return rows


def count_for_customer(session: Session, customer_id: str, status: str) -> int:
    """How many of this customer's actions are in `status`."""
    return int(
        session.execute(
            select(func.count()).where(
                col(Action.customer_id) == customer_id, col(Action.status) == status
            )
        ).scalar_one()
    )


def count_in_status(session: Session, status: str) -> int:
    """How many actions are in `status`."""
    return int(
        session.execute(select(func.count()).where(col(Action.status) == status)).scalar_one()
    )


def customer_actions(
    session: Session, customer_id: str, since: datetime, limit: int = 50
) -> Sequence[Row[Any]]:
    """The customer's actions since `since`, newest first."""
    rows: Sequence[Row[Any]] = session.execute(
        _select()
        .where(col(Action.customer_id) == customer_id, col(Action.requested_at) >= _at(since))
        .order_by(col(Action.requested_at).desc(), col(Action.id).desc())
        .limit(limit)
    ).all()
    return rows


def taken_page(
    session: Session, customer_id: str, before: Before | None, limit: int, *, source: int
) -> Sequence[Row[Any]]:
    """Up to `limit` of the customer's actions asked for before `before`, newest first: the
    timeline's entries of `source`, keyed (requested_at, id). A keyset read backwards over
    `ix_action_customer`, whose rows end in the id (SQLite's rowid; PostgreSQL sorts only the
    actions of one moment)."""
    stmt = _select().where(col(Action.customer_id) == customer_id)
    if before is not None:
        stmt = stmt.where(older(col(Action.requested_at), col(Action.id), before, source))
    rows: Sequence[Row[Any]] = session.execute(
        stmt.order_by(col(Action.requested_at).desc(), col(Action.id).desc()).limit(limit)
    ).all()
    return rows


def decided_page(
    session: Session, customer_id: str, before: Before | None, limit: int, *, source: int
) -> Sequence[Row[Any]]:
    """Up to `limit` of the customer's actions that someone decided (a supervisor, or the
    requester withdrawing) before `before`, newest first: the timeline's entries of `source`,
    keyed (decided_at, id). A keyset read backwards over `ix_action_customer_decided`, which
    holds only these, so the actions the policy decided on its own are never read past."""
    stmt = _select().where(
        col(Action.customer_id) == customer_id, col(Action.decided_by).is_not(None)
    )
    if before is not None:
        stmt = stmt.where(older(col(Action.decided_at), col(Action.id), before, source))
    rows: Sequence[Row[Any]] = session.execute(
        stmt.order_by(col(Action.decided_at).desc(), col(Action.id).desc()).limit(limit)
    ).all()
    return rows


def given(
    session: Session, customer_id: str, since: datetime, *, status: str, kinds: Sequence[str]
) -> tuple[Decimal, int]:
    """Money of the customer's actions of `kinds` in `status` since `since`, and how many."""
    total, count = session.execute(
        select(func.coalesce(func.sum(col(Action.amount)), 0), func.count()).where(
            col(Action.customer_id) == customer_id,
            col(Action.requested_at) >= _at(since),
            col(Action.status) == status,
            col(Action.kind).in_(list(kinds)),
        )
    ).one()
    return to_money(total), int(count)  # summed as Money: already a Decimal


def decided_for(
    session: Session, agent_id: int, since: datetime, limit: int = 50
) -> Sequence[Row[Any]]:
    """This agent's actions that someone else decided at or after `since`, oldest first."""
    rows: Sequence[Row[Any]] = session.execute(
        _select()
        .where(
            col(Action.agent_id) == agent_id,
            col(Action.decided_at) >= _at(since),
            col(Action.decided_by) != agent_id,
        )
        .order_by(col(Action.decided_at), col(Action.id))
        .limit(limit)
    ).all()
    return rows
