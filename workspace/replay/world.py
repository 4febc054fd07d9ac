"""A replay's world: a private, throw-away SQLite database filled from one scenario, never the
team's. The trainee works in it with the real workspace; the customer's turns are written
into it as the scenario clock reaches them; and what the trainee did is read back from it as
their answers (the history entries they opened are the one thing the database does not
keep, so the replay tells the world as they happen).

It is filled through `caredesk import` (the same checks, the same rows): the trainee as an
agent, the customer, their orders, the scenario's history as earlier interactions, and the
live contact, open and held by the trainee, with the turns due at its start.
"""

from __future__ import annotations

import json
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from storage import replay_queries
from storage.engine import Database, make_database
from storage.migrate import upgrade
from storage.uow import read_session
from workspace.importer import import_file
from workspace.policy import known_tiers
from workspace.replay.clock import ScenarioClock as ScenarioClock  # re-exported
from workspace.replay.model import Answers, Scenario, Step, Turn
from workspace.team_config import DEFAULT_CONFIG
from workspace.vocabulary import ActionKind, ActionStatus, Direction

COUNTED = frozenset(ActionStatus.counted())
"""The statuses of actions that stand (as budgets count them)."""

TICKET = "T-REPLAY"
"""The live contact's id."""

LAPSE_AFTER = timedelta(hours=1)
"""How long the trainee's workspace may stay silent before its hold lapses: the world is
theirs alone, so nobody is waiting for it."""

TRAINEE = "trainee"
"""The trainee's login in the world (their name is the scenario's `agent.name`)."""

