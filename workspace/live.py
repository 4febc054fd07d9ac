"""The live feed: what other workspaces did, as soon as it commits.

One feed per open workspace replaces polling: it waits on the database's own signal
(`storage.feed.Watch`), then reads the change log after the last change it handed out, so
a burst of changes costs one read and nothing is missed while the workspace was busy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage import changes
from storage.engine import Reader
from storage.feed import Watch
from storage.uow import read_session
from workspace.vocabulary import ChangeKind, member

#: Changes read at a time; more are read at the next wake.
BATCH = 500


@dataclass(frozen=True)
class ChangeRecord:
    """One change another workspace (or this one) made."""

    seq: int
    """Its place in commit order."""
    at: datetime
    """When it was made."""
    kind: ChangeKind
    """What happened."""
    ticket_id: str | None
    """The contact it concerns (None: many, as an import)."""
    agent_id: int | None
    """Who made it (None: the system)."""


@dataclass(frozen=True)
class Changes:
    """A batch of changes, and what a workspace needs to know about them at a glance."""

    records: tuple[ChangeRecord, ...]

    @property
    def tickets(self) -> frozenset[str]:
        """The contacts that changed (someone only opening one is not a change of it)."""
        return frozenset(
            r.ticket_id
            for r in self.records
            if r.ticket_id is not None and r.kind is not ChangeKind.VIEW
        )

    @property
    def viewed(self) -> frozenset[str]:
        """The contacts someone opened or left (who is viewing them changed)."""
        return frozenset(
            r.ticket_id
            for r in self.records
            if r.ticket_id is not None and r.kind is ChangeKind.VIEW
        )

    @property
    def everything(self) -> bool:
        """Whether many contacts changed at once (reload whatever is shown)."""
        return any(r.kind is ChangeKind.CONTACTS for r in self.records)

    @property
    def queue(self) -> bool:
        """Whether the queue (who holds what, what waits) may look different."""
        return any(r.kind not in _NOT_QUEUE for r in self.records)

    @property
    def requests(self) -> bool:
        """Whether a request was made, withdrawn or decided."""
        return any(r.kind in _REQUESTS for r in self.records)

    @property
    def deliveries(self) -> bool:
        """Whether an action's message changed state (delivered, failed, tried again)."""
        return any(r.kind is ChangeKind.DELIVERY for r in self.records)

    def __bool__(self) -> bool:
        return bool(self.records)


_REQUESTS = frozenset({ChangeKind.REQUEST, ChangeKind.DECISION})
#: Changes after which the queue's rows still say the same: opening a contact changes only
#: who is viewing it, which the queue refreshes for the rows it holds (every agent's every
#: cursor move is one; reloading every open queue for each would not scale to a team).
_NOT_QUEUE = frozenset(
    {*_REQUESTS, ChangeKind.ACTION, ChangeKind.AGENT, ChangeKind.VIEW, ChangeKind.DELIVERY}
)


class LiveFeed:
    """Hands out the changes committed after it started, in order; one worker owns it."""

    def __init__(self, db: Reader) -> None:
        self.db = db
        self._watch = Watch(db.read)
        self._seq: int | None = None
        self._more = False

    def start(self) -> None:
        """Listen from now on; changes committed before are not handed out."""
        self._watch.start()
        with read_session(self.db) as s:
            self._seq = changes.last_seq(s)

    def wait(self, timeout: float) -> Changes:
        """The changes committed since the last call, waiting up to `timeout` seconds for
        one; empty when none came. Raises when the database is gone (call again to retry:
        nothing committed meanwhile is lost)."""
        if self._seq is None:
            self.start()
            return Changes(())
        if self._more:
            return self.read()
        woke = self._watch.wait(timeout)
        return self.read() if woke else Changes(())

    def read(self) -> Changes:
        """The changes after the last one handed out (without waiting)."""
        assert self._seq is not None
        with read_session(self.db) as s:
            rows = changes.since(s, self._seq, BATCH)
        records = []
        for row in rows:
            kind = member(ChangeKind, row.kind)
            if kind is not None:  # a newer CareDesk's word: nothing this one shows
                records.append(ChangeRecord(row.seq, row.at, kind, row.ticket_id, row.agent_id))
        if rows:
            self._seq = rows[-1].seq
        self._more = len(rows) == BATCH
        return Changes(tuple(records))

    def close(self) -> None:
        """Stop listening."""
        self._watch.close()
