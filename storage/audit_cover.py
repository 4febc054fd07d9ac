"""The rows the audit log covers, read as its entries record them.

An action (with its delivery and its shipment, one each at most) and a follow-up move money
or promise something. Every entry about one records, under `state`, what the row and its
parts stand at after the change (`state_of`); `caredesk audit verify` reads each row again
and compares it with its newest entry's record (`action_page`, `follow_up_page`,
`entries_about`), so a row changed outside CareDesk, or one no entry records, is found.

The deliverer's bookkeeping (leases, attempts, the next try, the last error, in flight,
orphaned sends) changes on every attempt and is not covered; a message waiting (queued or
retrying) is recorded as `waiting`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, func, select
from sqlmodel import Session, col

from storage.models import Action, AuditEntry, Delivery, FollowUp, Order, Shipment


def _all_but(table: Any, *left_out: str) -> tuple[str, ...]:
    """Every column of `table` but those `left_out`: a column added later is covered too."""
    return tuple(c.name for c in table.__table__.columns if c.name not in left_out)


#: What is recorded of each part: its covered columns, in order. An action, a shipment and
#: a follow-up are covered whole (but their ids); a delivery but the deliverer's bookkeeping.
ACTION_COLUMNS = _all_but(Action, "id")
DELIVERY_COLUMNS = (
    "kind",
    "webhook_id",
    "payload",
    "status",
    "delivered_at",
    "receiver_ref",
    "response",
)
SHIPMENT_COLUMNS = _all_but(Shipment, "id", "action_id")
FOLLOW_UP_COLUMNS = _all_but(FollowUp, "id")

#: The entities whose entries record a state, and the parts each one's state has.
PARTS: dict[str, tuple[str, ...]] = {
    "action": ("action", "delivery", "shipment"),
    "follow_up": ("follow_up",),
}

STATE = "state"
"""The key of an entry's `after` under which the state is recorded."""

WAITING = "waiting"
"""How a message not yet delivered nor failed is recorded (queued or retrying)."""

_TABLES: dict[str, Any] = {
    "action": Action,
    "delivery": Delivery,
    "shipment": Shipment,
    "follow_up": FollowUp,
}
_COLUMNS: dict[str, tuple[str, ...]] = {
    "action": ACTION_COLUMNS,
    "delivery": DELIVERY_COLUMNS,
    "shipment": SHIPMENT_COLUMNS,
    "follow_up": FOLLOW_UP_COLUMNS,
}


def canonical(value: Any) -> Any:
    """A stored value as an entry records it: JSON's own types, money to the cent as text,
    times as ISO 8601 in UTC."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return str(value)


def _part(name: str, row: Mapping[str, Any]) -> dict[str, Any]:
    part = {c: canonical(row[c]) for c in _COLUMNS[name]}
    if name == "delivery" and part["status"] in ("queued", "retrying"):
        part["status"] = WAITING
    return part


def _selected(name: str, label: bool = False) -> list[Any]:
    table = _TABLES[name]
    return [
        getattr(table, c).label(f"{name}__{c}") if label else getattr(table, c)
        for c in _COLUMNS[name]
    ]


def _split(row: Row[Any], names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The parts of a joined row (`<part>__<column>` labels); a part whose row is missing
    (an outer join found none) is left out."""
    mapping = row._mapping
    parts: dict[str, dict[str, Any]] = {}
    for name in names:
        values = {c: mapping[f"{name}__{c}"] for c in _COLUMNS[name]}
        if name != names[0] and values[_COLUMNS[name][0]] is None:
            continue
        parts[name] = _part(name, values)
    return parts


def _action_query() -> Any:
    return (
        select(
            col(Action.id),
            *_selected("action", True),
            *_selected("delivery", True),
            *_selected("shipment", True),
        )
        .outerjoin(Delivery, col(Delivery.action_id) == col(Action.id))
        .outerjoin(Shipment, col(Shipment.action_id) == col(Action.id))
    )


def _follow_up_query() -> Any:
    return select(col(FollowUp.id), *_selected("follow_up", True))


def state_of(session: Session, entity: str, entity_id: str) -> dict[str, dict[str, Any]] | None:
    """What an entry about `entity` `entity_id` records: each part as this transaction sees
    it now, or None when the entity is not covered (or the row is not there)."""
    if entity not in PARTS or not entity_id.isdigit():
        return None
    if entity == "action":
        query = _action_query().where(col(Action.id) == int(entity_id))
    else:
        query = _follow_up_query().where(col(FollowUp.id) == int(entity_id))
    row = session.execute(query).first()
    return None if row is None else _split(row, PARTS[entity])


