"""The shape of a conversation template: a kind of support contact and the ways it goes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScenarioPath:
    """One coherent way a thread goes after the customer's first message."""

    reply: str
    followup: str
    answer: str
    note: str


@dataclass(frozen=True)
class Scenario:
    """A kind of support conversation, written with placeholders for the customer's data."""

    key: str
    subject: str
    topic: str
    opens: tuple[str, ...]
    paths: tuple[ScenarioPath, ...]
    asks: tuple[str, ...]
    thanks_later: tuple[str, ...] = ()
    max_len: int = 6
    paired: bool = False
    """Each opening message has its own path (`paths[i]` answers `opens[i]`)."""
