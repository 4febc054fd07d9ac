"""The one audit writer: every use case records its changes of state through it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlmodel import Session

from storage.audit import Draft, append_audit
from storage.audit_cover import STATE, state_of
from storage.engine import Database
from storage.logins import acting, acting_on
from storage.uow import lock_for_audit
from workspace.audit_seal import COVERED, UNSEALED, key_for
from workspace.vocabulary import AuditEvent, Entity

MAX_ACTOR = 64
"""The audit log's actor column holds this many characters."""

FOR = " for "


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def acting_actor(login: str, agent: str) -> str:
    """How the audit log names an administrator's login working for an agent:
    `postgres for hana`. Two very long names are each cut (marked `…`) to fit."""
    room = MAX_ACTOR - len(FOR)
    if len(login) + len(agent) <= room:
        return f"{login}{FOR}{agent}"
    keep_login = max(room - len(agent), room // 2)
    keep_login = min(keep_login, len(login))
    return f"{_fit(login, keep_login)}{FOR}{_fit(agent, room - keep_login)}"


class AuditTrail:
    """Appends entries for one actor to the hash-chained audit log, inside the caller's
    unit of work (so an entry is written exactly when the change it records is)."""

    def __init__(self, actor: str) -> None:
        self.actor = actor
        """Who acts: an agent's login name, or whoever installs a policy."""

    def record(
        self,
        session: Session,
        at: datetime,
        event: AuditEvent,
        entity: Entity,
        entity_id: str,
        *,
        before: Mapping[str, object] | None = None,
        after: Mapping[str, object] | None = None,
    ) -> int:
        """Append one entry; returns its id.

        Written through a database an administrator signed in to for someone else (see
        `workspace.agents.sign_in`), the entry names both: `postgres for hana`.

        Every entry but a claim is sealed with the team's audit key (`workspace.audit_seal`),
        its hash made here, not in the database. One about an action or a follow-up also
        records what the row (and the action's delivery and shipment) stands at now, under
        `state`: record it after the change it records.
        """
        if entity.value in COVERED:
            lock_for_audit(session)  # the state read is the one the chain's order records
            state = state_of(session, entity.value, entity_id)
            if state is not None:
                after = {**(after or {}), STATE: state}
        # A claim is not sealed (see `UNSEALED`): on PostgreSQL it stays one round trip.
        unsealed = (event.value, entity.value) in UNSEALED
        seal = None if unsealed else key_for(session.get_bind()).seal  # type: ignore[arg-type]
        return append_audit(
            session,
            at=at,
            actor=self._actor(acting(session)),
            action=event.value,
            entity=entity.value,
            entity_id=entity_id,
            before=before,
            after=after,
            seal=seal,
        )

    def draft(
        self,
        db: Database,
        at: datetime,
        event: AuditEvent,
        entity: Entity,
        *,
        before: Mapping[str, object] | None = None,
        after: Mapping[str, object] | None = None,
    ) -> Draft:
        """An entry for a change whose statement names the entity itself and appends the
        entry with it (`storage.audit.appended`): a claim of the next contact."""
        return Draft(
            at=at,
            actor=self._actor(acting_on(db)),
            action=event.value,
            entity=entity.value,
            before=before,
            after=after,
        )

    def _actor(self, marked: tuple[str, str] | None) -> str:
        """Who the entry names: `postgres for hana` for an administrator acting for the
        agent this trail writes for."""
        if marked is not None and marked[1] == self.actor:
            return acting_actor(*marked)
        return self.actor
