"""The append-only audit log, each entry chained to the one before by its hash."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from storage.models import AuditEntry
from storage.uow import lock_for_audit

GENESIS = "0" * 64


def _canonical(value: dict[str, Any] | None) -> str | None:
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def entry_hash(
    prev_hash: str,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    before: str | None,
    after: str | None,
) -> str:
    """The hash of one entry over its fields and the previous entry's hash."""
    payload = json.dumps(
        [prev_hash, at.isoformat(), actor, action, entity, entity_id, before, after],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append_audit(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry inside the caller's transaction."""
    lock_for_audit(session)
    last = session.exec(
        select(AuditEntry.hash).order_by(col(AuditEntry.id).desc()).limit(1)
    ).first()
    prev = last or GENESIS
    before_s, after_s = _canonical(before), _canonical(after)
    at = at.astimezone(UTC)
    digest = entry_hash(prev, at, actor, action, entity, entity_id, before_s, after_s)
    entry = AuditEntry(
        at=at,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=before_s,
        after=after_s,
        prev_hash=prev,
        hash=digest,
    )
    session.add(entry)
    session.flush()
    return entry
