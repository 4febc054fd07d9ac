"""The audit log as people read it: who did what, to which contact, action or agent, and
what it changed, oldest first, narrowed to an agent, a customer or a period.

It only reads, a page at a time (`storage.audit.log_page`), so it runs on a read-only
connection and a log of millions of entries streams in constant memory. Everything an entry
holds came from someone (names, reasons, subjects): lines show it through `one_line`, never
raw, and JSON escapes it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from storage import agent_queries, customer_queries
from storage.audit import LogKey, LogScope, actors, log_page
from storage.audit_cover import STATE
from storage.engine import Reader
from storage.uow import read_session
from workspace.audit_trail import FOR
from workspace.errors import CareDeskError
from workspace.presence import SYSTEM
from workspace.text import one_line, preview, words

PAGE = 500
"""Entries read per query."""

VALUE_LIMIT = 80
"""Characters of one value shown in a line's summary (`--json` has them whole)."""


@dataclass(frozen=True)
class LogEntry:
    """One audit entry, every stored field, its before and after read back from JSON."""

    id: int
    """Its place in the hash chain."""
    at: datetime
    """When it was written, aware UTC."""
    actor: str
    """Who acted, as stored: a login, `login for agent`, or the system's own name."""
    event: str
    """What was done, as stored (`claim`, `action.approve`)."""
    entity: str
    """The kind of thing it was done to (`ticket`, `action`, `agent`, `policy`, `config`)."""
    entity_id: str
    """Which one."""
    before: dict[str, Any] | None
    """What the entry says changed, as it was; None when it records none."""
    after: dict[str, Any] | None
    """What the entry says changed, as it became; None when it records none."""
    hash: str
    """Its hash, over its fields and `prev_hash`."""
    prev_hash: str
    """The hash of the entry before it in the chain."""
    seal: str | None
    """Its seal with the team's audit key (None: a claim, which goes unsealed)."""

    def to_json(self) -> str:
        """One line of JSON Lines with every field; ASCII, so no byte of it can act on a
        terminal."""
        return json.dumps(
            {
                "id": self.id,
                "at": self.at.isoformat().replace("+00:00", "Z"),
                "actor": self.actor,
                "event": self.event,
                "entity": self.entity,
                "entity_id": self.entity_id,
                "before": self.before,
                "after": self.after,
                "hash": self.hash,
                "prev_hash": self.prev_hash,
                "seal": self.seal,
            }
        )


@dataclass(frozen=True)
class LogQuery:
    """What `caredesk audit log` was asked for, checked."""

    agent: str | None = None
    """An agent's id (login) or database number, or any actor the log names."""
    customer: str | None = None
    """A customer's id."""
    since: datetime | None = None
    """From this time on (included), aware UTC."""
    until: datetime | None = None
    """Up to this time (excluded), aware UTC."""
    limit: int | None = None
    """At most this many entries."""


class LogInputError(CareDeskError):
    """An option of `caredesk audit log` that names nothing, or is not what it should be."""


def _loaded(text: str | None) -> dict[str, Any] | None:
    return None if text is None else dict(json.loads(text))


def log_entry(row: Any) -> LogEntry:
    """An entry from a row of `storage.audit.log_page`."""
    return LogEntry(
        id=int(row.id),
        at=row.at.astimezone(UTC),
        actor=row.actor,
        event=row.action,
        entity=row.entity,
        entity_id=row.entity_id,
        before=_loaded(row.before),
        after=_loaded(row.after),
        hash=row.hash,
        prev_hash=row.prev_hash,
        seal=row.seal,
    )


