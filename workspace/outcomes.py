"""How a contact can end: the dispositions an agent chooses from when resolving."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Disposition:
    """One way to close a contact."""

    key: str
    """What is stored (`resolved`, `escalated`, `pending`)."""
    status: str
    """The status it leaves the contact in."""
    label: str
    """What the agent reads when choosing."""


DISPOSITIONS: dict[str, Disposition] = {
    d.key: d
    for d in (
        Disposition("resolved", "resolved", "Resolved: the customer has what they needed"),
        Disposition("escalated", "resolved", "Escalated: handed to another team"),
        Disposition("pending", "pending", "Pending: waiting on the customer (back to the queue)"),
    )
}
