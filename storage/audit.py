"""The append-only audit log, each entry chained to the one before by its hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, text
from sqlalchemy import select as select_columns
from sqlmodel import Session, col

from storage.models import AuditEntry
from storage.types import UTCDateTime
from storage.uow import lock_for_audit

GENESIS = "0" * 64


def _canonical(value: Mapping[str, Any] | None) -> str | None:
    if value is None:
        return None
    return json.dumps(dict(value), sort_keys=True, default=str, ensure_ascii=False)


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


#: The chain's head (the newest entry's hash), and the insert of a new entry: built once,
#: since every claim, reply and decision runs them while it holds the chain's lock.
_HEAD = select_columns(col(AuditEntry.hash)).order_by(col(AuditEntry.id).desc()).limit(1)
_INSERT = insert(AuditEntry.__table__).returning(col(AuditEntry.id))  # type: ignore[attr-defined]
_PG_CHAINED_INSERT = text(
    """
    INSERT INTO audit_entry (at, actor, action, entity, entity_id, before, after, prev_hash, hash)
    SELECT :at, :actor, :action, :entity, :entity_id, :before, :after, head.prev,
           encode(sha256(convert_to('["' || head.prev || '", ' || :tail, 'UTF8')), 'hex')
    FROM (SELECT coalesce(
        (SELECT hash FROM audit_entry ORDER BY id DESC LIMIT 1), :genesis) AS prev) AS head
    RETURNING id
    """
).bindparams(bindparam("at", type_=UTCDateTime()))


def append_audit(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> int:
    """Append one entry inside the caller's transaction; returns its id.

    Everything that does not need the chain's head is prepared before its lock is taken:
    the lock is held until the caller commits, and every writer of the team waits on it.
    """
    before_s, after_s = _canonical(before), _canonical(after)
    at = at.astimezone(UTC)
    values: dict[str, Any] = {
        "at": at,
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "before": before_s,
        "after": after_s,
    }
    lock_for_audit(session)
    if session.get_bind().dialect.name == "postgresql":
        # One statement reads the head and chains to it, hashing as `entry_hash` does: the
        # head is hex, so the payload is its JSON string followed by the rest as Python
        # encodes it. It runs after the lock statement, so it sees the newest entry.
        fields = [at.isoformat(), actor, action, entity, entity_id, before_s, after_s]
        tail = json.dumps(fields, ensure_ascii=False)[1:]
        chained = session.execute(_PG_CHAINED_INSERT, values | {"genesis": GENESIS, "tail": tail})
        return int(chained.scalar_one())
    prev = session.execute(_HEAD).scalar() or GENESIS
    digest = entry_hash(prev, at, actor, action, entity, entity_id, before_s, after_s)
    inserted = session.execute(_INSERT, values | {"prev_hash": prev, "hash": digest})
    return int(inserted.scalar_one())


@dataclass(frozen=True)
class BrokenLink:
    """The first entry whose link in the chain does not hold, and what is wrong with it."""

    entry_id: int
    """The entry's id."""
    at: datetime
    """When it says it was written (aware UTC), as stored."""
    actor: str
    """Who it says acted, as stored."""
    action: str
    """What it says was done, as stored."""
    entity: str
    """The kind of thing it says was acted on, as stored."""
    entity_id: str
    """Which one, as stored."""
    problem: str
    """What is wrong, as a plain sentence."""


@dataclass(frozen=True)
class ChainReport:
    """The outcome of walking the audit log from its first entry."""

    entries: int
    """How many entries were checked and found intact (all of them, when nothing is broken)."""
    broken: BrokenLink | None
    """The first broken link, or None when the whole chain holds."""


_COLUMNS = (
    col(AuditEntry.id),
    col(AuditEntry.at),
    col(AuditEntry.actor),
    col(AuditEntry.action),
    col(AuditEntry.entity),
    col(AuditEntry.entity_id),
    col(AuditEntry.before),
    col(AuditEntry.after),
    col(AuditEntry.prev_hash),
    col(AuditEntry.hash),
)


def head(session: Session, *, up_to: int | None = None) -> tuple[int, int, str] | None:
    """(count, last id, last hash) of the log, or of its entries up to and including `up_to`.

    None when there is no such entry. One count and one lookup down the primary key: what a
    checkpoint records, and what `caredesk audit verify --checkpoint` compares it with.
    """
    count_query = select_columns(func.count()).select_from(AuditEntry)
    last_query = select_columns(col(AuditEntry.id), col(AuditEntry.hash))
    if up_to is not None:
        count_query = count_query.where(col(AuditEntry.id) <= up_to)
        last_query = last_query.where(col(AuditEntry.id) <= up_to)
    last = session.execute(last_query.order_by(col(AuditEntry.id).desc()).limit(1)).first()
    if last is None:
        return None
    count = session.execute(count_query).scalar_one()
    return count, last[0], last[1]


def entry_hash_at(session: Session, entry_id: int) -> str | None:
    """The stored hash of entry `entry_id`, or None when there is no such entry."""
    return session.execute(
        select_columns(col(AuditEntry.hash)).where(col(AuditEntry.id) == entry_id)
    ).scalar_one_or_none()


def entry_time(session: Session, entry_id: int) -> datetime | None:
    """When entry `entry_id` says it was written (aware UTC), or None when there is none."""
    at = session.execute(
        select_columns(col(AuditEntry.at)).where(col(AuditEntry.id) == entry_id)
    ).scalar_one_or_none()
    return None if at is None else at.astimezone(UTC)


def _short(digest: str) -> str:
    return f"{digest[:12]}…"


def verify_chain(session: Session, *, batch: int = 1000) -> ChainReport:
    """Recompute every entry's hash in id order and stop at the first broken link.

    Pages by id (`WHERE id > :last ORDER BY id LIMIT batch`), so a log of millions of rows
    is never held in memory. It cannot see entries deleted from the end of the log: compare
    the head with a checkpoint kept outside the database for that.
    """
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    checked = 0
    last_id: int | None = None
    expected = GENESIS
    while True:
        query = select_columns(*_COLUMNS).order_by(col(AuditEntry.id)).limit(batch)
        if last_id is not None:
            query = query.where(col(AuditEntry.id) > last_id)
        rows = session.execute(query).all()
        for entry_id, at, actor, action, entity, entity_id, before, after, prev, digest in rows:
            problem = None
            if prev != expected:
                before_it = (
                    "it is the first entry"
                    if last_id is None
                    else f"the entry before it (#{last_id}) has hash {_short(expected)}"
                )
                problem = (
                    "the entry before it is missing or was changed: "
                    f"it points to {_short(prev)}, but {before_it}"
                )
            elif entry_hash(prev, at, actor, action, entity, entity_id, before, after) != digest:
                problem = "its contents were changed: the stored hash does not match"
            if problem is not None:
                link = BrokenLink(entry_id, at, actor, action, entity, entity_id, problem)
                return ChainReport(entries=checked, broken=link)
            checked += 1
            last_id, expected = entry_id, digest
        if len(rows) < batch:
            return ChainReport(entries=checked, broken=None)
