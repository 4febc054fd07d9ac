"""Agents' idempotency keys: claimed before an action is decided, settled in its transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from storage.models import ActionKey


def get(session: Session, agent_id: int, key: str) -> Row[Any] | None:
    """The key's row: request, first_at, action_id, holder, lease_until."""
    query = select(
        col(ActionKey.request),
        col(ActionKey.first_at),
        col(ActionKey.action_id),
        col(ActionKey.holder),
        col(ActionKey.lease_until),
    ).where(col(ActionKey.agent_id) == agent_id, col(ActionKey.key) == key)
    return session.execute(query).first()


def claim(
    session: Session,
    agent_id: int,
    key: str,
    *,
    request: str,
    now: datetime,
    holder: str,
    lease_until: datetime,
) -> bool:
    """Claim a key nobody used yet for `holder` until `lease_until`; False when it is taken
    (one statement: of two claims at once, one inserts and the other finds it there)."""
    values = {
        "agent_id": agent_id,
        "key": key,
        "request": request,
        "first_at": now,
        "holder": holder,
        "lease_until": lease_until,
    }
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(ActionKey)
        .values(values)
        .on_conflict_do_nothing()
        .returning(col(ActionKey.agent_id))  # a row back only if it was inserted
    )
    return session.execute(stmt).first() is not None


def take_over(
    session: Session, agent_id: int, key: str, *, now: datetime, holder: str, lease_until: datetime
) -> bool:
    """Take a key whose first submit never settled it and whose lease ran out (its process
    died); False when it was settled or someone still (or already) holds it."""
    stmt: Any = (
        update(ActionKey)
        .where(
            col(ActionKey.agent_id) == agent_id,
            col(ActionKey.key) == key,
            col(ActionKey.action_id).is_(None),
            or_(col(ActionKey.lease_until).is_(None), col(ActionKey.lease_until) < now),
        )
        .values(holder=holder, lease_until=lease_until)
    )
    return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def settle(session: Session, agent_id: int, key: str, *, holder: str, action_id: int) -> bool:
    """Record the action a key took, in the action's own transaction; False when `holder`
    no longer holds it (its lease ran out and another submit took it over)."""
    stmt: Any = (
        update(ActionKey)
        .where(
            col(ActionKey.agent_id) == agent_id,
            col(ActionKey.key) == key,
            col(ActionKey.holder) == holder,
            col(ActionKey.action_id).is_(None),
        )
        .values(action_id=action_id, holder=None, lease_until=None)
    )
    return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def release(session: Session, agent_id: int, key: str, *, holder: str) -> None:
    """Forget a key whose submit did nothing (its input was refused), so it can be used."""
    session.execute(
        delete(ActionKey).where(
            and_(
                col(ActionKey.agent_id) == agent_id,
                col(ActionKey.key) == key,
                col(ActionKey.holder) == holder,
                col(ActionKey.action_id).is_(None),
            )
        )
    )
