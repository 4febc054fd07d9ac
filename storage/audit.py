"""The append-only audit log, each entry chained to the one before by its hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Row,
    String,
    Text,
    bindparam,
    cast,
    func,
    insert,
    literal,
    text,
    tuple_,
    type_coerce,
    union_all,
)
from sqlalchemy import select as select_columns
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import NullType
from sqlmodel import Session, col

from storage.engine import IMMEDIATE
from storage.models import Action, AuditEntry, Ticket
from storage.security import FUNCTION_TAG, quote
from storage.types import UTCDateTime
from storage.uow import AUDIT_LOCK_KEY, lock_for_audit

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
    """The hash of one entry over its fields and the previous entry's hash: SHA-256 of
    `json.dumps([prev_hash, at, actor, action, entity, entity_id, before, after],
    ensure_ascii=False)`, built here from the same string encoder (verification hashes
    every entry of the log, and a list's `dumps` costs as much again)."""
    return _hash(prev_hash, at.isoformat(), actor, action, entity, entity_id, before, after)


def _hash(
    prev_hash: str,
    at: str,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    before: str | None,
    after: str | None,
) -> str:
    payload = (
        f"[{_text(prev_hash)}, {_text(at)}, {_text(actor)}, {_text(action)}, "
        f"{_text(entity)}, {_text(entity_id)}, {_maybe(before)}, {_maybe(after)}]"
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _hashes_to(digest: str, prev: Any, at: str, *fields: Any) -> bool:
    """Whether an entry's fields, as stored, hash to `digest`; a field that is not text
    where text belongs (SQLite keeps whatever was written) does not."""
    try:
        return _hash(prev, at, *fields) == digest
    except TypeError:
        return False


def _iso(raw: Any, at: datetime) -> str:
    """`at.isoformat()` (aware UTC), from the naive UTC time PostgreSQL's driver gives
    without making an aware copy of it (verification does this for every entry)."""
    if isinstance(raw, datetime) and raw.tzinfo is None:
        return raw.isoformat() + "+00:00"
    return at.isoformat()


def _moment(raw: Any) -> datetime:
    """An entry's time as the driver gives it (SQLite: text; PostgreSQL: a naive datetime),
    as aware UTC; raises ValueError for text that is not a time."""
    at = datetime.fromisoformat(raw) if isinstance(raw, str) else raw
    if not isinstance(at, datetime):  # SQLite keeps whatever was written: a number, say
        raise TypeError(f"not a time: {type(raw).__name__}")
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


_text = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) writes a str as


def _maybe(value: str | None) -> str:
    return "null" if value is None else _text(value)


#: The chain's head (the newest entry's hash), and the insert of a new entry: built once,
#: since every claim, reply and decision runs them while it holds the chain's lock.
_HEAD = select_columns(col(AuditEntry.hash)).order_by(col(AuditEntry.id).desc()).limit(1)
_INSERT = insert(AuditEntry.__table__).returning(col(AuditEntry.id))  # type: ignore[attr-defined]
#: The PostgreSQL function that appends one entry (migration 0008 makes it): it takes the
#: chain's lock, reads the head and inserts, chained to it, in one round trip. Each of its
#: statements reads what is committed when it runs (a VOLATILE function's statements take
#: their own snapshots), so the head it reads after the lock is the newest. It hashes as
#: `entry_hash` does: the head is hex, so the payload is its JSON string followed by the
#: rest as Python encodes it (`tail`).
APPEND_FUNCTION = "caredesk_append_audit"
_APPEND_BODY = """
DECLARE
  head text;
  appended bigint;
BEGIN
  PERFORM pg_advisory_xact_lock({lock});
  SELECT hash INTO head FROM {table} ORDER BY id DESC LIMIT 1;
  head := coalesce(head, '{genesis}');
  INSERT INTO {table} (at, actor, action, entity, entity_id, before, after, prev_hash, hash)
  VALUES (p_at, p_actor, p_action, p_entity, p_entity_id, p_before, p_after, head,
          encode(sha256(convert_to('["' || head || '", ' || p_tail, 'UTF8')), 'hex'))
  RETURNING id INTO appended;
  RETURN appended;
END
"""
_PG_APPEND = text(
    f"SELECT {APPEND_FUNCTION}(:at, :actor, :action, :entity, :entity_id, :before, :after, :tail)"
).bindparams(bindparam("at", type_=UTCDateTime()))


@dataclass(frozen=True)
class Draft:
    """An entry whose entity id the statement that appends it gives (`appended`): what
    is known of it before the statement runs."""

    at: datetime
    actor: str
    action: str
    entity: str
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None

    def params(self) -> dict[str, Any]:
        """The parameters `appended` binds. The hash's payload is cut around the entity
        id, which PostgreSQL's `to_json` writes as Python's JSON does (both escape `"`,
        `\\` and control characters alike, and leave the rest as it is)."""
        at = self.at.astimezone(UTC)
        before_s, after_s = _canonical(self.before), _canonical(self.after)
        head = json.dumps(
            [at.isoformat(), self.actor, self.action, self.entity], ensure_ascii=False
        )
        return {
            "audit_at": at,
            "audit_actor": self.actor,
            "audit_action": self.action,
            "audit_entity": self.entity,
            "audit_before": before_s,
            "audit_after": after_s,
            "audit_head": head[1:-1] + ", ",
            "audit_rest": ", " + json.dumps([before_s, after_s], ensure_ascii=False)[1:],
        }

    def append(self, session: Session, entity_id: str) -> int:
        """Append the entry for `entity_id` inside the caller's transaction."""
        return append_audit(
            session,
            at=self.at,
            actor=self.actor,
            action=self.action,
            entity=self.entity,
            entity_id=entity_id,
            before=self.before,
            after=self.after,
        )


def appended(entity_id: Any) -> ColumnElement[Any]:
    """The append of a `Draft`'s entry for `entity_id` (a column of the statement), as a
    column returning the entry's id: the entry is written in the statement that makes the
    change it records, with no round trip of its own (PostgreSQL only)."""
    tail = (
        bindparam("audit_head", type_=Text())
        + cast(func.to_json(entity_id), Text())
        + bindparam("audit_rest", type_=Text())
    )
    append: Any = getattr(func, APPEND_FUNCTION)
    return append(  # type: ignore[no-any-return]
        bindparam("audit_at", type_=UTCDateTime()),
        bindparam("audit_actor", type_=Text()),
        bindparam("audit_action", type_=Text()),
        bindparam("audit_entity", type_=Text()),
        entity_id,
        bindparam("audit_before", type_=Text()),
        bindparam("audit_after", type_=Text()),
        tail,
    )


def append_function(connection: Connection) -> None:
    """Make (or remake) the append function in the current schema (PostgreSQL only)."""
    if connection.dialect.name != "postgresql":
        return
    schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    table = f"{quote(schema)}.audit_entry"
    body = _APPEND_BODY.format(lock=AUDIT_LOCK_KEY, table=table, genesis=GENESIS)
    connection.exec_driver_sql(
        f"CREATE OR REPLACE FUNCTION {quote(schema)}.{APPEND_FUNCTION}("
        "p_at timestamp, p_actor text, p_action text, p_entity text, p_entity_id text, "
        "p_before text, p_after text, p_tail text) RETURNS bigint LANGUAGE plpgsql VOLATILE "
        f"AS {FUNCTION_TAG}{body}{FUNCTION_TAG}".replace("%", "%%")
    )


def drop_append_function(connection: Connection) -> None:
    """Remove the append function (the downgrade of migration 0008)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            f"DROP FUNCTION IF EXISTS {APPEND_FUNCTION}"
            "(timestamp, text, text, text, text, text, text, text)"
        )


Sealer = Callable[[str], str]
"""Makes an entry's seal from its hash (`workspace.audit_seal`)."""


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
    seal: Sealer | None = None,
) -> int:
    """Append one entry inside the caller's transaction; returns its id.

    Everything that does not need the chain's head is prepared before its lock is taken:
    the lock is held until the caller commits, and every writer of the team waits on it.

    With `seal`, the entry is sealed: its hash is made here, not in the database, so the
    seal is written with it (the log is append-only: nothing updates an entry).
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
    if seal is None and session.get_bind().dialect.name == "postgresql":
        fields = [at.isoformat(), actor, action, entity, entity_id, before_s, after_s]
        tail = json.dumps(fields, ensure_ascii=False)[1:]
        appended = session.connection().execute(_PG_APPEND, values | {"tail": tail})
        return int(appended.scalar_one())
    lock_for_audit(session)
    prev = session.execute(_HEAD).scalar() or GENESIS
    digest = entry_hash(prev, at, actor, action, entity, entity_id, before_s, after_s)
    values |= {"prev_hash": prev, "hash": digest, "seal": None if seal is None else seal(digest)}
    inserted = session.execute(_INSERT, values)
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


#: What verification reads: the time as the driver gives it (SQLAlchemy's parsing of
#: SQLite's text costs more than the hash), and the seal.
_VERIFIED = (
    col(AuditEntry.id),
    type_coerce(col(AuditEntry.at), NullType()).label("at"),
    *_COLUMNS[2:],
    col(AuditEntry.seal),
)


def sealing_key_id(engine: Any) -> str | None:
    """The key id of the first sealed entry of the log behind `engine`, or None when no entry
    is sealed (or there is no log yet)."""
    try:
        # A reader: called while a unit of work holds SQLite's write lock, a BEGIN IMMEDIATE
        # here would wait on that very lock.
        with engine.execution_options(**{IMMEDIATE: False}).connect() as connection:
            seal = connection.execute(_first_sealed(col(AuditEntry.seal))).scalar()
    except DBAPIError:
        return None  # no schema yet: nothing is sealed
    return None if seal is None else str(seal).partition(":")[0][:8]


def unsealed_after(session: Session, entry_id: int, allowed: tuple[str, str]) -> int | None:
    """The first entry after `entry_id` with no seal, but those recording `allowed` (an
    event and an entity), or None."""
    event, entity = allowed
    found = session.execute(
        select_columns(col(AuditEntry.id))
        .where(
            col(AuditEntry.id) > entry_id,
            col(AuditEntry.seal).is_(None),
            ~((col(AuditEntry.action) == event) & (col(AuditEntry.entity) == entity)),
        )
        .order_by(col(AuditEntry.id))
        .limit(1)
    ).scalar()
    return None if found is None else int(found)


def _first_sealed(column: Any) -> Any:
    """`column` of the first sealed entry."""
    return (
        select_columns(column)
        .where(col(AuditEntry.seal).is_not(None))
        .order_by(col(AuditEntry.id))
        .limit(1)
    )


def first_sealed(session: Session) -> int | None:
    """The id of the first sealed entry, or None."""
    found = session.execute(_first_sealed(col(AuditEntry.id))).scalar()
    return None if found is None else int(found)


ADOPT = "audit.adopt"
"""The event of an entry that adopts the log written before entries were sealed."""


def adoptions(session: Session) -> Sequence[Row[Any]]:
    """Every adoption entry (id, entity_id: the last entry it adopts, hash, seal): a seek
    of `ix_audit_entity`."""
    query = (
        select_columns(
            col(AuditEntry.id),
            col(AuditEntry.entity_id),
            col(AuditEntry.hash),
            col(AuditEntry.seal),
        )
        .where(col(AuditEntry.entity) == "audit", col(AuditEntry.action) == ADOPT)
        .order_by(col(AuditEntry.id))
    )
    return session.execute(query).all()


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


class SealCheck(Protocol):
    """What `verify_chain` asks of each entry's seal (`workspace.audit_seal`)."""

    def problem(
        self, entry_id: int, action: str, entity: str, digest: str, seal: str | None
    ) -> str | None:
        """What is wrong with the seal of entry `entry_id`, recording `action` on `entity`,
        with hash `digest`, as a plain sentence, or None when it holds (or it needs none)."""


