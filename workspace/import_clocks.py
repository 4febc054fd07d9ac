"""The SLA clocks of an import's contacts: a ticket's due time when its line gives none.

A ticket without `sla_due_at` is due by the team's service levels in effect, read once for
the whole import.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from workspace.sla import ServiceLevels


class ContactClocks:
    """What one import does about its contacts' SLA clocks, chunk by chunk."""

    def __init__(self, session: Session, levels: ServiceLevels) -> None:
        self.session = session
        self.levels = levels

    def tickets(self, rows: Sequence[dict[str, Any]]) -> None:
        """Before a chunk's tickets are written: give those without a due time the one of
        the team's service levels."""
        for row in rows:
            if row["sla_due_at"] is None:
                row["sla_due_at"] = self.levels.resolution_due(
                    row["channel"], row["priority"], row["opened_at"]
                )
