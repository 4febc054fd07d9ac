"""A follow-up as the workspace shows it: light enough for the widgets that draw it, which
load before the database layers do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from workspace.text import one_line
from workspace.timefmt import when
from workspace.vocabulary import FollowUpKind, FollowUpStatus, member

OVERDUE_AFTER = timedelta(minutes=30)
"""A follow-up due this long and not done is overdue (the monitor counts it)."""


@dataclass(frozen=True)
class FollowUpRecord:
    """A follow-up as the workspace shows it."""

    id: int
    ticket_id: str
    customer_id: str
    owner_id: int | None
    owner_name: str | None
    """None: the team's."""
    kind: str
    note: str
    """The agent's words (untrusted text)."""
    due_at: datetime
    status: FollowUpStatus
    created_at: datetime

    @property
    def label(self) -> str:
        kind = member(FollowUpKind, self.kind)
        return kind.label if kind is not None else one_line(self.kind)

    def overdue(self, now: datetime) -> bool:
        """Due for `OVERDUE_AFTER` and not done."""
        return self.status is not FollowUpStatus.DONE and now - self.due_at >= OVERDUE_AFTER

    def line(self, now: datetime) -> str:
        """`Call the customer back, due 14:30 (Alex): "after the courier calls"`."""
        owner = one_line(self.owner_name) if self.owner_name else "the team"
        state = "overdue since" if self.overdue(now) else "due"
        note = f': "{one_line(self.note)}"' if self.note else ""
        on = one_line(self.ticket_id)
        return f"{self.label}, {state} {when(self.due_at, now)} ({owner}) on {on}{note}"


def follow_up_record(r: Any) -> FollowUpRecord:
    """A follow-up from a row of `storage.follow_up_queries`."""
    return FollowUpRecord(
        id=r.id,
        ticket_id=r.ticket_id,
        customer_id=r.customer_id,
        owner_id=r.owner_id,
        owner_name=r.owner_name,
        kind=r.kind,
        note=r.note,
        due_at=r.due_at,
        status=FollowUpStatus(r.status),
        created_at=r.created_at,
    )