def verify_chain(
    session: Session,
    *,
    batch: int = 5000,
    seals: SealCheck | None = None,
    after: tuple[int, str] | None = None,
) -> ChainReport:
    """Recompute every entry's hash in id order and stop at the first broken link (with
    `seals`, the first whose seal does not hold too).

    Pages by id (`WHERE id > :last ORDER BY id LIMIT batch`), so a log of millions of rows
    is never held in memory. With `after` (an entry's id and hash, checked before), only
    the entries since are walked, chained to it. It cannot see entries deleted from the end
    of the log: compare the head with a checkpoint kept outside the database for that.
    """
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    checked = 0
    last_id: int | None = None if after is None else after[0]
    expected = GENESIS if after is None else after[1]
    while True:
        query = select_columns(*_VERIFIED).order_by(col(AuditEntry.id)).limit(batch)
        if last_id is not None:
            query = query.where(col(AuditEntry.id) > last_id)
        rows: Sequence[Any] = session.connection().execute(query).all()  # Core: no ORM rows
        for row in rows:
            entry_id, raw, actor, action, entity, entity_id, before, after, prev, digest, seal = row
            problem: str | None = None
            try:
                at = _moment(raw)
            except (TypeError, ValueError):  # text that is not a time: changed by hand
                at = datetime.min.replace(tzinfo=UTC)
                problem = f"its time was changed: {str(raw)[:40]!r} is not a time"
            if problem is None and prev != expected:
                before_it = (
                    "it is the first entry"
                    if last_id is None
                    else f"the entry before it (#{last_id}) has hash {_short(expected)}"
                )
                problem = (
                    "the entry before it is missing or was changed: "
                    f"it points to {_short(prev)}, but {before_it}"
                )
            elif problem is None and not _hashes_to(
                digest, prev, _iso(raw, at), actor, action, entity, entity_id, before, after
            ):
                problem = "its contents were changed: the stored hash does not match"
            elif problem is None and seals is not None:
                problem = seals.problem(entry_id, action, entity, digest, seal)
            if problem is not None:
                link = BrokenLink(entry_id, at, actor, action, entity, entity_id, problem)
                return ChainReport(entries=checked, broken=link)
            checked += 1
            last_id, expected = entry_id, digest
        if len(rows) < batch:
            return ChainReport(entries=checked, broken=None)


