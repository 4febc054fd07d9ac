"""The SLA clocks of an import's contacts: a ticket's due time when its line gives none, and
a parked contact's clock started again when the file brings a new message from the customer.

A ticket without `sla_due_at` is due by the team's service levels in effect, read once for
the whole import. An inbound message the database does not hold yet, written on a contact
parked waiting on the customer after it was parked, puts the contact back in the queue just
as the customer writing in the workspace does (`desk.resume_parked`: the same audit entry
and change). Each chunk's messages are checked in two queries; the contacts are un-parked
once the last chunk is written, inside the import's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session

from storage import upsert
from workspace.audit_trail import AuditTrail
from workspace.desk import resume_parked
from workspace.progress import UNWATCHED, Progress, phase
from workspace.sla import ServiceLevels
from workspace.vocabulary import ContactStatus, Direction


class ContactClocks:
    """What one import does about its contacts' SLA clocks, chunk by chunk."""

    def __init__(self, session: Session, levels: ServiceLevels) -> None:
        self.session = session
        self.levels = levels
        self.wrote: dict[str, datetime] = {}
        """Each parked contact the file has a new message from the customer on, and when
        the first one written after its parking was written."""

    def tickets(self, rows: Sequence[dict[str, Any]]) -> None:
        """Before a chunk's tickets are written: give those without a due time the one of
        the team's service levels, and forget the messages noted on the contacts these lines
        state again (a later line wins, as if the file were imported line by line)."""
        for row in rows:
            if row["sla_due_at"] is None:
                row["sla_due_at"] = self.levels.resolution_due(
                    row["channel"], row["priority"], row["opened_at"]
                )
            self.wrote.pop(row["id"], None)

    def interactions(self, rows: Sequence[dict[str, Any]]) -> None:
        """Before a chunk's interactions are written (after its tickets): note each new
        message from the customer on a parked contact, written after it was parked."""
        inbound = [r for r in rows if r["direction"] == Direction.INBOUND and r["ticket_id"]]
        if not inbound:
            return
        stored = upsert.existing_refs(self.session, (r["ref"] for r in inbound))
        new = [r for r in inbound if r["ref"] not in stored]  # a re-import changes nothing
        if not new:
            return
        tickets = {r["ticket_id"] for r in new}
        parked = upsert.parked_since(self.session, tickets, ContactStatus.PENDING)
        for row in new:
            ticket_id, at = row["ticket_id"], row["at"]
            since = parked.get(ticket_id)
            if since is None or at <= since:
                continue
            first = self.wrote.get(ticket_id)
            self.wrote[ticket_id] = at if first is None else min(first, at)

    def resume(self, now: datetime, trail: AuditTrail, progress: Progress = UNWATCHED) -> int:
        """After the last chunk: put each contact noted back in the queue, audited by
        `trail` at `now`, telling `progress` (when there are any); returns how many were."""
        if not self.wrote:
            return 0
        resumed = 0
        with phase(progress, "un-parking contacts", len(self.wrote), unit="contacts"):
            for ticket_id, at in sorted(self.wrote.items()):
                resumed += resume_parked(self.session, ticket_id, wrote_at=at, now=now, trail=trail)
                progress.advanced(1)
        return resumed