def _scope(db: Reader, query: LogQuery) -> LogScope:
    """The query's agent and customer as the log stores them; a name that matches nothing
    is refused, so a typo is not read as an empty log."""
    with read_session(db) as s:
        who: tuple[str, ...] = ()
        if query.agent is not None:
            wanted = query.agent.strip()
            found = agent_queries.agent_by_name(s, wanted)
            if found is None and wanted.isdigit():
                found = next((a for a in agent_queries.all_agents(s) if a.id == int(wanted)), None)
            named = actors(s)
            if found is not None:
                # Theirs, and what an administrator signed in for them did (`x for login`).
                who = tuple(a for a in named if a == found.name or a.endswith(FOR + found.name))
                who = who or (found.name,)
            elif wanted in named or (wanted == "system" and SYSTEM in named):
                who = (SYSTEM if wanted == "system" else wanted,)
            else:
                raise LogInputError(
                    f"--agent: no agent has the id or number {query.agent!r}, and no entry of "
                    "the log names it as its actor; expected an agent's id (login), e.g. hana"
                )
        customer = None
        if query.customer is not None:
            row = customer_queries.get_customer(s, query.customer.strip())
            if row is None:
                raise LogInputError(
                    f"--customer: there is no customer with the id {query.customer!r}"
                )
            customer = str(row.id)
    return LogScope(actors=who, customer=customer, since=query.since, until=query.until)


def read_log(db: Reader, query: LogQuery, *, page: int = PAGE) -> Iterator[LogEntry]:
    """The entries `query` asks for, oldest first (by time, then id), a page at a time: each
    page its own short read, so nothing of the log is held but the page being shown."""
    scope = _scope(db, query)
    left = query.limit
    after: LogKey | None = None
    while left is None or left > 0:
        size = page if left is None else min(page, left)
        with read_session(db) as s:
            rows = log_page(s, scope, after=after, limit=size)
        for row in rows:
            yield log_entry(row)
        if left is not None:
            left -= len(rows)
        if len(rows) < size:
            return
        last = rows[-1]
        after = LogKey(last.at, last.id)


# -- one line an entry ----------------------------------------------------------------------


def team_names(db: Reader) -> dict[str, str]:
    """Each agent's display name by login (the team is at most a few hundred people)."""
    with read_session(db) as s:
        return {a.name: a.display_name for a in agent_queries.all_agents(s)}


def actor_text(actor: str, names: Mapping[str, str]) -> str:
    """Who acted, for a line: `hana (Hana Ito)`, `postgres for hana (Hana Ito)`, `system`."""
    if actor == SYSTEM:
        return "system"
    login, _, agent = actor.partition(FOR)
    shown = agent or login
    name = names.get(shown)
    return one_line(actor if name is None else f"{actor} ({name})")


def _value(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, str):
        return preview(value, VALUE_LIMIT)
    return preview(json.dumps(value, ensure_ascii=False, default=str), VALUE_LIMIT)


def changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> str:
    """What changed, compactly: `holder: none → hana; reason: late`; a key kept as it was
    is left out, one only before reads `key: old → gone`."""
    old, new = before or {}, after or {}
    parts = []
    for key in [*new, *(k for k in old if k not in new)]:
        if key in old and key in new and old[key] == new[key]:
            continue
        name = one_line(key)
        if key not in old:
            parts.append(f"{name}: {_value(new[key])}")
        elif key not in new:
            parts.append(f"{name}: {_value(old[key])} → gone")
        else:
            parts.append(f"{name}: {_value(old[key])} → {_value(new[key])}")
    return "; ".join(parts)


def line(entry: LogEntry, names: Mapping[str, str]) -> str:
    """One entry as one line: `2026-11-20 14:03:11Z  #12  hana (Hana Ito)  claim  ticket
    T-1  holder: none → hana`. Every piece is made safe for a terminal."""
    when = entry.at.strftime("%Y-%m-%d %H:%M:%SZ")
    event = one_line(words(entry.event.replace(".", " ")))
    about = f"{one_line(words(entry.entity))} {one_line(entry.entity_id)}"
    parts = [when, f"#{entry.id}", actor_text(entry.actor, names), event, about]
    # The row's recorded state is for `audit verify` (and --json), not for reading.
    after = None if entry.after is None else {k: v for k, v in entry.after.items() if k != STATE}
    summary = changes(entry.before, after)
    return "  ".join([*parts, summary] if summary else parts)