# -- reading the log, oldest first ----------------------------------------------------------


@dataclass(frozen=True)
class LogKey:
    """Where a page of the log stops: the last entry's time and id (the id breaks ties)."""

    at: datetime
    """The entry's time, aware UTC."""
    id: int
    """The entry's id."""


@dataclass(frozen=True)
class LogScope:
    """Which entries a reading of the log keeps; every part is optional."""

    actors: tuple[str, ...] = ()
    """Only entries by these actors, as stored (empty: anyone)."""
    customer: str | None = None
    """Only entries about this customer's contacts and actions."""
    since: datetime | None = None
    """Only entries at or after this time."""
    until: datetime | None = None
    """Only entries before this time."""


_ORDER = (col(AuditEntry.at), col(AuditEntry.id))


def _narrowed(query: Any, scope: LogScope, after: LogKey | None, limit: int) -> Any:
    """`query` kept to the scope's times and to what follows `after`, in (at, id) order, at
    most `limit` rows. The time alone bounds the seek too: SQLite seeks an index by a plain
    comparison of its first column, not by a row value."""
    at = col(AuditEntry.at)
    if scope.since is not None:
        query = query.where(at >= literal(scope.since, UTCDateTime()))
    if scope.until is not None:
        query = query.where(at < literal(scope.until, UTCDateTime()))
    if after is not None:
        last = literal(after.at, UTCDateTime())
        query = query.where(
            tuple_(*_ORDER) > tuple_(last, literal(after.id, Integer())), at >= last
        )
    return query.order_by(*_ORDER).limit(limit)


