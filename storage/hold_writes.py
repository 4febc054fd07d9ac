"""Holds of contacts (`contact_hold`): one row for each stretch of time an agent held one.

Whatever gives a contact to an agent starts a hold, and whatever takes it away ends the
running one, saying how: both in the unit of work of that change, so the holds always
agree with `ticket.assigned_agent_id`. A contact has at most one running hold (a unique
partial index), so a claim racing another cannot leave two. Each write here is one
statement through the index on `ticket_id`; the claims that agents make all day long add
theirs to the claim's own statement where the database allows it (PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import (
    and_,
    bindparam,
    case,
    delete,
    exists,
    insert,
    literal,
    not_,
    select,
    true,
    update,
)
from sqlmodel import Session

from storage.models import ContactHold, Ticket
from storage.types import UTCDateTime

_HOLD: Any = ContactHold.__table__  # type: ignore[attr-defined]
_TICKET: Any = Ticket.__table__  # type: ignore[attr-defined]
_COLUMNS = ["ticket_id", "agent_id", "started_at"]

_START = insert(_HOLD).values(
    ticket_id=bindparam("contact"),
    agent_id=bindparam("holder"),
    started_at=bindparam("now", type_=UTCDateTime()),
)

#: The end of a contact's running hold, built once (every release, resolve and park).
_END = (
    update(_HOLD)
    .where(_HOLD.c.ticket_id == bindparam("contact"), _HOLD.c.ended_at.is_(None))
    .values(ended_at=bindparam("now", type_=UTCDateTime()), ended_by=bindparam("how"))
)

#: The same for several contacts at once (an agent's holds, lapsed or given back).
_END_MANY = (
    update(_HOLD)
    .where(
        _HOLD.c.ticket_id.in_(bindparam("contacts", expanding=True)),
        _HOLD.c.ended_at.is_(None),
    )
    .values(ended_at=bindparam("now", type_=UTCDateTime()), ended_by=bindparam("how"))
)


def start(session: Session, ticket_id: str, agent_id: int, now: datetime) -> None:
    """Record that `agent_id` holds the contact from `now`. The contact's previous hold must
    have ended (`end`): the unique index refuses a second running one."""
    session.connection().execute(_START, {"contact": ticket_id, "holder": agent_id, "now": now})


def end(session: Session, ticket_id: str, now: datetime, how: str) -> bool:
    """End the contact's running hold at `now`, ended by `how` (one of the workspace's
    `HoldEnd`); False when none was running."""
    result = session.connection().execute(_END, {"contact": ticket_id, "now": now, "how": how})
    return bool(result.rowcount == 1)


def end_many(session: Session, ticket_ids: Collection[str], now: datetime, how: str) -> int:
    """End the running holds of `ticket_ids` at `now`, ended by `how`; how many ended."""
    if not ticket_ids:
        return 0
    params = {"contacts": list(ticket_ids), "now": now, "how": how}
    return int(session.connection().execute(_END_MANY, params).rowcount)


def started_by(claimed: Any) -> Any:
    """The holds started by a claim whose RETURNING CTE is `claimed` (`id`,
    `assigned_agent_id`, `claimed_at`), as an INSERT CTE to add to the claim's statement
    (PostgreSQL): the claim and its hold in one round trip."""
    rows = select(claimed.c.id, claimed.c.assigned_agent_id, claimed.c.claimed_at)
    return insert(_HOLD).from_select(_COLUMNS, rows.select_from(claimed)).cte("held")


def claim_with_hold(claim: Any) -> Any:
    """A claim's UPDATE (one contact, with its parameters unbound) as one statement that
    also starts its hold and returns the hold's id: a row when the claim took the contact
    (PostgreSQL: data-modifying CTEs)."""
    claimed = claim.returning(_TICKET.c.id, _TICKET.c.assigned_agent_id, _TICKET.c.claimed_at).cte(
        "claimed"
    )
    rows = select(claimed.c.id, claimed.c.assigned_agent_id, claimed.c.claimed_at)
    started = insert(_HOLD).from_select(_COLUMNS, rows.select_from(claimed))
    return started.add_cte(claimed).returning(_HOLD.c.id)


def follow(
    session: Session,
    ticket_ids: Collection[str],
    now: datetime,
    *,
    moved: str,
    stopped: Mapping[Any, str],
) -> None:
    """Make the holds of `ticket_ids` agree with their contacts after a bulk write that
    set holders and statuses itself (an import): a running hold whose agent no longer
    holds the contact, or whose contact is no longer worked, ends; a held, worked contact
    without a running hold gets one. Two statements, whatever the number of contacts.

    A hold ends `moved` when the contact is worked by someone else now, else by what its
    new status says (`stopped`, by status; `moved` for one not listed). It ends when the
    contact says it did (the new holder's claim, or its resolution or parking) if that
    falls within the hold, else `now`; a new hold starts at the contact's `claimed_at`, or
    `now` when it has none or it is later.
    """
    if not ticket_ids:
        return
    ids = list(ticket_ids)
    at = literal(now, UTCDateTime())
    t, h = _TICKET, _HOLD
    said = case(
        (t.c.active == true(), t.c.claimed_at),
        else_=case((t.c.resolved_at.is_not(None), t.c.resolved_at), else_=t.c.parked_at),
    )
    ending = case(
        (and_(said.is_not(None), said >= h.c.started_at, said <= at), said),
        else_=at,
    )
    how = case(
        (t.c.active == true(), literal(moved)),
        *((t.c.status == status, literal(word)) for status, word in stopped.items()),
        else_=literal(moved),
    )
    still_held = and_(t.c.active == true(), t.c.assigned_agent_id == h.c.agent_id)
    session.connection().execute(
        update(h)
        .where(
            h.c.ticket_id.in_(ids),
            h.c.ended_at.is_(None),
            t.c.id == h.c.ticket_id,
            not_(still_held),
        )
        .values(ended_at=ending, ended_by=how)
    )
    running = exists().where(h.c.ticket_id == t.c.id, h.c.ended_at.is_(None))
    began = case(
        (and_(t.c.claimed_at.is_not(None), t.c.claimed_at <= at), t.c.claimed_at), else_=at
    )
    held = select(t.c.id, t.c.assigned_agent_id, began).where(
        t.c.id.in_(ids),
        t.c.active == true(),
        t.c.assigned_agent_id.is_not(None),
        not_(running),
    )
    session.connection().execute(insert(h).from_select(_COLUMNS, held))


def forget_all(session: Session) -> None:
    """Delete every hold: for an import of `export --all` into a database that held none,
    once its own hold records arrive, the holds its contacts were given on the way."""
    session.connection().execute(delete(_HOLD))
