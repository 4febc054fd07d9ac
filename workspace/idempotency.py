"""An idempotency key means one request.

A key belongs to the agent who used it (another agent's `K` is another key). The first
submit with a key claims it, in a transaction of its own, before the action is decided; the
action's own transaction then settles it with the action. So:

- the same key with the same request replays the first action (`repeated`) for `WINDOW`
  after its first use; after that it is refused (a retry days later is not a retry);
- the same key with a different request is refused, naming the first field that differs;
- a second submit while the first is still deciding is told it is in progress, and does
  nothing; a first submit whose process died is taken over once its lease (`LEASE`) ends;
- a submit whose input was refused (an unknown customer, a bad amount) frees its key.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from storage import action_keys, action_queries
from storage.engine import Database
from storage.uow import unit_of_work
from workspace.action_view import ActionRequest, parse_amount
from workspace.errors import ActionInputError, CareDeskError

WINDOW = timedelta(hours=24)
"""How long a key's first action is replayed for."""
MAX_KEY = 64
"""The longest key, in characters (its column's width)."""
LEASE = timedelta(seconds=60)
"""How long a submit holds a key it has not settled yet, before another may take it over."""

#: The request's fields, as a key records them, with what a message calls each.
FIELDS = {
    "action": "action",
    "customer": "customer",
    "order": "order",
    "contact": "contact",
    "amount": "amount",
    "items": "items",
    "reason": "reason",
}


class KeyReused(ActionInputError):
    """The key was first used for another request; `field` names the first difference."""


class KeyInProgress(CareDeskError):
    """Another submit with the same key is being decided now."""


def asked(request: ActionRequest) -> dict[str, Any]:
    """What a request asks, as its key records it: typed amounts compared as amounts."""
    amount: Any = request.amount
    if isinstance(amount, str) and not amount.strip():
        amount = None
    if amount is not None:
        try:
            amount = format(parse_amount(amount), "f")
        except ActionInputError:
            amount = str(amount).strip()  # refused when decided; compared as typed
    return {
        "action": request.kind,
        "customer": request.customer_id,
        "order": request.order_id or None,
        "contact": request.ticket_id or None,
        "amount": amount,
        "items": list(request.items),
        "reason": request.reason.strip(),
    }


def _encoded(request: dict[str, Any]) -> str:
    return json.dumps(request, sort_keys=True, ensure_ascii=False)


def _shown(value: Any) -> str:
    if value is None or value == []:
        return "nothing"
    text = ", ".join(value) if isinstance(value, list) else str(value)
    text = text if len(text) <= 40 else text[:39] + "…"
    return json.dumps(text, ensure_ascii=True)


def difference(first: dict[str, Any], now: dict[str, Any]) -> str | None:
    """The first field in which `now` asks something other than `first`, or None."""
    for name in FIELDS:
        if first.get(name) != now.get(name):
            return name
    return None


@dataclass(frozen=True)
class Claim:
    """A key this submit holds until its action's transaction settles it."""

    agent_id: int
    key: str
    holder: str

    def settle(self, session: Session, action_id: int) -> None:
        """Record the action, in its own transaction; raises `KeyInProgress` (rolling the
        action back) when this submit's lease ran out and another took the key over."""
        if not action_keys.settle(
            session, self.agent_id, self.key, holder=self.holder, action_id=action_id
        ):
            raise KeyInProgress(
                f"key {self.key}: another submit took it over while this one waited; "
                "nothing was done by this one"
            )

    def release(self, db: Database) -> None:
        """Free the key: this submit did nothing."""
        with unit_of_work(db) as s:
            action_keys.release(s, self.agent_id, self.key, holder=self.holder)


def claim(
    db: Database, agent_id: int, key: str, request: ActionRequest, now: datetime
) -> Claim | int:
    """Claim `key` for `request`: the `Claim` to settle, or the id of the action the key
    already took (to replay). Raises `KeyReused` or `KeyInProgress`."""
    if not 0 < len(key) <= MAX_KEY:
        raise ActionInputError("key", f"a key is 1 to {MAX_KEY} characters, got {len(key)}")
    wanted = asked(request)
    holder = uuid.uuid4().hex
    until = now + LEASE
    with unit_of_work(db) as s:
        if action_keys.claim(
            s, agent_id, key, request=_encoded(wanted), now=now, holder=holder, lease_until=until
        ):
            # Before schema 0021 a key was the action's ref, `A-<key>`: the same agent's
            # old key still names its action (the first request is not known: replayed).
            old = action_queries.by_ref(s, f"A-{key}")
            if old is not None and old.agent_id == agent_id:
                action_keys.settle(s, agent_id, key, holder=holder, action_id=int(old.id))
                return int(old.id)
            return Claim(agent_id, key, holder)
        row = action_keys.get(s, agent_id, key)
        if row is None:  # freed between the two statements: a refused submit's
            raise KeyInProgress(f"key {key}: another submit with it just ended; try again")
        first = json.loads(row.request)
        differs = difference(first, wanted)
        if differs is not None:
            raise KeyReused(
                differs,
                f"key {key} was first used for {FIELDS[differs]} {_shown(first.get(differs))}, "
                f"not {_shown(wanted.get(differs))}: a key means one request; use a new key "
                "for a new one",
            )
        if row.action_id is not None:
            if now - row.first_at > WINDOW:
                hours = int(WINDOW.total_seconds() // 3600)
                raise KeyReused(
                    "key",
                    f"key {key} was used at {row.first_at:%Y-%m-%d %H:%M} UTC, over {hours} "
                    f"hours ago: it is not replayed any more; use a new key",
                )
            return int(row.action_id)
        if action_keys.take_over(s, agent_id, key, now=now, holder=holder, lease_until=until):
            return Claim(agent_id, key, holder)  # its first submit died before it settled
    raise KeyInProgress(
        f"key {key}: the first submit with it is still being decided; nothing was done "
        "by this one (run it again to see its outcome)"
    )
