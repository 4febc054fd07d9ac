"""Deterministic demo data: a believable shop's customers, orders, history and live queue.

A first run (and every demo, screenshot and benchmark) needs data that looks like a real
customer-care desk: threads that talk about the customer's actual orders, a queue whose SLA
clocks are partly red, partly amber, partly fine, and a few contacts already held by
colleagues. Everything comes from one seeded `random.Random` and is positioned relative to
`now`, so the same seed and `now` give byte-identical databases on SQLite and PostgreSQL.

Rows are generated per batch of customers and inserted with Core executemany inside one
unit of work, so the default set builds in well under a second and a set of millions of
interactions never sits in memory at once.

The package is split by concern: `catalogue` (the shop's data), `scenario` and the
`threads*` modules (conversation templates), `plan` (the set's shape), `drafts` and
`values` (what generation passes around), `conversation`, `history`, `open_contacts` and
`generate` (writing one customer), and `build` (checks, batches and inserts).
"""

from __future__ import annotations

from workspace.demo.build import (
    BATCH,
    DemoArgumentError,
    DemoDatabaseNotEmpty,
    DemoSummary,
    Progress,
    build_demo,
)
from workspace.demo.catalogue import AGENTS, CATALOGUE, CHANNELS, SHOP
from workspace.demo.threads import SCENARIOS

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
