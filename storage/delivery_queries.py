"""The outbox's reads and writes: a message per executed action, taken by deliverers under a
lease and marked with what the receiver answered.

A deliverer takes due messages by setting a lease on them in one statement (PostgreSQL skips
rows another deliverer is taking; SQLite's writer lock serialises the statement), and every
mark names the lease's holder, so a deliverer whose lease ran out cannot overwrite what the
one that took over recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, case, func, literal, select, update
from sqlmodel import Session, col

from storage.models import Delivery, DeliveryEndpoint
from storage.types import UTCDateTime

WAITING = ("queued", "retrying")
"""The statuses of messages still to be delivered."""


def _at(value: datetime) -> Any:
    return literal(value, UTCDateTime())


def enqueue(session: Session, values: dict[str, Any]) -> None:
    """Add one message (inside the transaction that executes its action)."""
    session.add(Delivery(**values))
    session.flush()


def take_due(
    session: Session, now: datetime, until: datetime, by: str, limit: int
) -> Sequence[Row[Any]]:
    """Lease up to `limit` due messages to `by` until `until`, oldest due first; returns them
    (`id`, `action_id`, `kind`, `webhook_id`, `payload`, `attempts`)."""
    due: Any = (
        select(col(Delivery.id))
        .where(
            col(Delivery.status).in_(WAITING),
            col(Delivery.next_at) <= _at(now),
            (col(Delivery.leased_until).is_(None)) | (col(Delivery.leased_until) < _at(now)),
        )
        .order_by(col(Delivery.next_at), col(Delivery.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    stmt: Any = (
        update(Delivery)
        .where(col(Delivery.id).in_(due.scalar_subquery()))
        .values(
            leased_until=until,
            leased_by=by,
            # A message still in flight was being sent when its deliverer died (or hung past
            # its lease): the receiver may have had it.
            orphaned=col(Delivery.orphaned) + case((col(Delivery.in_flight), 1), else_=0),
            # All that are taken are sent at once: in flight from this commit on.
            in_flight=True,
        )
        .returning(
            col(Delivery.id),
            col(Delivery.action_id),
            col(Delivery.kind),
            col(Delivery.webhook_id),
            col(Delivery.payload),
            col(Delivery.attempts),
        )
    )
    return session.execute(stmt).all()


def mark(
    session: Session, delivery_id: int, by: str, values: dict[str, Any], *, unknown: bool = False
) -> bool:
    """Record an attempt's outcome, if `by` still holds the lease; the lease ends. With
    `unknown`, the receiver may have had it though no answer came (counted in `orphaned`)."""
    extra: dict[str, Any] = {"in_flight": False, "leased_until": None, "leased_by": None}
    if unknown:
        extra["orphaned"] = col(Delivery.orphaned) + 1
    stmt: Any = (
        update(Delivery)
        .where(col(Delivery.id) == delivery_id, col(Delivery.leased_by) == by)
        .values(**values, **extra)
        .execution_options(synchronize_session=False)  # no ORM objects to keep in step
    )
    return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def retry_now(session: Session, action_id: int, now: datetime) -> bool:
    """Queue a failed message again, due at once (an agent asked); False if none failed."""
    stmt: Any = (
        update(Delivery)
        .where(col(Delivery.action_id) == action_id, col(Delivery.status) == "failed")
        .values(status="retrying", next_at=now, last_error=None, response=None)
    )
    return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def of_action(session: Session, action_id: int) -> Row[Any] | None:
    """One action's message (every column)."""
    row: Row[Any] | None = session.execute(
        select(Delivery).where(col(Delivery.action_id) == action_id)
    ).first()
    return row


def failed(session: Session, limit: int = 100) -> Sequence[Row[Any]]:
    """Messages failed for good (`action_id`, `kind`, `webhook_id`, `last_error`), oldest
    first."""
    stmt: Any = (
        select(
            col(Delivery.action_id),
            col(Delivery.kind),
            col(Delivery.webhook_id),
            col(Delivery.last_error),
        )
        .where(col(Delivery.status) == "failed")
        .order_by(col(Delivery.status), col(Delivery.created_at))
        .limit(limit)
    )
    return session.execute(stmt).all()


def counts(session: Session) -> dict[str, int]:
    """How many messages are in each status (through the status index)."""
    stmt: Any = select(col(Delivery.status), func.count()).group_by(col(Delivery.status))
    return {str(status): int(n) for status, n in session.execute(stmt).all()}


def waiting_since(session: Session) -> datetime | None:
    """When the oldest message still to deliver was written (through the status index)."""
    stmt: Any = select(func.min(col(Delivery.created_at))).where(col(Delivery.status).in_(WAITING))
    found: datetime | None = session.execute(stmt).scalar()
    return found


def orphaned(session: Session) -> int:
    """Sends whose answer was never recorded (a deliverer died or lost its lease mid-send):
    at most that many duplicates a receiver may have seen."""
    stmt: Any = select(func.coalesce(func.sum(col(Delivery.orphaned)), 0)).where(
        col(Delivery.orphaned) > 0  # through its partial index: the few that were orphaned
    )
    found = session.execute(stmt).scalar()
    return int(found or 0)


def disabled_endpoints(session: Session) -> dict[str, Row[Any]]:
    """Endpoints a receiver said are gone, by URL (`url`, `disabled_at`, `reason`)."""
    stmt: Any = select(
        col(DeliveryEndpoint.url), col(DeliveryEndpoint.disabled_at), col(DeliveryEndpoint.reason)
    ).where(col(DeliveryEndpoint.disabled_at).is_not(None))
    return {row.url: row for row in session.execute(stmt).all()}


def disable_endpoint(session: Session, url: str, at: datetime, reason: str) -> None:
    """Stop sending to `url` (a receiver answered 410), unless it is already stopped."""
    found = session.get(DeliveryEndpoint, url)
    if found is None:
        session.add(DeliveryEndpoint(url=url, disabled_at=at, reason=reason))
    elif found.disabled_at is None:
        found.disabled_at, found.reason = at, reason
    session.flush()


def enable_endpoint(session: Session, url: str, now: datetime) -> bool:
    """Send to `url` again, and make every waiting message due now; False if it was not
    disabled."""
    found = session.get(DeliveryEndpoint, url)
    if found is None or found.disabled_at is None:
        return False
    found.disabled_at, found.reason = None, None
    stmt: Any = update(Delivery).where(col(Delivery.status).in_(WAITING)).values(next_at=_at(now))
    session.execute(stmt)
    session.flush()
    return True
