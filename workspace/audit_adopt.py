"""Adopting a log written before CareDesk sealed its entries (schema 0021).

Such a log's entries have no seal, and its actions and follow-ups no recorded state, so
`caredesk audit verify` names the first of them. An administrator who trusts the database
as it stands adopts it, once: the chain is checked link by link; each action and follow-up
whose entries, all written before the first sealed entry, record no state gets an entry
recording what it stands at now; and one entry, sealed with the team's key, vouches for
every entry before the first sealed one. From then on those entries may have no seal, and
everything after is sealed and covered as usual.

Adoption vouches only for what was written before CareDesk sealed entries. It refuses, and
adopts nothing, when the chain is broken, when an unsealed entry comes after a sealed one
(written around CareDesk since the upgrade), when a row has no entry at all (added outside
CareDesk), or when a row no longer matches the state its entries record.

The long walk of the chain runs before the chain's lock is taken; under the lock only the
entries appended meanwhile are walked, then the rows are read and the entries appended.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from storage import audit_cover
from storage.audit import first_sealed, head, unsealed_after, verify_chain
from storage.audit_cover import PARTS
from storage.engine import Database
from storage.uow import lock_for_audit, snapshot_session, unit_of_work
from workspace.audit_check import adopted_through, audit_key, describe
from workspace.audit_cover import PAGE, newest_states
from workspace.audit_seal import UNSEALED
from workspace.audit_trail import AuditTrail
from workspace.errors import CareDeskError
from workspace.timefmt import utcnow
from workspace.vocabulary import AuditEvent, Entity

ENTITIES = {"action": Entity.ACTION, "follow_up": Entity.FOLLOW_UP}
(CLAIM,) = UNSEALED


class NothingToAdopt(CareDeskError):
    """Every entry of the log is sealed already (or the log is empty)."""


@dataclass(frozen=True)
class Adoption:
    """What an adoption did."""

    entries: int
    """Entries vouched for: those before the first sealed one."""
    rows: int
    """Actions and follow-ups whose state it recorded."""
    entry_id: int
    """The sealed entry that vouches for them."""


def _refused(what: str) -> CareDeskError:
    return CareDeskError(f"{what}; nothing was adopted")


def _unrecorded(session: Session, entity: str, through: int) -> list[int]:
    """The rows of `entity` to adopt: every entry about them is up to `through` and none
    records a state. Raises for a row adoption cannot vouch for."""
    page = audit_cover.action_page if entity == "action" else audit_cover.follow_up_page
    name = entity.replace("_", "-")
    found: list[int] = []
    last: int | None = None
    while rows := page(session, last, PAGE):
        ids = [str(r) for r, _ in rows]
        entries = audit_cover.entries_about(session, entity, ids)
        newest: dict[str, int] = {}
        for entry in entries:
            entry_id, entity_id, _after = tuple(entry)
            newest[str(entity_id)] = max(newest.get(str(entity_id), 0), int(entry_id))
        recorded = newest_states(entries)
        for row_id, parts in rows:
            said = recorded.get(str(row_id), {})
            if str(row_id) not in newest:
                raise _refused(
                    f"{name} #{row_id} has no audit entry at all: it was added outside CareDesk"
                )
            for part in PARTS[entity]:
                if part in parts and part in said and said[part][1] != parts[part]:
                    raise _refused(
                        f"{name} #{row_id} no longer matches its entry #{said[part][0]}: it was "
                        "changed outside CareDesk"
                    )
            if said:
                continue  # its entries record it: covered as it is
            if newest[str(row_id)] > through:
                raise _refused(
                    f"{name} #{row_id} has unsealed entries after the first sealed one, and none "
                    "records what it stands at"
                )
            found.append(row_id)
        last = rows[-1][0]
    return found


def adopt(db: Database, by: str, clock: Callable[[], datetime] = utcnow) -> Adoption:
    """Adopt the log of `db` as the module's docstring says; raises `CareDeskError` when
    it cannot vouch for it, `NothingToAdopt` when every entry is sealed already."""
    with snapshot_session(db) as s:  # the long walk, while the team goes on working
        chain = verify_chain(s)
        walked = head(s)
    if chain.broken is not None:
        raise _refused(describe(chain))
    if walked is None:
        raise NothingToAdopt("the audit log is empty: nothing to adopt")
    trail = AuditTrail(by)
    with unit_of_work(db) as s:
        lock_for_audit(s)  # nobody appends while the log is adopted
        since = verify_chain(s, after=(walked[1], walked[2]))
        if since.broken is not None:
            raise _refused(describe(since))
        sealed = first_sealed(s)
        through = walked[1] if sealed is None else sealed - 1
        vouched = head(s, up_to=through) if through > 0 else None
        forged = unsealed_after(s, max(through, 0), CLAIM)
        if forged is not None:
            raise _refused(
                f"entry #{forged} is not sealed but comes after sealed entries: it was "
                "written around CareDesk"
            )
        found = {entity: _unrecorded(s, entity, through) for entity in ENTITIES}
        adopted = adopted_through(s, audit_key(db)) >= through
        if vouched is None or (adopted and not any(found.values())):
            raise NothingToAdopt(
                "every entry of the audit log is sealed or adopted already: nothing to adopt"
            )
        now = clock()
        rows = 0
        for entity, row_ids in found.items():
            for row_id in row_ids:
                trail.record(s, now, AuditEvent.ADOPT_ROW, ENTITIES[entity], str(row_id))
                rows += 1
        entry_id = trail.record(
            s,
            now,
            AuditEvent.ADOPT,
            Entity.AUDIT,
            str(through),
            after={"entries": vouched[0], "head_hash": vouched[2]},
        )
    return Adoption(entries=vouched[0], rows=rows, entry_id=entry_id)
