"""Policy decisions: `Actions.preview`, the verdict the action form shows as the agent types.

Each preview reads the customer, the order, the agent's month and the customer's window
of grants from the database, then decides; nothing is stored, so the set is unchanged.
The proposals are drawn with a fixed seed over the set's customers and their orders, and
cycle through every kind of action.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import col

from benchmarks.common import median, percentile
from storage.engine import Database
from storage.models import Customer, Order, OrderItem
from workspace.action_view import ActionRequest
from workspace.actions import Actions
from workspace.agents import resolve_agent
from workspace.errors import CareDeskError
from workspace.policy_store import effective_policy
from workspace.timefmt import utcnow

#: Amounts typed for the actions whose amount is typed.
_AMOUNTS = ("5", "12.50", "25", "40", "80", "150")


@dataclass(frozen=True)
class PolicyDecisions:
    """Time of one `Actions.preview`, database reads included."""

    p50_ms: float
    """Median."""
    p95_ms: float
    """95th percentile."""
    proposals: int
    """Previews timed."""
    verdicts: dict[str, int]
    """How many of each verdict (and `refused` for input the form would refuse)."""


def proposals(db: Database, count: int, seed: int = 11) -> list[ActionRequest]:
    """`count` proposals over customers drawn at random, on their own orders."""
    rng = random.Random(seed)
    with db.read.connect() as conn:
        customers = list(
            conn.execute(select(col(Customer.id)).order_by(col(Customer.id))).scalars()
        )
        chosen = rng.sample(customers, min(count, len(customers)))
        orders: dict[str, list[str]] = {}
        for order_id, customer_id in conn.execute(
            select(col(Order.id), col(Order.customer_id))
            .where(col(Order.customer_id).in_(chosen))
            .order_by(col(Order.id))
        ):
            orders.setdefault(customer_id, []).append(order_id)
        skus: dict[str, list[str]] = {}
        ids = [o for found in orders.values() for o in found]
        for order_id, sku in conn.execute(
            select(col(OrderItem.order_id), col(OrderItem.sku))
            .where(col(OrderItem.order_id).in_(ids))
            .order_by(col(OrderItem.order_id), col(OrderItem.line))
        ):
            skus.setdefault(order_id, []).append(sku)
    kinds = ("discount", "refund", "replacement", "store_credit", "reship", "cancel_order")
    requests = []
    for n in range(count):
        customer = chosen[n % len(chosen)]
        kind = kinds[n % len(kinds)]
        order = rng.choice(orders[customer]) if orders.get(customer) else None
        if order is None:
            kind = "discount" if n % 2 else "store_credit"
        requests.append(
            ActionRequest(
                kind=kind,
                customer_id=customer,
                order_id=order,
                amount=rng.choice(_AMOUNTS),
                items=tuple(skus.get(order, ())[:1]) if order else (),
                reason="benchmark: the parcel arrived late and the customer asked twice",
            )
        )
    return requests


def measure_policy_decisions(db: Database, count: int = 200) -> PolicyDecisions:
    """Preview `count` proposals as the set's first agent, under the policy in effect."""
    agent = resolve_agent(db, None)
    desk = Actions(db, agent, effective_policy(db, None), utcnow)
    times: list[float] = []
    verdicts: Counter[str] = Counter()
    for request in proposals(db, count):
        started = time.perf_counter()
        verdict: str
        try:
            verdict = desk.preview(request).verdict.verdict
        except CareDeskError:
            verdict = "refused"
        times.append((time.perf_counter() - started) * 1000)
        verdicts[verdict] += 1
    return PolicyDecisions(
        p50_ms=median(times),
        p95_ms=percentile(times, 95),
        proposals=len(times),
        verdicts=dict(sorted(verdicts.items())),
    )
