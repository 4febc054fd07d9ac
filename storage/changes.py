"""The change log: what other workspaces should see, in commit order.

Every write another workspace should show (a claim, a release, a reply, a decision, new
contacts) adds one `change` row in its own transaction. On PostgreSQL the same transaction
sends a NOTIFY, which the server delivers when (and only if) it commits; SQLite has no
notifications, so readers watch its cheap change counter (`PRAGMA data_version`) instead.
Either way a reader then reads the rows after the last one it saw.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, delete, func, insert, literal, select, text
from sqlmodel import Session, col

from storage.models import Change
from storage.types import UTCDateTime

#: The PostgreSQL channel every change is announced on.
CHANNEL = "caredesk_changes"

_NOTIFY = text(f"SELECT pg_notify('{CHANNEL}', '')")
_INSERT = insert(Change.__table__)  # type: ignore[attr-defined]
_PG_RECORD = select(func.pg_notify(CHANNEL, "")).add_cte(
    _INSERT.values(
        kind=bindparam("kind"),
        at=bindparam("at", type_=UTCDateTime()),
        ticket_id=bindparam("ticket_id"),
        agent_id=bindparam("agent_id"),
    ).cte("recorded")
)


def record(
    session: Session,
    kind: str,
    at: datetime,
    *,
    ticket_id: str | None = None,
    agent_id: int | None = None,
) -> None:
    """Announce a change made in this transaction (`ticket_id` None: many contacts)."""
    values = {"kind": kind, "at": at, "ticket_id": ticket_id, "agent_id": agent_id}
    if session.get_bind().dialect.name == "postgresql":
        # The row and its NOTIFY in one round trip: every claim and reply runs this.
        session.execute(_PG_RECORD, values)
        return
    session.execute(_INSERT, values)


def record_claimed(claimed: Any, *, kind: Any) -> Any:
    """The change rows of the contacts a claim's RETURNING CTE holds (`id`, `assigned_agent_id`,
    `claimed_at`), as an INSERT CTE to add to the statement that reads them (PostgreSQL)."""
    rows = select(
        kind, claimed.c.claimed_at, claimed.c.id, claimed.c.assigned_agent_id
    ).select_from(claimed)
    return _INSERT.from_select(["kind", "at", "ticket_id", "agent_id"], rows).cte("recorded")


def notify_call() -> Any:
    """The NOTIFY of a change, as a column expression (PostgreSQL)."""
    return func.pg_notify(CHANNEL, "")


def record_many(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Announce several changes at once (each a dict of `record`'s arguments)."""
    if rows:
        session.execute(insert(Change), [dict(r) for r in rows])
        notify(session)


def notify(session: Session) -> None:
    """Wake the listeners when this transaction commits (PostgreSQL; SQLite needs nothing)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_NOTIFY)


def last_seq(session: Session) -> int:
    """The newest change's number (0 when there is none): where a new reader starts."""
    return int(session.execute(select(func.coalesce(func.max(col(Change.seq)), 0))).scalar_one())


def since(session: Session, seq: int, limit: int = 500) -> list[Row[Any]]:
    """Changes after `seq`, oldest first (`seq`, `at`, `kind`, `ticket_id`, `agent_id`)."""
    stmt: Any = (
        select(
            col(Change.seq).label("seq"),
            col(Change.at).label("at"),
            col(Change.kind).label("kind"),
            col(Change.ticket_id).label("ticket_id"),
            col(Change.agent_id).label("agent_id"),
        )
        .where(col(Change.seq) > seq)
        .order_by(col(Change.seq))
        .limit(limit)
    )
    return list(session.execute(stmt).all())


def prune(session: Session, before: datetime) -> int:
    """Forget changes older than `before` (every reader has long seen them)."""
    result = session.execute(delete(Change).where(col(Change.at) < literal(before, UTCDateTime())))
    return int(result.rowcount)  # type: ignore[attr-defined]
