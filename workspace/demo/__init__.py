"""Deterministic demo data: a believable shop's customers, orders, history and live queue.

A first run (and every demo, screenshot and benchmark) needs data that looks like a real
customer-care desk: threads that talk about the customer's actual orders, a queue whose SLA
clocks are partly red, partly amber, partly fine, and a few contacts already held by
colleagues. Everything comes from one seeded `random.Random` and is positioned relative to
`now`, so the same seed and `now` give byte-identical databases on SQLite and PostgreSQL.

Rows are generated per batch of customers and bulk-loaded (COPY on PostgreSQL) inside one
unit of work, so the default set builds in well under a second, and a large one (millions
of interactions, a customer with ten thousand) is generated in a child process while this
one loads, and never sits in memory at once.

The package is split by concern: `catalogue` (the shop's data), `team` (who works the
desk), `scenario` and the `threads*` modules (conversation templates), `plan` (the set's
shape), `drafts`, `values` and `dice` (what generation passes around and draws with),
`conversation`, `history`, `open_contacts` and `generate` (writing one customer),
`stream` (the set batch by batch, here or in a child process), `sizes` (the named sets)
and `build` (checks and the load).
"""

from __future__ import annotations

from workspace.demo.build import (
    DemoArgumentError,
    DemoDatabaseNotEmpty,
    DemoSummary,
    build_demo,
)
from workspace.demo.catalogue import AGENTS, CATALOGUE, CHANNELS, SHOP
from workspace.demo.stream import BATCH
from workspace.demo.threads import SCENARIOS
from workspace.progress import Progress

__all__ = [
    "AGENTS",
    "BATCH",
    "CATALOGUE",
    "CHANNELS",
    "SCENARIOS",
    "SHOP",
    "DemoArgumentError",
    "DemoDatabaseNotEmpty",
    "DemoSummary",
    "Progress",
    "build_demo",
]
