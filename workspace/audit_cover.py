"""Checking that the audit log covers every row that moves money or promises something.

Each entry about an action or a follow-up records what the row stands at after the change it
records (`storage.audit_cover`). Here every such row is read again, a page at a time, and
compared with the newest entry that records it: an amount multiplied in SQL, a status set
outside CareDesk, a row no entry records, or an entry about a row that is gone, is named.
The chain and the seals (`storage.audit.verify_chain`) show the entries themselves are
CareDesk's; this shows the rows still say what the entries say.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from storage import audit_cover
from storage.audit_cover import PARTS, STATE
from workspace.vocabulary import ActionKind, ActionStatus

PAGE = 1000
"""Rows compared per round trip."""


@dataclass(frozen=True)
class Uncovered:
    """The first row whose entries do not say what it says."""

    entity: str
    """`action`, `delivery`, `shipment`, `follow_up`, or `order` (its refunded amount)."""
    entity_id: str
    """The row's id (a delivery's and a shipment's: their action's)."""
    entry_id: int | None
    """The newest entry that records it, or None when none does."""
    problem: str
    """What is wrong, as a plain sentence."""


@dataclass(frozen=True)
class CoverReport:
    """What checking the covered rows found."""

    rows: int
    """Rows compared and found as their entries record them."""
    uncovered: Uncovered | None
    """The first row that is not, or None."""


def newest_states(entries: Any) -> dict[str, dict[str, tuple[int, dict[str, Any]]]]:
    """For each entity id, the newest recorded state of each part, with its entry's id."""
    found: dict[str, dict[str, tuple[int, dict[str, Any]]]] = {}
    for entry_id, entity_id, after in entries:
        if not after:
            continue
        try:
            state = json.loads(after).get(STATE)
        except (ValueError, AttributeError, RecursionError):
            continue  # not what CareDesk writes: the chain or its seal names it
        if not isinstance(state, dict):
            continue
        parts = found.setdefault(entity_id, {})
        for name, part in state.items():
            if isinstance(part, dict):
                parts[name] = (entry_id, part)
    return found


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= 60 else text[:59] + "…"


def _compare(
    entity: str, entity_id: str, parts: dict[str, dict[str, Any]], recorded: dict[str, Any]
) -> Uncovered | None:
    """The first difference between a row's parts and what its entries record."""
    for name in PARTS[entity]:
        have = parts.get(name)
        said = recorded.get(name)
        if have is None and said is None:
            continue
        if said is None:
            assert have is not None
            return Uncovered(name, entity_id, None, "no audit entry records it")
        entry_id, was = said
        if have is None:
            return Uncovered(
                name, entity_id, entry_id, f"it is gone, but entry #{entry_id} records it"
            )
        for column, value in have.items():
            if was.get(column, _ABSENT) != value:
                before = "nothing" if column not in was else _shown(was[column])
                return Uncovered(
                    name,
                    entity_id,
                    entry_id,
                    f"its {column} is {_shown(value)}, but entry #{entry_id}, the newest "
                    f"that records it, says {before}",
                )
    return None


_ABSENT = object()


def _pages(session: Session, entity: str) -> Any:
    page = audit_cover.action_page if entity == "action" else audit_cover.follow_up_page
    last: int | None = None
    while True:
        rows = page(session, last, PAGE)
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def verify_cover(session: Session) -> CoverReport:
    """Compare every action (with its delivery and shipment) and follow-up with its newest
    entries, then look for entries about rows that are gone; stop at the first problem."""
    compared = 0
    for entity in PARTS:
        for rows in _pages(session, entity):
            ids = [str(row_id) for row_id, _ in rows]
            recorded = newest_states(audit_cover.entries_about(session, entity, ids))
            for row_id, parts in rows:
                found = _compare(entity, str(row_id), parts, recorded.get(str(row_id), {}))
                if found is not None:
                    return CoverReport(compared, found)
                compared += 1
        if audit_cover.logged_ids(session, entity) > audit_cover.rows_counted(session, entity):
            gone = audit_cover.missing_rows(session, entity, limit=1)
            if gone:
                entity_id, first = gone[0]
                problem = f"it is gone, but entry #{first} and those after it record it"
                return CoverReport(compared, Uncovered(entity, entity_id, first, problem))
    wrong = audit_cover.refund_mismatch(
        session, kind=ActionKind.REFUND.value, status=ActionStatus.EXECUTED.value
    )
    if wrong is not None:
        order, refunded, given = tuple(wrong)
        problem = (
            f"its refunded is {_money(refunded)}, but its executed refunds, which the log "
            f"covers, gave back {_money(given)}"
        )
        return CoverReport(compared, Uncovered("order", str(order), None, problem))
    return CoverReport(compared, None)


def _money(value: Any) -> str:
    """An amount as the database gives it (cents, as a sum of cents may come) shown."""
    if isinstance(value, Decimal):
        return f'"{value:.2f}"'
    return f'"{Decimal(int(value or 0)) / 100:.2f}"'


def describe_uncovered(found: Uncovered) -> str:
    """The one-line message for a row the log does not cover."""
    what = found.entity.replace("_", "-")
    if found.entity == "order":
        return f"audit log does not cover order {found.entity_id}: {found.problem}"
    if found.entity in ("delivery", "shipment"):
        return f"audit log does not cover the {what} of action #{found.entity_id}: {found.problem}"
    return f"audit log does not cover {what} #{found.entity_id}: {found.problem}"
