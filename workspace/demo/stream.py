"""Generating a demo set batch by batch: here, or in a child process while this one loads.

Everything random comes from one seeded generator, in one order: first the plan of the
set (who has which open contact, how many orders and messages each customer gets), then
the customers one by one. `generate` runs all of it in this process. A large set spends
about as long generating as the database spends storing, so `generate_elsewhere` runs the
very same `generate` in a child process and hands its batches over as they come: the two
overlap on two cores, and the rows are the same either way. (A thread would not do:
sqlite3 gives up the GIL for every row it inserts, and the generator would hold it.)
"""

from __future__ import annotations

import pickle
import random
import subprocess
import sys
import traceback
from collections.abc import Generator
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from workspace.demo.drafts import Batch, OpenPlan
from workspace.demo.generate import HEAVY_ORDERS_PER_MESSAGE, Builder
from workspace.demo.plan import allocate, plan_open
from workspace.demo.team import Team, make_team

#: Customers generated (and loaded) together; bounds memory on very large sets.
BATCH = 1_000


@dataclass(frozen=True)
class DemoSpec:
    """What to generate: the arguments of `build_demo`, already checked."""

    customers: int
    """Customers."""
    contacts: int
    """Open and pending contacts."""
    interactions: int | None
    """Interactions of every customer but the heavy one; None for 0 to 60 each."""
    orders: int | None
    """Orders; None for about 3.3 a customer."""
    agents: int | None
    """Agents; None for the six named ones."""
    heavy: int
    """Interactions of the heavy customer (the first one); 0 for none."""
    seed: int
    """Seed of the one random generator everything is drawn from."""
    now: datetime
    """The moment SLA clocks and histories are set against (aware, UTC)."""


@dataclass(frozen=True)
class Totals:
    """What the whole set will hold, known once it is planned; comes before any batch."""

    orders: int
    """Orders."""
    interactions: int
    """Interactions."""


@dataclass(frozen=True)
class _Failed:
    """What the child process sends instead of a batch when generation fails."""

    error: BaseException
    """The exception, raised again in the parent."""
    trace: str
    """Where it happened in the child, added to it as a note."""


@dataclass(frozen=True)
class _Plan:
    """The shape of the set, drawn before any customer is generated."""

    open_by_customer: dict[int, list[OpenPlan]]
    """The open contacts of each customer (by index) that has any."""
    orders: list[int]
    """Orders of each customer."""
    interactions: list[int]
    """Interactions of each customer."""


def _plan(spec: DemoSpec, rng: random.Random, team: Team) -> _Plan:
    """Who has which open contact, and how many orders and interactions each customer has."""
    customers, contacts, heavy = spec.customers, spec.contacts, spec.heavy
    total_orders = round(customers * 3.3) if spec.orders is None else spec.orders
    by_customer: dict[int, list[OpenPlan]] = {}
    for k, plan in enumerate(plan_open(rng, contacts, team.holders)):
        if not heavy:
            who = rng.randrange(customers)
        else:  # the heavy customer has the first contact (all of them if it is alone)
            who = 0 if k == 0 or customers == 1 else 1 + rng.randrange(customers - 1)
        by_customer.setdefault(who, []).append(plan)
    open_counts = [len(by_customer.get(i, ())) for i in range(customers)]

    with_open = sum(1 for c in open_counts if c)
    order_min = [1 if c else 0 for c in open_counts] if total_orders >= with_open else None
    minimum = order_min or [0] * customers
    if heavy:
        spare = total_orders - sum(minimum)
        minimum[0] += max(0, min(round(heavy * HEAVY_ORDERS_PER_MESSAGE), spare))
    weights = [rng.expovariate(1.0) for _ in range(customers)]
    order_counts = allocate(rng, total_orders, weights, minimum)
    if spec.interactions is None:
        budgets = [max(c, round(rng.triangular(0, 60, 15))) for c in open_counts]
        if heavy:
            budgets[0] = heavy
    else:
        weights = [rng.triangular(0, 60, 15) for _ in range(customers)]
        if heavy:
            rest = allocate(rng, spec.interactions, weights[1:], open_counts[1:])
            budgets = [heavy, *rest]
        else:
            budgets = allocate(rng, spec.interactions, weights, open_counts)
    return _Plan(by_customer, order_counts, budgets)


