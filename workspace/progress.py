"""How a long job (an import, a demo build) tells whoever watches how far it has got.

The job says when each phase starts, how far it gets and when it is done; how that is shown
(a bar on a terminal, nothing at all for a script) is the caller's business. Phases come one
at a time, in order.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

RECORDS = "records"
"""The unit of a phase that counts records (lines of a file, rows made)."""


class Progress(Protocol):
    """What a job calls as it goes."""

    def started(self, phase: str, total: int | None = None, unit: str = RECORDS) -> None:
        """`phase` began: it will take `total` `unit`s (None: not known beforehand)."""

    def advanced(self, n: int, records: int | None = None) -> None:
        """The current phase got `n` units further, on the way reading or making `records`
        records (`n` itself in a phase that counts records)."""

    def finished(self, phase: str) -> None:
        """`phase` is done."""


class Unwatched:
    """The progress of a job nobody watches: every call does nothing."""

    def started(self, phase: str, total: int | None = None, unit: str = RECORDS) -> None:
        """Nothing to show."""

    def advanced(self, n: int, records: int | None = None) -> None:
        """Nothing to show."""

    def finished(self, phase: str) -> None:
        """Nothing to show."""


UNWATCHED = Unwatched()
"""The progress used when a caller gives none."""


@contextmanager
def phase(
    progress: Progress, name: str, total: int | None = None, unit: str = RECORDS
) -> Iterator[None]:
    """Run the block as phase `name`; it is finished only if the block ends without raising."""
    progress.started(name, total, unit)
    yield
    progress.finished(name)