def action_page(
    session: Session, after: int | None, limit: int
) -> list[tuple[int, dict[str, dict[str, Any]]]]:
    """The next `limit` actions by id after `after`, each with its parts as stored."""
    query = _action_query().order_by(col(Action.id)).limit(limit)
    if after is not None:
        query = query.where(col(Action.id) > after)
    return [(row[0], _split(row, PARTS["action"])) for row in session.connection().execute(query)]


def follow_up_page(
    session: Session, after: int | None, limit: int
) -> list[tuple[int, dict[str, dict[str, Any]]]]:
    """The next `limit` follow-ups by id after `after`, as stored."""
    query = _follow_up_query().order_by(col(FollowUp.id)).limit(limit)
    if after is not None:
        query = query.where(col(FollowUp.id) > after)
    return [
        (row[0], _split(row, PARTS["follow_up"])) for row in session.connection().execute(query)
    ]


def entries_about(session: Session, entity: str, entity_ids: Sequence[str]) -> Sequence[Row[Any]]:
    """Every entry about these `entity` ids (id, entity_id, after), oldest first: a seek of
    `ix_audit_entity` for each."""
    if not entity_ids:
        return []
    query = (
        select(col(AuditEntry.id), col(AuditEntry.entity_id), col(AuditEntry.after))
        .where(col(AuditEntry.entity) == entity, col(AuditEntry.entity_id).in_(entity_ids))
        .order_by(col(AuditEntry.id))
    )
    found: Any = session.connection().execute(query).all()
    return found  # type: ignore[no-any-return]


def rows_counted(session: Session, entity: str) -> int:
    """How many rows of the covered `entity` there are."""
    table = _TABLES[entity]
    return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def logged_ids(session: Session, entity: str) -> int:
    """How many different `entity` ids the log has entries about (one pass of the entity's
    stretch of `ix_audit_entity`)."""
    query = select(func.count(func.distinct(col(AuditEntry.entity_id)))).where(
        col(AuditEntry.entity) == entity
    )
    return int(session.execute(query).scalar_one())


def missing_rows(session: Session, entity: str, limit: int = 1000) -> list[tuple[str, int]]:
    """`entity` ids the log has entries about but no row has (with the first entry about
    each), at most `limit`; read a page of logged ids at a time."""
    table = _TABLES[entity]
    found: list[tuple[str, int]] = []
    last: str | None = None
    while len(found) < limit:
        query = (
            select(col(AuditEntry.entity_id), func.min(col(AuditEntry.id)))
            .where(col(AuditEntry.entity) == entity)
            .group_by(col(AuditEntry.entity_id))
            .order_by(col(AuditEntry.entity_id))
            .limit(1000)
        )
        if last is not None:
            query = query.where(col(AuditEntry.entity_id) > last)
        page = session.execute(query).all()
        if not page:
            return found
        ids = [str(r[0]) for r in page]
        numbers = [int(i) for i in ids if i.isdigit() and len(i) < 19]
        there = {
            str(i)
            for i in session.execute(
                select(col(table.id)).where(col(table.id).in_(numbers))
            ).scalars()
        }
        found.extend((str(r[0]), int(r[1])) for r in page if str(r[0]) not in there)
        last = ids[-1]
    return found[:limit]


def refund_mismatch(session: Session, *, kind: str, status: str) -> Row[Any] | None:
    """The first order (id, refunded, given) whose `refunded` is not what its actions of
    `kind` in `status` (executed refunds) gave back, or None. Its refunds are covered rows,
    so the sum is what the log says; `refunded` is kept as they execute."""
    given = (
        select(col(Action.order_id).label("order_id"), func.sum(col(Action.amount)).label("given"))
        .where(
            col(Action.kind) == kind,
            col(Action.status) == status,
            col(Action.order_id).is_not(None),
        )
        .group_by(col(Action.order_id))
        .subquery()
    )
    total = func.coalesce(given.c.given, 0)
    query = (
        select(col(Order.id), col(Order.refunded), total.label("given"))
        .outerjoin(given, given.c.order_id == col(Order.id))
        .where(col(Order.refunded) != total)
        .order_by(col(Order.id))
        .limit(1)
    )
    found: Row[Any] | None = session.connection().execute(query).first()
    return found
