"""Building the demo: check the arguments, plan the set, and load it batch by batch.

The whole set goes in through one bulk load (`storage.bulk`) inside one unit of work, a
batch of customers at a time: the default set builds in well under a second, and a large
one (millions of interactions) streams through without ever sitting in memory at once,
generated in a child process while this one loads (see `stream`). History search is
indexed in bulk rather than row by row.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text

from storage.bulk import bulk_load, has_data, insert_rows, lock_for_load
from storage.engine import Database
from storage.uow import unit_of_work
from workspace.demo.stream import BATCH, DemoSpec, Totals, generate, generate_elsewhere
from workspace.demo.team import make_team
from workspace.errors import CareDeskError
from workspace.progress import UNWATCHED, Progress, phase

#: Sets of more customers than this are generated in a child process while this one loads
#: (see `stream`); smaller ones would spend longer starting it than they save.
GENERATE_ELSEWHERE_ABOVE = 5 * BATCH


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
    heavy_customer: str | None = None
    """The customer given `heavy_interactions` interactions, when there is one."""
    actions: int = 0
    """Actions the demo's agents took for recently resolved contacts (through the policy,
    the approvals and the audit log, after the rows were loaded)."""

    @property
    def records(self) -> int:
        """Rows of every kind together."""
        return (
            self.agents
            + self.customers
            + self.orders
            + self.order_items
            + self.interactions
            + self.tickets
        )


def _check(
    customers: int,
    contacts: int,
    interactions: int | None,
    orders: int | None,
    agents: int | None,
    heavy: int,
) -> None:
    """Refuse counts that no demo set can meet, before anything is generated."""
    if min(customers, contacts, heavy) < 0 or (orders is not None and orders < 0):
        raise DemoArgumentError("customers, contacts, orders and heavy cannot be negative")
    if contacts and not customers:
        raise DemoArgumentError("open contacts need customers: give customers > 0")
    if heavy and not customers:
        raise DemoArgumentError("a heavy customer needs customers: give customers > 0")
    if interactions is not None and interactions < contacts:
        raise DemoArgumentError(f"interactions must be at least contacts ({contacts}): one each")
    if agents is not None and agents < 6:
        raise DemoArgumentError("agents must be at least 6: the named demo team")
    if heavy and customers == 1:
        if heavy < contacts:
            raise DemoArgumentError(f"the only customer has every contact: heavy >= {contacts}")
        if interactions:
            raise DemoArgumentError("the only customer is the heavy one: give more customers")


def build_demo(
    db: Database,
    *,
    customers: int = 300,
    contacts: int = 400,
    interactions: int | None = None,
    orders: int | None = None,
    agents: int | None = None,
    heavy_interactions: int = 0,
    seed: int = 7,
    now: datetime | None = None,
    progress: Progress | None = None,
    act: bool = True,
) -> DemoSummary:
    """Fill an empty database with demo data in one transaction; returns what it inserted.

    `contacts` open or pending contacts make the queue; resolved history comes on top.
    `interactions` None gives each customer 0 to 60 messages (about 25 on average); a number
    is spread over the customers and met exactly (it must cover one message per contact).
    `orders` defaults to about 3.3 per customer. `agents` None is the six named agents; a
    larger number adds generated colleagues after them. `heavy_interactions` gives the
    first customer exactly that many interactions over the years, on top of the others
    (and one of the open contacts). The same arguments always give the same rows; SLA
    clocks are set relative to `now` (the current time by default). `progress` is told
    each phase; the records it is told of add up to the summary's `records`. With `act`,
    the demo's agents then take a few actions for recently resolved contacts (some asked
    for, decided or left waiting), through the policy and the audit log.
    """
    if now is None:
        now = datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    _check(customers, contacts, interactions, orders, agents, heavy_interactions)
    spec = DemoSpec(
        customers, contacts, interactions, orders, agents, heavy_interactions, seed, now
    )
    members = make_team(agents, seed).members
    if progress is None:
        progress = UNWATCHED
    counts = {"orders": 0, "items": 0, "tickets": 0, "interactions": 0}
    done = 0  # customers

    with unit_of_work(db) as session:
        lock_for_load(session)
        if has_data(session):
            raise DemoDatabaseNotEmpty("demo data goes into an empty database; this one has data")
        conn = session.connection()
        with phase(progress, "adding the team", len(members)):
            insert_rows(
                conn, "agent", ({"name": n, "display_name": d, "role": r} for n, d, r in members)
            )
            progress.advanced(len(members))
        agent_ids = {name: id_ for id_, name in conn.execute(text("SELECT id, name FROM agent"))}
        with bulk_load(conn, defer_text_index=True) as load:
            if customers > GENERATE_ELSEWHERE_ABOVE:  # generate on the other core meanwhile
                source = generate_elsewhere(spec, agent_ids)
            else:
                source = generate(spec, agent_ids)
            # The records each customer brings vary (one may have ten thousand messages),
            # and only customers are known in advance: the phase goes by customers and
            # counts the records made on the way.
            with closing(source):
                progress.started("planning the set")
                for batch in source:
                    if isinstance(batch, Totals):
                        progress.finished("planning the set")
                        progress.started("making records", customers, unit="customers")
                        continue
                    for table, columns, rows in batch.tables():
                        load.write(table, columns, rows)
                    new = batch.customers_done - done
                    made = sum(batch.counts.values()) - sum(counts.values())
                    progress.advanced(new, records=new + made)
                    done, counts = batch.customers_done, batch.counts
                progress.finished("making records")
            with phase(progress, "building search index"):
                load.finish()
            progress.started("committing")  # the unit of work commits as the block ends
    progress.finished("committing")
    # After the rows commit: actions go through the policy, the approvals and the audit
    # log as an agent's do, each in its own unit of work.
    from workspace.demo.actions import take_demo_actions

    acted = take_demo_actions(db, now) if act else None

    return DemoSummary(
        agents=len(members),
        customers=customers,
        orders=counts["orders"],
        order_items=counts["items"],
        interactions=counts["interactions"],
        tickets=counts["tickets"],
        heavy_customer="C-10001" if heavy_interactions else None,
        actions=acted.taken if acted else 0,
    )
