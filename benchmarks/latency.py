"""Moving in the queue, and opening the heaviest customer: the app's own latency.

Each sample runs from the key press that moved the cursor (`CursorView.moved_at`) to the
moment the context pane showed the new row's customer in full, digest and first timeline
page (`ContextPane.shown`). A move onto another contact of the customer already shown
loads nothing, so it is not a sample.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from benchmarks.common import BenchmarkError, median, percentile
from benchmarks.drive import Driven, workspace
from workspace.queue import QueueRow


@dataclass(frozen=True)
class QueueMoves:
    """`down` in the queue until the next customer is shown."""

    p50_ms: float
    """Median."""
    p95_ms: float
    """95th percentile."""
    samples: int
    """Moves that changed customer (the samples)."""
    same_customer: int
    """Moves onto another contact of the customer shown (not samples)."""


@dataclass(frozen=True)
class OpenCustomer:
    """A key onto the heavy customer's contact until their context is shown."""

    ms: float
    """Median over the repeats."""
    samples_ms: tuple[float, ...]
    """Every repeat, in order (the first is the coldest)."""
    index: int
    """The contact's place in the queue."""


async def _queue_moves(url: str, moves: int) -> QueueMoves:
    samples: list[float] = []
    same = 0
    async with workspace(url) as d:
        table, pane = d.table, d.pane
        while len(samples) < moves and table.cursor < table.total - 1:
            shown = pane.shown
            await d.pilot.press("down")
            row = await _loaded(d, table.cursor)
            if shown is not None and row.customer_id == shown[0]:
                same += 1
                continue
            moved = table.moved_at
            await d.settle(table.cursor, moved)
            assert pane.shown is not None
            samples.append((pane.shown[1] - moved) * 1000)
    if not samples:
        raise BenchmarkError("the queue has no two customers to move between")
    return QueueMoves(
        p50_ms=median(samples),
        p95_ms=percentile(samples, 95),
        samples=len(samples),
        same_customer=same,
    )


async def _loaded(d: Driven, index: int) -> QueueRow:
    table = d.table
    await d.until(lambda: table.row_at(index) is not None, f"queue row {index} to load")
    row = table.row_at(index)
    assert row is not None
    return row


def measure_queue_moves(url: str, moves: int = 100) -> QueueMoves:
    """Press `down` from the top of the queue until `moves` of them changed customer."""
    return asyncio.run(_queue_moves(url, moves))


async def _approach(d: Driven, ticket_id: str) -> tuple[int, int, str]:
    """A neighbour row of another customer, the row to land on, and the key between them."""
    desk = d.reading
    flt = d.screen.queue.queue_filter
    contact = await asyncio.to_thread(desk.contact, ticket_id)
    if contact is None or not contact.active:
        raise BenchmarkError(f"contact {ticket_id} is not in the queue")
    index = await asyncio.to_thread(desk.queue_position, flt, contact.key)
    start = max(0, index - 20)
    rows = await asyncio.to_thread(desk.queue_page, flt, offset=start, limit=41)
    mine = {i for i, r in enumerate(rows, start) if r.customer_id == contact.customer_id}
    first = last = index
    while first - 1 in mine:
        first -= 1
    while last + 1 in mine:
        last += 1
    # The rows just outside the customer's run of contacts are another customer's.
    if first > start:
        return first - 1, first, "down"
    if last < start + len(rows) - 1:
        return last + 1, last, "up"
    raise BenchmarkError(f"no other customer's contact is near {ticket_id} in the queue")


async def _open_customer(url: str, ticket_id: str, repeats: int) -> OpenCustomer:
    samples: list[float] = []
    async with workspace(url) as d:
        neighbour, target, key = await _approach(d, ticket_id)
        table = d.table
        for _ in range(repeats):
            table.select_index(neighbour)
            await d.settle(neighbour)
            await d.pilot.press(key)
            moved = table.moved_at
            await d.settle(target, moved)
            assert d.pane.shown is not None
            samples.append((d.pane.shown[1] - moved) * 1000)
    return OpenCustomer(ms=median(samples), samples_ms=tuple(samples), index=target)


def measure_open_customer(url: str, ticket_id: str, repeats: int = 5) -> OpenCustomer:
    """Land on contact `ticket_id` with one key from a neighbour of another customer, and
    wait for its customer's context; `repeats` times, coming back to the neighbour between."""
    return asyncio.run(_open_customer(url, ticket_id, repeats))
