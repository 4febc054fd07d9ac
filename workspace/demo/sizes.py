"""The named demo sets `caredesk demo --size` builds, as arguments to `build_demo`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoSize:
    """The figures of one named set; None leaves the figure to `build_demo`'s default."""

    customers: int
    """Customers."""
    contacts: int
    """Open and pending contacts in the queue."""
    interactions: int | None
    """Interactions of every customer but the heavy one."""
    orders: int | None
    """Orders."""
    agents: int | None
    """Agents; None is the six named ones."""
    heavy_interactions: int
    """Interactions of the one heavy customer; 0 for none."""


SIZES: dict[str, DemoSize] = {
    # What a first run builds: one desk's day-one data.
    "demo": DemoSize(300, 400, None, None, None, 0),
    # A large shop's desk, for scale and benchmarks.
    "large": DemoSize(100_000, 50_000, 2_000_000, 300_000, 200, 10_000),
}