def generate(spec: DemoSpec, agent_ids: dict[str, int]) -> Generator[Totals | Batch, None, None]:
    """The set's `Totals`, then its rows a `Batch` of customers at a time."""
    rng = random.Random(spec.seed)
    team = make_team(spec.agents, spec.seed)
    plan = _plan(spec, rng, team)
    yield Totals(orders=sum(plan.orders), interactions=sum(plan.interactions))
    builder = Builder(rng, spec.now, agent_ids, spec.contacts, team, spec.seed)
    open_done = 0
    for start in range(0, spec.customers, BATCH):
        batch = Batch()
        for i in range(start, min(start + BATCH, spec.customers)):
            plans = plan.open_by_customer.get(i, [])
            heavy = i == 0 and spec.heavy > 0
            builder.customer(batch, i, plan.orders[i], plan.interactions[i], plans, heavy)
            open_done += len(plans)
        batch.customers_done = min(start + BATCH, spec.customers)
        batch.open_done = open_done
        batch.counts = dict(builder.counts)
        yield batch


#: What the child process runs: take the parent's import path, then serve one set.
_CHILD = (
    "import pickle, sys\n"
    "sys.path[:] = pickle.load(sys.stdin.buffer)\n"
    "from workspace.demo.stream import serve\n"
    "serve(sys.stdin.buffer, sys.stdout.buffer)\n"
)


def serve(source: IO[bytes], out: IO[bytes]) -> None:
    """The child process: read what to generate, write every item (or what went wrong)."""
    spec, agent_ids = pickle.load(source)
    try:
        for item in generate(spec, agent_ids):
            _send(out, item)
    except BaseException as error:  # noqa: BLE001 - handed to the parent, which raises it
        with suppress(OSError):  # the parent stopped reading: it has its own error
            _send(out, _Failed(error, traceback.format_exc()))


def _send(out: IO[bytes], item: object) -> None:
    """One item, pickled whole before it is written: the pickling overlaps the reader's
    work on the item before, and the pipe only ever carries finished bytes."""
    data = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(len(data).to_bytes(8, "big"))
    out.write(data)
    out.flush()


def _receive(source: IO[bytes]) -> object:
    """The next item `_send` wrote; EOFError when there are no more."""
    size = source.read(8)
    if len(size) < 8:
        raise EOFError("the demo generator process sent nothing more")
    data = source.read(int.from_bytes(size, "big"))
    if len(data) < int.from_bytes(size, "big"):
        raise EOFError("the demo generator process stopped half-way through a batch")
    return pickle.loads(data)


def generate_elsewhere(
    spec: DemoSpec, agent_ids: dict[str, int]
) -> Generator[Totals | Batch, None, None]:
    """What `generate` yields, made by a child process a batch ahead of the caller.

    The child is this same Python with this import path (no fork: the caller may run
    threads). It works on the next batch while the caller loads this one, and waits for
    the caller to take it, so memory stays bounded. A failure in the child is raised here;
    when the caller stops early, the child is stopped too.
    """
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        with child.stdin:
            pickle.dump(sys.path, child.stdin)
            pickle.dump((spec, agent_ids), child.stdin)
        while True:
            try:
                item = _receive(child.stdout)
            except EOFError:
                break
            if isinstance(item, _Failed):
                item.error.add_note(f"in the demo generator process:\n{item.trace}")
                raise item.error
            if not isinstance(item, Totals | Batch):
                raise TypeError(f"the demo generator process sent {type(item).__name__}")
            yield item
        if child.wait() != 0:
            raise RuntimeError(f"the demo generator process stopped (exit code {child.returncode})")
    finally:
        child.stdout.close()
        if child.poll() is None:
            child.kill()
        child.wait()