HISTORY_REF = "H-{index}"
"""The interaction id of history entry `index`: how an opened timeline entry is told."""


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class ReplayWorld:
    """One replay's database and what happened in it."""

    scenario: Scenario
    db: Database
    directory: Path
    """The folder the database lives in, removed by `close`."""
    said: list[int] = field(default_factory=list)
    """The turns (indexes of `scenario.contact.turns`) written so far."""
    opened: list[tuple[timedelta, int]] = field(default_factory=list)
    """History entries the trainee opened: when, and which."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def customer_id(self) -> str:
        return self.scenario.customer.id

    def due(self, elapsed: timedelta, taken: set[str]) -> list[int]:
        """The turns not yet said that are due: their time has come, or their action was
        taken (`taken`: the kinds of the trainee's actions so far)."""
        found = []
        for index, turn in enumerate(self.scenario.contact.turns):
            if index in self.said:
                continue
            if (turn.at is not None and turn.at <= elapsed) or (
                turn.after_action is not None and turn.after_action in taken
            ):
                found.append(index)
        return found

    def say(self, indexes: list[int], at: datetime) -> None:
        """Write these turns as the customer's messages on the contact, at `at`."""
        with self._lock:
            fresh = [i for i in indexes if i not in self.said]
            if not fresh:
                return
            records = [self._turn(i, self.scenario.contact.turns[i], at) for i in fresh]
            _import(self.db, self.scenario, self.directory, records)
            self.said.extend(fresh)

    def _turn(self, index: int, turn: Turn, at: datetime) -> dict[str, Any]:
        contact = self.scenario.contact
        return {
            "type": "interaction",
            "id": f"TURN-{index}",
            "customer": self.customer_id,
            "ticket": TICKET,
            "at": _stamp(at),
            "channel": contact.channel,
            "direction": "inbound",
            "text": turn.customer,
        }

    def open(self, ref: str, at: datetime) -> None:
        """The trainee opened the timeline entry `ref` at `at`."""
        if not ref.startswith("H-") or not ref[2:].isdigit():
            return
        with self._lock:
            self.opened.append((at - self.scenario.now, int(ref[2:])))

    def taken(self) -> set[str]:
        """The kinds of the actions taken so far that stand: executed, approved or waiting
        (a refused attempt, or a request taken back, is not what a customer thanks for)."""
        with read_session(self.db) as s:
            rows = replay_queries.actions(s, TICKET)
        return {r.kind for r in rows if r.status in COUNTED}

    def answers(self, trainee: str | None, closed_at: datetime | None = None) -> Answers:
        """What the trainee did, read back: their opened entries, replies and actions, and
        the contact's closing if it was closed (`closed_at` when the database keeps no time
        for it: an escalation)."""
        start = self.scenario.now
        steps: list[Step] = [
            Step(at=at, kind="open", open=f"history/{index}") for at, index in list(self.opened)
        ]
        with read_session(self.db) as s:
            for r in replay_queries.replies(s, TICKET, Direction.OUTBOUND):
                steps.append(Step(at=_offset(r.at, start), kind="reply", reply=r.text))
            for r in replay_queries.actions(s, TICKET):
                if r.status != ActionStatus.WITHDRAWN:  # taken back: as if never asked
                    steps.append(_action_step(r, start))
            closing = replay_queries.closing(s, TICKET)
        if closing is not None and closing.disposition is not None:
            when = closing.resolved_at or closing.parked_at or closing.let_go_at or closed_at
            if when is not None:
                at = _offset(when, start)
                steps.append(Step(at=at, kind="resolve", resolve=str(closing.disposition)))
        steps.sort(key=lambda step: step.at)
        return Answers(self.scenario.id, tuple(steps), trainee=trainee)

    def close(self) -> None:
        """Drop the database and its folder."""
        import shutil

        self.db.dispose()
        shutil.rmtree(self.directory, ignore_errors=True)


def _offset(moment: datetime, start: datetime) -> timedelta:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(timedelta(0), moment - start)


def _action_step(row: Any, start: datetime) -> Step:
    kind = ActionKind(row.kind)
    items = tuple(json.loads(row.items)) if row.items else ()
    return Step(
        at=_offset(row.requested_at, start),
        kind="action",
        action=kind.value,
        order=row.order_id,
        items=items,
        amount=Decimal(row.amount) if kind.typed_amount else None,
        reason=row.reason,
    )


def _import(
    db: Database, scenario: Scenario, directory: Path, records: list[dict[str, Any]]
) -> None:
    file = directory / "records.jsonl"
    with file.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    import_file(
        db,
        file,
        tiers=known_tiers(scenario.policy),
        levels=DEFAULT_CONFIG.service_levels,
        actor="replay",
    )


def _records(scenario: Scenario) -> list[dict[str, Any]]:
    """The scenario as import records: who plays, the customer, orders, history, contact."""
    c = scenario.customer
    records: list[dict[str, Any]] = [
        {"type": "agent", "id": TRAINEE, "name": scenario.agent.name, "role": scenario.agent.role},
        {
            "type": "customer",
            "id": c.id,
            "name": c.name,
            "tier": c.tier,
            **({"email": c.email} if c.email else {}),
            **({"phone": c.phone} if c.phone else {}),
            **({"since": c.since.isoformat()} if c.since else {}),
        },
    ]
    for o in scenario.orders:
        records.append(
            {
                "type": "order",
                "id": o.id,
                "customer": c.id,
                "placed_at": _stamp(o.placed_at),
                "status": o.status,
                **({"promised_by": o.promised_by.isoformat()} if o.promised_by else {}),
                **({"delivered_at": _stamp(o.delivered_at)} if o.delivered_at else {}),
                "items": [
                    {
                        "sku": i.sku,
                        "name": i.name,
                        "price": f"{i.price:.2f}",
                        "quantity": i.quantity,
                    }
                    for i in o.items
                ],
            }
        )
    for index, h in enumerate(scenario.history):
        records.append(
            {
                "type": "interaction",
                "id": HISTORY_REF.format(index=index),
                "customer": c.id,
                "at": _stamp(h.at),
                "channel": h.channel,
                "direction": h.direction,
                "text": h.text,
                **({"subject": h.subject} if h.subject else {}),
                **({"author": h.author} if h.author else {}),
            }
        )
    contact = scenario.contact
    records.append(
        {
            "type": "ticket",
            "id": TICKET,
            "customer": c.id,
            "channel": contact.channel,
            "subject": contact.subject,
            "opened_at": _stamp(scenario.now),
            "priority": "normal",
            "status": "open",
            "assigned_to": TRAINEE,
            "claimed_at": _stamp(scenario.now),
        }
    )
    return records


def empty_world() -> Path:
    """An empty database at the current schema, made once per schema in the cache folder
    (`CAREDESK_CACHE_DIR`) and copied for each replay: migrating a new file each time took
    a third of a replay's start."""
    import os
    import uuid

    from storage.migrate import HEAD
    from workspace.paths import cache_dir

    folder = cache_dir()
    made = folder / f"replay-world-{HEAD}.db"
    if made.is_file():
        return made
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f".replay-world-{HEAD}-{uuid.uuid4().hex}.db"
    db = make_database(f"sqlite:///{part}")
    try:
        upgrade(db.read, "head")
        db.dispose()  # the last connection checkpoints the log into the file
        os.replace(part, made)  # whole, or not there: two replays may make it at once
    finally:
        db.dispose()
        for leftover in folder.glob(f"{part.name}*"):  # a failed migration's file and log
            leftover.unlink(missing_ok=True)
    return made


def build_world(scenario: Scenario, parent: Path | None = None) -> ReplayWorld:
    """A new throw-away database for `scenario`, in a new temporary folder (inside `parent`
    if given), filled, with the turns due at the start already said."""
    import shutil

    directory = Path(tempfile.mkdtemp(prefix="caredesk-replay-", dir=parent))
    file = directory / "replay.db"
    try:
        shutil.copyfile(empty_world(), file)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    db = make_database(f"sqlite:///{file}")
    try:
        _import(db, scenario, directory, _records(scenario))
        world = ReplayWorld(scenario, db, directory)
        world.say(world.due(timedelta(0), set()), scenario.now)
    except BaseException:
        db.dispose()
        import shutil

        shutil.rmtree(directory, ignore_errors=True)
        raise
    return world