def _branches(scope: LogScope) -> list[Any]:
    """One query a way in: an actor each (a range of `ix_audit_actor`), the customer's
    contacts and actions (their own indexes, then `ix_audit_entity` for each), else the
    whole log by time (`ix_audit_at`). Each comes in (at, id) order by itself."""
    base = select_columns(*_COLUMNS, col(AuditEntry.seal))
    if scope.customer is not None:
        tickets = select_columns(col(Ticket.id)).where(col(Ticket.customer_id) == scope.customer)
        actions = select_columns(cast(col(Action.id), String)).where(
            col(Action.customer_id) == scope.customer
        )
        about = [
            base.where(col(AuditEntry.entity) == "ticket", col(AuditEntry.entity_id).in_(tickets)),
            base.where(col(AuditEntry.entity) == "action", col(AuditEntry.entity_id).in_(actions)),
        ]
        if scope.actors:
            about = [q.where(col(AuditEntry.actor).in_(scope.actors)) for q in about]
        return about
    if scope.actors:
        return [base.where(col(AuditEntry.actor) == actor) for actor in scope.actors]
    return [base]


def log_page(
    session: Session, scope: LogScope, *, after: LogKey | None = None, limit: int = 500
) -> Sequence[Row[Any]]:
    """The next `limit` entries of the scope after `after`, oldest first (by time, then id):
    id, at, actor, action, entity, entity_id, before, after, prev_hash, hash, seal.

    Keyset paged, so a million entries are read a page at a time, each page a seek. Several
    ways in (two actors, a customer's contacts and actions) are each cut to `limit` before
    they are merged, so a page never reads more than `limit` entries of each.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    ways = [_narrowed(q, scope, after, limit) for q in _branches(scope)]
    if len(ways) == 1:
        return session.execute(ways[0]).all()
    merged = union_all(*(select_columns(w.subquery()) for w in ways)).subquery()
    query = select_columns(merged).order_by(merged.c.at, merged.c.id).limit(limit)
    return session.execute(query).all()


#: The log's actors one by one, each found by a seek of `ix_audit_actor` past the one
#: before: a handful of seeks however long the log (a loose index scan).
_ACTORS = text(
    """
    WITH RECURSIVE seen(actor) AS (
      SELECT min(actor) FROM audit_entry
      UNION ALL
      SELECT (SELECT min(actor) FROM audit_entry WHERE actor > seen.actor)
      FROM seen WHERE seen.actor IS NOT NULL
    )
    SELECT actor FROM seen WHERE actor IS NOT NULL
    """
)


def actors(session: Session) -> list[str]:
    """Every actor the log names, once each, in order (as many as the team and its
    administrators, not as the log's entries)."""
    return [str(a) for a in session.execute(_ACTORS).scalars()]
