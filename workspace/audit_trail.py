"""The one audit writer: every use case records its changes of state through it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlmodel import Session

from storage.audit import append_audit
from workspace.vocabulary import AuditEvent, Entity


class AuditTrail:
    """Appends entries for one actor to the hash-chained audit log, inside the caller's
    unit of work (so an entry is written exactly when the change it records is)."""

    def __init__(self, actor: str) -> None:
        self.actor = actor
        """Who acts: an agent's login name, or whoever installs a policy."""

    def record(
        self,
        session: Session,
        at: datetime,
        event: AuditEvent,
        entity: Entity,
        entity_id: str,
        *,
        before: Mapping[str, object] | None = None,
        after: Mapping[str, object] | None = None,
    ) -> int:
        """Append one entry; returns its id."""
        return append_audit(
            session,
            at=at,
            actor=self.actor,
            action=event.value,
            entity=entity.value,
            entity_id=entity_id,
            before=before,
            after=after,
        )
