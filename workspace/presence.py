"""Who is here: each open workspace's heartbeat, the contact it has open, and holds that
lapse when their workspace is gone.

An open workspace beats every `BEAT` seconds. One that has not beaten for the lapse time
(a killed terminal, a machine that went to sleep, a lost network) is taken for gone by
whichever workspace notices first; if its agent has no other workspace open, their holds
go back to the queue with an audit entry saying why, their holds ended as lapsed. A
workspace closed on purpose ends its session and keeps or releases its holds as the agent
chose, so those never lapse.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage import changes, presence_queries
from storage.engine import Database
from storage.uow import read_session, unit_of_work
from workspace.agents import AgentRecord
from workspace.audit_trail import AuditTrail
from workspace.timefmt import utcnow
from workspace.vocabulary import AuditEvent, ChangeKind, Entity, HoldEnd

#: Seconds between heartbeats of an open workspace.
BEAT = 10.0
#: How long a workspace may stay silent before its holds lapse (the default).
LAPSE_AFTER = timedelta(minutes=3)
#: Who the audit log names for a lapse: nobody did it, the rule did.
SYSTEM = "caredesk"


@dataclass(frozen=True)
class Lapsed:
    """Holds released because their agent's workspace was gone."""

    agent_id: int
    """Whose holds they were."""
    tickets: tuple[str, ...]
    """The contacts released."""
    silent_since: datetime
    """The gone workspace's last heartbeat."""


class Presence:
    """One open workspace's row: begun when it opens, beaten while open, ended on quit."""

    def __init__(
        self,
        db: Database,
        agent: AgentRecord,
        *,
        clock: Callable[[], datetime] = utcnow,
        lapse_after: timedelta = LAPSE_AFTER,
        beat_every: float = BEAT,
    ) -> None:
        self.db = db
        self.agent = agent
        self.clock = clock
        self.lapse_after = lapse_after
        self.beat_every = beat_every
        """Seconds between heartbeats."""
        self.id = uuid.uuid4().hex
        """This workspace's session id."""
        self.host = f"{socket.gethostname()}:{os.getpid()}"
        self.viewing: str | None = None
        """The contact this workspace has open."""
        self._trail = AuditTrail(SYSTEM)

    def begin(self) -> None:
        """Record this workspace as open."""
        with unit_of_work(self.db) as s:
            presence_queries.begin(s, self.id, self.agent.id, self.clock(), self.host)

    def beat(self) -> list[Lapsed]:
        """Say this workspace is alive, then release the holds of workspaces gone longer
        than the lapse time; returns what lapsed (usually nothing)."""
        now = self.clock()
        with unit_of_work(self.db) as s:
            if not presence_queries.beat(s, self.id, now):
                # Taken for gone while this process could not reach the database: come back.
                presence_queries.begin(s, self.id, self.agent.id, now, self.host)
                if self.viewing is not None:
                    presence_queries.view(s, self.id, self.viewing)
                    changes.record(
                        s, ChangeKind.VIEW, now, ticket_id=self.viewing, agent_id=self.agent.id
                    )
        return self.lapse(now)

    def lapse(self, now: datetime) -> list[Lapsed]:
        """Release the holds of agents whose every workspace has been silent too long."""
        cutoff = now - self.lapse_after
        with read_session(self.db) as s:
            silent = list(presence_queries.stale(s, cutoff))
        lapsed = []
        for row in silent:
            released: list[str] = []
            with unit_of_work(self.db) as s:
                if not presence_queries.forget_stale(s, row.id, cutoff):
                    continue  # it beat meanwhile, or another workspace took care of it
                if row.viewing_ticket_id is not None:
                    # Others' queues and context panes stop saying it is being viewed.
                    changes.record(s, ChangeKind.VIEW, now, ticket_id=row.viewing_ticket_id)
                if presence_queries.has_open_workspace(s, row.agent_id):
                    continue  # the agent works on elsewhere: their holds stay
                held = presence_queries.held(s, row.agent_id)
                released += presence_queries.release_held(
                    s, row.agent_id, held, now, ended_by=HoldEnd.LAPSE
                )
                silent_for = int((now - row.beat_at).total_seconds())
                for ticket_id in released:
                    self._trail.record(
                        s,
                        now,
                        AuditEvent.LAPSE,
                        Entity.TICKET,
                        ticket_id,
                        before={"holder_id": row.agent_id},
                        after={
                            "holder": None,
                            "reason": f"the holder's workspace was silent for {silent_for}s",
                        },
                    )
                    changes.record(s, ChangeKind.LAPSE, now, ticket_id=ticket_id)
            if released:
                lapsed.append(Lapsed(row.agent_id, tuple(released), row.beat_at))
        return lapsed

    def view(self, ticket_id: str | None) -> None:
        """Record the contact this workspace has open, so others see who is on it."""
        self.viewing = ticket_id
        now = self.clock()
        with unit_of_work(self.db) as s:
            if presence_queries.view(s, self.id, ticket_id):
                changes.record(s, ChangeKind.VIEW, now, ticket_id=ticket_id, agent_id=self.agent.id)

    def viewers(self, ticket_ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Who else has each of these contacts open, by contact (names, oldest first)."""
        found: dict[str, list[str]] = {}
        with read_session(self.db) as s:
            for row in presence_queries.viewers(s, ticket_ids, not_session=self.id):
                names = found.setdefault(row.ticket_id, [])
                if row.name not in names:
                    names.append(row.name)
        return {ticket: tuple(names) for ticket, names in found.items()}

    def held(self) -> list[str]:
        """The contacts this agent holds (asked before quitting)."""
        with read_session(self.db) as s:
            return presence_queries.held(s, self.agent.id)

    def end(self, *, release: bool) -> list[str]:
        """Close this workspace's session; with `release`, hand back every contact the agent
        holds (each audited). Returns the contacts released."""
        now = self.clock()
        trail = AuditTrail(self.agent.name)
        with unit_of_work(self.db) as s:
            presence_queries.end(s, self.id)
            released: list[str] = []
            if release:
                held = presence_queries.held(s, self.agent.id)
                released = presence_queries.release_held(
                    s, self.agent.id, held, now, ended_by=HoldEnd.LEAVE
                )
            for ticket_id in released:
                trail.record(
                    s,
                    now,
                    AuditEvent.RELEASE,
                    Entity.TICKET,
                    ticket_id,
                    before={"holder": self.agent.name},
                    after={"holder": None, "reason": "released on quitting the workspace"},
                )
                changes.record(
                    s, ChangeKind.RELEASE, now, ticket_id=ticket_id, agent_id=self.agent.id
                )
            if self.viewing is not None:
                changes.record(s, ChangeKind.VIEW, now, ticket_id=self.viewing)
        return released
