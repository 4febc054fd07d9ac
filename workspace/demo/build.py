"""Building the demo: check the arguments, plan the set, and insert it batch by batch.

The whole set goes in with Core executemany inside one unit of work, a batch of customers
at a time, so the default set builds in well under a second and a set of millions of
interactions never sits in memory at once.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text

from storage.bulk import has_data, insert_rows, lock_for_load
from storage.engine import Database
from storage.uow import unit_of_work
from workspace.demo.catalogue import AGENTS
from workspace.demo.drafts import Batch, OpenPlan
from workspace.demo.generate import Builder
from workspace.demo.plan import allocate, plan_open
from workspace.errors import CareDeskError

Progress = Callable[[str, int, int], None]
"""Called as progress(stage, done, total) after each batch is inserted."""

#: Customers generated (and inserted) together; bounds memory on very large sets.
BATCH = 1_000


class DemoDatabaseNotEmpty(CareDeskError):
    """The database already has data; demo data only goes into an empty one.

    When two processes race to fill a new database, the loser gets this: the database is
    filled all the same, so a caller that only wants *some* data can carry on.
    """


class DemoArgumentError(CareDeskError, ValueError):
    """A count given to `build_demo` that no demo set can meet (negative, or too small).

    Still a `ValueError`, as these were before they got their own type.
    """


@dataclass(frozen=True)
class DemoSummary:
    """How many rows of each kind the demo build inserted."""

    agents: int
    """Agents (the demo team)."""
    customers: int
    """Customers."""
    orders: int
    """Orders."""
    order_items: int
    """Order lines."""
    interactions: int
    """Messages and notes on every channel."""
    tickets: int
    """Contacts: the open and pending queue plus resolved history."""


def build_demo(
    db: Database,
    *,
    customers: int = 300,
    contacts: int = 400,
    interactions: int | None = None,
    orders: int | None = None,
    seed: int = 7,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> DemoSummary:
    """Fill an empty database with demo data in one transaction; returns what it inserted.

    `contacts` open or pending contacts make the queue; resolved history comes on top.
    `interactions` None gives each customer 0 to 60 messages (about 25 on average); a number
    is spread over the customers and met exactly (it must cover one message per contact).
    `orders` defaults to about 3.3 per customer. The same `seed` and `now` always give the
    same rows; SLA clocks are set relative to `now` (the current time by default).
    """
    if now is None:
        now = datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    if customers < 0 or contacts < 0 or (orders is not None and orders < 0):
        raise DemoArgumentError("customers, contacts and orders cannot be negative")
    if contacts and not customers:
        raise DemoArgumentError("open contacts need customers: give customers > 0")
    if interactions is not None and interactions < contacts:
        raise DemoArgumentError(f"interactions must be at least contacts ({contacts}): one each")

    rng = random.Random(seed)
    total_orders = round(customers * 3.3) if orders is None else orders
    plans = plan_open(rng, contacts)
    by_customer: dict[int, list[OpenPlan]] = {}
    for plan in plans:
        by_customer.setdefault(rng.randrange(customers), []).append(plan)
    del plans
    open_counts = [len(by_customer.get(i, ())) for i in range(customers)]

    with_open = sum(1 for c in open_counts if c)
    order_min = [1 if c else 0 for c in open_counts] if total_orders >= with_open else None
    order_counts = allocate(
        rng,
        total_orders,
        [rng.expovariate(1.0) for _ in range(customers)],
        order_min or [0] * customers,
    )
    if interactions is None:
        budgets = [max(c, round(rng.triangular(0, 60, 15))) for c in open_counts]
    else:
        weights = [rng.triangular(0, 60, 15) for _ in range(customers)]
        budgets = allocate(rng, interactions, weights, open_counts)
    total_interactions = sum(budgets)

    with unit_of_work(db) as session:
        lock_for_load(session)
        if has_data(session):
            raise DemoDatabaseNotEmpty("demo data goes into an empty database; this one has data")
        conn = session.connection()
        insert_rows(
            conn, "agent", ({"name": n, "display_name": d, "role": r} for n, d, r in AGENTS)
        )
        agent_ids = {name: id_ for id_, name in conn.execute(text("SELECT id, name FROM agent"))}
        if progress:
            progress("agents", len(AGENTS), len(AGENTS))
        builder = Builder(rng, now, agent_ids, contacts)
        open_done = 0
        for start in range(0, customers, BATCH):
            batch = Batch()
            for i in range(start, min(start + BATCH, customers)):
                plans_i = by_customer.get(i, [])
                builder.customer(batch, i, order_counts[i], budgets[i], plans_i)
                open_done += len(plans_i)
            insert_rows(conn, "customer", batch.customers)
            insert_rows(conn, "orders", batch.orders)
            insert_rows(conn, "order_item", batch.items)
            insert_rows(conn, "ticket", batch.tickets)
            insert_rows(conn, "interaction", batch.interactions)
            if progress:
                done = min(start + BATCH, customers)
                progress("customers", done, customers)
                progress("orders", builder.counts["orders"], total_orders)
                progress("interactions", builder.counts["interactions"], total_interactions)
                progress("contacts", open_done, contacts)

    return DemoSummary(
        agents=len(AGENTS),
        customers=customers,
        orders=builder.counts["orders"],
        order_items=builder.counts["items"],
        interactions=builder.counts["interactions"],
        tickets=builder.counts["tickets"],
    )
