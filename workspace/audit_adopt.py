"""Adopting a log written before CareDesk sealed its entries (schema 0021).

Such a log's entries have no seal, and its actions and follow-ups no recorded state, so
`caredesk audit verify` names the first of them. An administrator who trusts the database
as it stands adopts it, once: the chain is checked link by link; each action and follow-up
whose entries record no state gets an entry recording what it stands at now; and one entry,
sealed with the team's key, vouches for every entry up to the last one adopted. From then
on those entries may have no seal, and everything after is sealed and covered as usual.

Adoption vouches for nothing it cannot see: a row whose entries do record a state that it
no longer matches is refused, not adopted (it was changed outside CareDesk).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from storage import audit_cover
from storage.audit import head, verify_chain
from storage.audit_cover import PARTS
from storage.engine import Database
from storage.uow import lock_for_audit, unit_of_work
from workspace.audit_check import audit_key, describe, verify_in
from workspace.audit_cover import PAGE, _newest, describe_uncovered
from workspace.audit_trail import AuditTrail
from workspace.errors import CareDeskError
from workspace.timefmt import utcnow
from workspace.vocabulary import AuditEvent, Entity

ENTITIES = {"action": Entity.ACTION, "follow_up": Entity.FOLLOW_UP}


class NothingToAdopt(CareDeskError):
    """The log is sealed and covers every row already."""


@dataclass(frozen=True)
class Adoption:
    """What an adoption did."""

    entries: int
    """Entries vouched for (those up to the last one adopted)."""
    rows: int
    """Actions and follow-ups whose state it recorded."""
    entry_id: int
    """The sealed entry that vouches for them."""


def _unrecorded(session: Session, entity: str) -> list[int]:
    """The rows of `entity` whose entries record no state of any of its parts; raises when
    one's recorded state no longer matches it."""
    page = audit_cover.action_page if entity == "action" else audit_cover.follow_up_page
    found: list[int] = []
    last: int | None = None
    while rows := page(session, last, PAGE):
        recorded = _newest(audit_cover.entries_about(session, entity, [str(r) for r, _ in rows]))
        for row_id, parts in rows:
            said = recorded.get(str(row_id), {})
            if not said:
                found.append(row_id)
                continue
            for name in PARTS[entity]:
                if name in parts and name in said and said[name][1] != parts[name]:
                    raise CareDeskError(
                        f"{entity.replace('_', '-')} #{row_id} no longer matches its entry "
                        f"#{said[name][0]}: it was changed outside CareDesk; nothing was adopted"
                    )
        last = rows[-1][0]
    return found


def adopt(db: Database, by: str, clock: Callable[[], datetime] = utcnow) -> Adoption:
    """Adopt the log of `db` as the module's docstring says; raises `CareDeskError` when
    its chain is broken, a row was changed, or there is nothing to adopt."""
    key = audit_key(db)
    trail = AuditTrail(by)
    with unit_of_work(db) as s:
        lock_for_audit(s)  # nobody appends while the log is adopted
        chain = verify_chain(s)
        if chain.broken is not None:
            raise CareDeskError(f"{describe(chain)}; nothing was adopted")
        if verify_in(s, key).ok:
            raise NothingToAdopt("the audit log is sealed and covers every row: nothing to adopt")
        last = head(s)
        rows = 0
        now = clock()
        for entity, as_entity in ENTITIES.items():
            for row_id in _unrecorded(s, entity):
                trail.record(s, now, AuditEvent.ADOPT_ROW, as_entity, str(row_id))
                rows += 1
        through = head(s)
        assert through is not None
        entry_id = trail.record(
            s,
            now,
            AuditEvent.ADOPT,
            Entity.AUDIT,
            str(through[1]),
            after={"entries": through[0], "head_hash": through[2]},
        )
        report = verify_in(s, key)
        if not report.ok:  # something adoption cannot vouch for: nothing is kept
            problem = report.chain.broken or (report.cover and report.cover.uncovered)
            what = (
                describe_uncovered(problem)  # type: ignore[arg-type]
                if report.chain.broken is None
                else describe(report.chain)
            )
            raise CareDeskError(f"{what}; nothing was adopted")
    entries = 0 if last is None else last[0]
    return Adoption(entries=entries + rows, rows=rows, entry_id=entry_id)
