"""Tampering: single changes made by hand to a database whose audit log holds actions,
approvals, deliveries and follow-ups; `caredesk audit verify` must name each one at its first
bad entry (or the first row its entries do not cover).

The world is built through the real use cases: the demo's team and customers, then actions
taken by the policy (executed, waiting, approved, denied, withdrawn), their messages sent to
a receiver on this machine (delivered, or refused for good), and follow-ups promised, fallen
due and done. Notes on contacts pad the log to the size asked for. Then each mutation is one
of:

- a bit flipped in one stored field of one entry (time, actor, event, entity, id, before,
  after, the previous hash, the hash, the seal) or of one covered row (an action, a
  delivery, a shipment, a follow-up: every covered column);
- an entry deleted, two swapped, one duplicated (chained again), one forged and appended
  (chained, unsealed or with a made-up seal), the log emptied;
- a row deleted, inserted (a copy under a new id), two rows' amounts swapped;
- the head deleted after a signed checkpoint was taken, and a forged append after it with
  the row changed to match.

Each is made in a transaction of its own, verified on that transaction's connection and
rolled back: the database is built once. On PostgreSQL the changes are made as a superuser
who switched the append-only triggers off, as someone with the database in hand would.
"""

from __future__ import annotations

import json
import random
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from storage import agent_queries
from storage.audit import entry_hash
from storage.audit_cover import (
    ACTION_COLUMNS,
    DELIVERY_COLUMNS,
    FOLLOW_UP_COLUMNS,
    SHIPMENT_COLUMNS,
)
from storage.bulk import insert_rows
from storage.engine import Database, make_database
from storage.models import AuditEntry
from storage.uow import lock_for_audit, read_session, unit_of_work
from workspace import follow_ups
from workspace.action_view import ActionRequest
from workspace.agents import AgentRecord, agent_record
from workspace.audit_check import (
    AuditReport,
    against,
    audit_key,
    checkpoint,
    verify_in,
)
from workspace.audit_trail import AuditTrail
from workspace.delivery import Deliverer, Endpoints
from workspace.demo.build import build_demo
from workspace.errors import CareDeskError
from workspace.policy_file import default_policy
from workspace.team_config import DEFAULT_CONFIG
from workspace.timefmt import utcnow
from workspace.vocabulary import FollowUpKind
from workspace.workbench import Workbench

SECRET = "whsec_" + "dGFtcGVyLXN1aXRlLXNpZ25pbmctc2VjcmV0LTAwMDE="
"""The receiver's signing secret (it does not check it: only answers matter here)."""

#: The covered columns of each table, and the key its rows are named by.
COVERED: dict[str, tuple[tuple[str, ...], str]] = {
    "action": (ACTION_COLUMNS, "id"),
    "delivery": (DELIVERY_COLUMNS, "action_id"),
    "shipment": (SHIPMENT_COLUMNS, "action_id"),
    "follow_up": (FOLLOW_UP_COLUMNS, "id"),
}
AUDIT_FIELDS = (
    "at",
    "actor",
    "action",
    "entity",
    "entity_id",
    "before",
    "after",
    "prev_hash",
    "hash",
    "seal",
)
_AGENT_COLUMNS = {"agent_id", "decided_by", "owner_id", "created_by", "done_by"}
_REFERENCES = {
    "customer_id": ("customer", "id"),
    "order_id": ("orders", "id"),
    "ticket_id": ("ticket", "id"),
}
_TIME_COLUMNS = {
    "requested_at",
    "decided_at",
    "executed_at",
    "delivered_at",
    "created_at",
    "due_at",
    "surfaced_at",
    "done_at",
    "at",
}


# -- the world ------------------------------------------------------------------------------


class _Receiver(ThreadingHTTPServer):
    daemon_threads = True


class _Answer(BaseHTTPRequestHandler):
    """204 for most messages; 422 (refused for good) for one in seven."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        refused = zlib.crc32((self.headers.get("webhook-id") or "").encode()) % 7 == 0
        self.send_response(422 if refused else 204)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass(frozen=True)
class World:
    """What was built."""

    entries: int
    actions: int
    deliveries: int
    follow_ups: int
    seconds: float


def _count(session: Session, table: str) -> int:
    return int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def build_world(db: Database, entries: int = 10_000, seed: int = 7, actions: int = 160) -> World:
    """Fill an empty, migrated `db` as the module's docstring says, to at least `entries`."""
    started = time.perf_counter()
    rng = random.Random(seed)
    build_demo(db, customers=60, contacts=80, seed=seed, act=True)
    policy = default_policy()
    with read_session(db) as s:
        team = [agent_record(r) for r in agent_queries.all_agents(s)]
        orders = s.execute(
            text("SELECT id, customer_id, status FROM orders ORDER BY id LIMIT 400")
        ).all()
        tickets = [r[0] for r in s.execute(text("SELECT id FROM ticket ORDER BY id LIMIT 200"))]
    agents = [a for a in team if a.role == "agent"] or team
    supervisor = next(a for a in team if a.role == "supervisor")
    boss = Workbench.open(db, supervisor, policy, clock=utcnow, lapse_after=timedelta(hours=1))
    benches = {
        a.id: Workbench.open(db, a, policy, clock=utcnow, lapse_after=timedelta(hours=1))
        for a in agents
    }
    asked = 0
    for n in range(actions):
        agent = rng.choice(agents)
        bench = benches[agent.id]
        order, customer, status = rng.choice(orders)
        kind = rng.choice(("discount", "store_credit", "refund", "reship", "reship", "cancel"))
        request = _request(kind, customer, order, status, rng)
        try:
            outcome = bench.actions.take(request, key=f"tamper-{n}")
        except CareDeskError:
            continue  # not eligible (a reship of an order not delivered): nothing stored
        if outcome.record.status == "requested":
            # Each request in turn: approved, denied, withdrawn, or left waiting.
            then, asked = asked % 4, asked + 1
            try:
                if then == 0:
                    boss.approvals.approve(outcome.record.id, "fine this once")
                elif then == 1:
                    boss.approvals.deny(outcome.record.id, "over the line")
                elif then == 2:
                    bench.approvals.withdraw(outcome.record.id)
            except CareDeskError:
                pass
    _deliver(db)
    _promise(db, tickets, agents, rng)
    with read_session(db) as s:
        have = _count(s, "audit_entry")
    _pad(db, agents[0], tickets, entries - have)
    with read_session(db) as s:
        return World(
            entries=_count(s, "audit_entry"),
            actions=_count(s, "action"),
            deliveries=_count(s, "delivery"),
            follow_ups=_count(s, "follow_up"),
            seconds=time.perf_counter() - started,
        )


def _request(kind: str, customer: str, order: str, status: str, rng: random.Random) -> Any:
    amount: str | None = None
    if kind in ("discount", "store_credit"):
        amount = str(rng.choice((5, 10, 15, 25, 60)))
    elif kind == "refund":
        amount = str(rng.choice((5, 20, 45)))
    action = {"cancel": "cancel_order"}.get(kind, kind)
    return ActionRequest(
        kind=action, customer_id=customer, order_id=order, amount=amount, reason="tamper suite"
    )


def _deliver(db: Database) -> None:
    """Send every waiting message to a receiver on this machine, until none is due."""
    server = _Receiver(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    endpoints = Endpoints({"*": f"http://{host!s}:{port}/"}, (SECRET,), timeout=5.0)
    deliverer = Deliverer(db, endpoints, name="deliverer-tamper")
    try:
        while deliverer.run_once().taken:
            pass
    finally:
        deliverer.close()
        server.shutdown()
        server.server_close()


def _promise(
    db: Database, tickets: list[str], agents: list[AgentRecord], rng: random.Random
) -> None:
    """Follow-ups on some contacts: half already due (the sweep brings them), some done."""
    now = utcnow()
    trail = AuditTrail(agents[0].name)
    with unit_of_work(db) as s:
        for n, ticket in enumerate(tickets[:60]):
            owner = rng.choice(agents)
            follow_ups.add(
                s,
                trail,
                ticket_id=ticket,
                kind=rng.choice(list(FollowUpKind)),
                due_at=now + timedelta(hours=1 if n % 2 else -1),
                note=f"promised on call {n}",
                owner_id=None if n % 5 == 0 else owner.id,
                by=owner.id,
                now=now,
            )
    follow_ups.bring_due(db, DEFAULT_CONFIG, limit=100)
    with unit_of_work(db) as s:
        for ticket in tickets[:20]:
            follow_ups.finish(s, trail, ticket, utcnow(), agents[0].id)


def _pad(db: Database, agent: AgentRecord, tickets: list[str], missing: int) -> None:
    """Notes on contacts until the log has its size: chained and sealed as `AuditTrail`
    writes them, inserted in bulk (one at a time, the build would take most of the run)."""
    if missing <= 0:
        return
    key = audit_key(db)
    with unit_of_work(db) as s:
        lock_for_audit(s)
        prev = s.execute(text("SELECT hash FROM audit_entry ORDER BY id DESC LIMIT 1")).scalar_one()
        rows = []
        at = utcnow()
        for n in range(missing):
            ticket = tickets[n % len(tickets)]
            after = json.dumps({"note": f"customer called again ({n})"}, sort_keys=True)
            when = at + timedelta(microseconds=n)
            digest = entry_hash(prev, when, agent.name, "note", "ticket", ticket, None, after)
            rows.append(
                {
                    "at": when,
                    "actor": agent.name,
                    "action": "note",
                    "entity": "ticket",
                    "entity_id": ticket,
                    "before": None,
                    "after": after,
                    "prev_hash": prev,
                    "hash": digest,
                    "seal": key.seal(digest),
                }
            )
            prev = digest
        insert_rows(s, AuditEntry.__table__, rows)  # type: ignore[attr-defined]


# -- mutations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """Where verification must say the first problem is: an entry, or a row."""

    entry: int | None = None
    row: tuple[str, str] | None = None
    checkpoint: bool = False
    """Found by the signed checkpoint (the log's own walk cannot see it)."""


@dataclass(frozen=True)
class Mutation:
    """One change made by hand, and where it must be found."""

    kind: str
    what: str
    apply: Callable[[Session], Expect]


def _q(name: str) -> str:
    return f'"{name}"'


def _flip_text(value: str, rng: random.Random) -> str:
    i = rng.randrange(len(value))
    code = ord(value[i])
    bit = 1 << rng.randrange(5 if code < 128 else 1)
    flipped = code ^ bit
    if 0xD800 <= flipped <= 0xDFFF or flipped == 0:
        flipped = code ^ 1 if code != 1 else 3
    return value[:i] + chr(flipped) + value[i + 1 :]


def _flip(column: str, value: Any, rng: random.Random, agents: list[int]) -> Any:
    """`value`, as stored, with one bit flipped (a time moved by 2^n microseconds; an
    agent's id changed to another agent's, which the foreign key allows)."""
    if column in _AGENT_COLUMNS:
        return rng.choice([a for a in agents if a != value])
    if column == "outside_budget" or isinstance(value, bool):
        return not value if isinstance(value, bool) else 1 - int(value)  # SQLite: 0 or 1
    if isinstance(value, int):
        return value ^ (1 << rng.randrange(20))
    if isinstance(value, datetime):
        return value + timedelta(microseconds=1 << rng.randrange(24))
    if isinstance(value, Decimal):
        return value + Decimal(1 << rng.randrange(10))
    if column in _TIME_COLUMNS and isinstance(value, str):  # SQLite keeps times as text
        moved = datetime.fromisoformat(value) + timedelta(microseconds=1 << rng.randrange(24))
        return moved.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, str) and value:
        return _flip_text(value, rng)
    raise ValueError(f"cannot flip {column}={value!r}")


class Tamperer:
    """Makes mutations of one built database."""

    def __init__(self, db: Database, seed: int = 11) -> None:
        self.db = db
        self.rng = random.Random(seed)
        with read_session(db) as s:
            self.ids = [
                int(r[0]) for r in s.execute(text("SELECT id FROM audit_entry ORDER BY id"))
            ]
            self.agents = [int(r[0]) for r in s.execute(text("SELECT id FROM agent"))]
            self.rows = {
                table: [
                    str(r[0]) for r in s.execute(text(f"SELECT {key} FROM {table} ORDER BY {key}"))
                ]
                for table, (_, key) in COVERED.items()
            }
            sealed = s.execute(text("SELECT id FROM audit_entry WHERE seal IS NOT NULL"))
            self.sealed = [int(r[0]) for r in sealed]
            self.actions_with_money = [
                int(r[0])
                for r in s.execute(text("SELECT id FROM action WHERE amount > 0 ORDER BY id"))
            ]
        self.checkpoint = checkpoint(db)

    # -- entries --

    def flip_entry(self) -> Mutation:
        entry = self.rng.choice(self.ids)
        column = self.rng.choice(AUDIT_FIELDS)
        if column == "seal":
            entry = self.rng.choice(self.sealed)

        def apply(s: Session) -> Expect:
            value = s.execute(
                text(f"SELECT {_q(column)} FROM audit_entry WHERE id = :id"), {"id": entry}
            ).scalar_one()
            if value is None:  # nothing stored to flip: change what is there instead
                value, column_used = (
                    s.execute(
                        text("SELECT actor FROM audit_entry WHERE id = :id"), {"id": entry}
                    ).scalar_one(),
                    "actor",
                )
            else:
                column_used = column
            changed = _flip(column_used, value, self.rng, self.agents)
            s.execute(
                text(f"UPDATE audit_entry SET {_q(column_used)} = :v WHERE id = :id"),
                {"v": changed, "id": entry},
            )
            return Expect(entry=entry)

        return Mutation("flip-entry", f"a bit of {column} of entry #{entry}", apply)

    def delete_entry(self) -> Mutation:
        i = self.rng.randrange(len(self.ids) - 1)
        entry, after = self.ids[i], self.ids[i + 1]

        def apply(s: Session) -> Expect:
            s.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": entry})
            return Expect(entry=after)

        return Mutation("delete-entry", f"entry #{entry} deleted", apply)

    def delete_head(self) -> Mutation:
        head = self.ids[-1]

        def apply(s: Session) -> Expect:
            s.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": head})
            return Expect(checkpoint=True)

        return Mutation("delete-head", f"the last entry (#{head}) deleted", apply)

    def swap_entries(self) -> Mutation:
        i = self.rng.randrange(len(self.ids) - 1)
        a, b = self.ids[i], self.ids[i + 1]

        def apply(s: Session) -> Expect:
            fields = ", ".join(_q(f) for f in AUDIT_FIELDS)
            rows = {
                r[0]: r[1:]
                for r in s.execute(
                    text(f"SELECT id, {fields} FROM audit_entry WHERE id IN (:a, :b)"),
                    {"a": a, "b": b},
                )
            }
            # Move one out of the way first: the hash is unique.
            s.execute(
                text("UPDATE audit_entry SET hash = :h WHERE id = :id"), {"h": "0" * 64, "id": a}
            )
            for target, source in ((b, a), (a, b)):
                sets = ", ".join(f"{_q(f)} = :{f}" for f in AUDIT_FIELDS)
                values = dict(zip(AUDIT_FIELDS, rows[source], strict=True))
                s.execute(
                    text(f"UPDATE audit_entry SET {sets} WHERE id = :id"), {**values, "id": target}
                )
            return Expect(entry=a)

        return Mutation("swap-entries", f"entries #{a} and #{b} swapped", apply)

    def _append(self, s: Session, fields: dict[str, Any], seal: str | None) -> int:
        """Append an entry chained to the head, as someone who knows the hash would."""
        head_id, prev = s.execute(
            text("SELECT id, hash FROM audit_entry ORDER BY id DESC LIMIT 1")
        ).one()
        at = fields["at"]
        when = at if isinstance(at, datetime) else datetime.fromisoformat(at)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        digest = entry_hash(
            prev,
            when,
            fields["actor"],
            fields["action"],
            fields["entity"],
            fields["entity_id"],
            fields["before"],
            fields["after"],
        )
        new_id = head_id + 1
        s.execute(
            text(
                "INSERT INTO audit_entry (id, at, actor, action, entity, entity_id, "
                '"before", "after", prev_hash, hash, seal) VALUES (:id, :at, :actor, :action, '
                ":entity, :entity_id, :before, :after, :prev, :hash, :seal)"
            ),
            {**fields, "id": new_id, "prev": prev, "hash": digest, "seal": seal},
        )
        return int(new_id)

    def _forge(
        self,
        s: Session,
        action_id: int,
        event: str,
        after: dict[str, Any],
        seal: str | None = None,
    ) -> int:
        """Append a forged entry about action `action_id`, chained as CareDesk chains."""
        fields = {
            "at": utcnow(),
            "actor": "jordan",
            "action": event,
            "entity": "action",
            "entity_id": str(action_id),
            "before": None,
            "after": json.dumps(after, sort_keys=True),
        }
        return self._append(s, fields, seal)

    def duplicate_entry(self) -> Mutation:
        entry = self.rng.choice(self.sealed)

        def apply(s: Session) -> Expect:
            row = s.execute(
                text(
                    'SELECT at, actor, action, entity, entity_id, "before", "after", seal '
                    "FROM audit_entry WHERE id = :id"
                ),
                {"id": entry},
            ).one()
            fields = dict(zip(AUDIT_FIELDS[:7], row[:7], strict=True))
            return Expect(entry=self._append(s, fields, row[7]))

        return Mutation("duplicate-entry", f"entry #{entry} copied to the end", apply)

    def forge_entry(self) -> Mutation:
        fake = self.rng.random() < 0.5
        action = self.rng.choice(self.actions_with_money)

        def apply(s: Session) -> Expect:
            seal = f"{'0' * 8}:{'ab' * 32}" if fake else None
            return Expect(
                entry=self._forge(s, action, "action.approve", {"status": "approved"}, seal)
            )

        made = "with a made-up seal" if fake else "unsealed"
        return Mutation("forge-entry", f"a chained entry appended, {made}", apply)

    def forge_after_checkpoint(self) -> Mutation:
        """The money changed and an entry appended that records it, chained, after a signed
        checkpoint: what a forger with the hash function and no key can do."""
        action = self.rng.choice(self.actions_with_money)

        def apply(s: Session) -> Expect:
            s.execute(
                text("UPDATE action SET amount = amount * 100 WHERE id = :id"), {"id": action}
            )
            state = s.execute(
                text(
                    "SELECT \"after\" FROM audit_entry WHERE entity = 'action' AND entity_id = :id "
                    "ORDER BY id DESC LIMIT 1"
                ),
                {"id": str(action)},
            ).scalar_one()
            recorded = json.loads(state)
            amount = s.execute(
                text("SELECT amount FROM action WHERE id = :id"), {"id": action}
            ).scalar_one()
            recorded["state"]["action"]["amount"] = f"{Decimal(int(amount)) / 100:.2f}"
            return Expect(entry=self._forge(s, action, "action.approve", recorded))

        return Mutation(
            "forge-after-checkpoint",
            f"action #{action}'s amount times 100, with a forged entry for it",
            apply,
        )

    def forge_claim(self) -> Mutation:
        """A forged entry dressed as a claim (the one kind that may go unsealed), recording a
        changed amount for an action."""
        action = self.rng.choice(self.actions_with_money)

        def apply(s: Session) -> Expect:
            s.execute(
                text("UPDATE action SET amount = amount + 100 WHERE id = :id"), {"id": action}
            )
            return Expect(entry=self._forge(s, action, "claim", {"holder": "alex"}))

        return Mutation("forge-claim", f"an unsealed claim entry about action #{action}", apply)

    def retype_time(self) -> Mutation:
        """An entry's time overwritten with a number (SQLite keeps what it is given; on
        PostgreSQL, whose column is a time, a time moved instead)."""
        entry = self.rng.choice(self.ids)

        def apply(s: Session) -> Expect:
            if self.db.is_sqlite:
                s.execute(text("UPDATE audit_entry SET at = 12345 WHERE id = :id"), {"id": entry})
            else:
                s.execute(
                    text("UPDATE audit_entry SET at = at + interval '1 second' WHERE id = :id"),
                    {"id": entry},
                )
            return Expect(entry=entry)

        return Mutation("retype-time", f"entry #{entry}'s time overwritten", apply)

    def change_refunded(self) -> Mutation:
        """What an order says was refunded, changed: refund headroom given back."""

        def apply(s: Session) -> Expect:
            order = s.execute(
                text("SELECT id FROM orders WHERE refunded <> 0 ORDER BY id LIMIT 1")
            ).scalar()
            if order is None:  # no refund executed: a refund that never happened
                order = s.execute(text("SELECT id FROM orders ORDER BY id LIMIT 1")).scalar_one()
                s.execute(text("UPDATE orders SET refunded = 500 WHERE id = :o"), {"o": order})
            else:
                s.execute(text("UPDATE orders SET refunded = 0 WHERE id = :o"), {"o": order})
            return Expect(row=("order", str(order)))

        return Mutation("change-refunded", "an order's refunded amount changed", apply)

    def empty_log(self) -> Mutation:
        first = self.rows["action"][0]

        def apply(s: Session) -> Expect:
            s.execute(text("DELETE FROM audit_entry"))
            return Expect(row=("action", first))

        return Mutation("empty-log", "every entry deleted", apply)

    # -- covered rows --

    def flip_row(self) -> Mutation:
        table = self.rng.choice(tuple(COVERED))
        columns, key = COVERED[table]
        row = self.rng.choice(self.rows[table])
        column = self.rng.choice(columns)

        def apply(s: Session) -> Expect:
            nonlocal column
            value = s.execute(
                text(f"SELECT {_q(column)} FROM {table} WHERE {key} = :k"), {"k": int(row)}
            ).scalar_one()
            if value is None or value == "":
                # Nothing stored to flip: flip a column that holds something.
                for other in columns:
                    value = s.execute(
                        text(f"SELECT {_q(other)} FROM {table} WHERE {key} = :k"), {"k": int(row)}
                    ).scalar_one()
                    if value not in (None, ""):
                        column = other
                        break
            if column in _REFERENCES:
                # Another customer's, order's or contact's id: the foreign key holds it.
                target, target_key = _REFERENCES[column]
                changed = s.execute(
                    text(f"SELECT {target_key} FROM {target} WHERE {target_key} <> :v LIMIT 1"),
                    {"v": value},
                ).scalar_one()
            else:
                changed = _flip(column, value, self.rng, self.agents)
            s.execute(
                text(f"UPDATE {table} SET {_q(column)} = :v WHERE {key} = :k"),
                {"v": changed, "k": int(row)},
            )
            return Expect(row=(table, row))

        return Mutation("flip-row", f"a bit of {table} {row}'s {column}", apply)

    def delete_row(self) -> Mutation:
        table = self.rng.choice(("action", "delivery", "shipment", "follow_up"))
        row = self.rng.choice(self.rows[table])

        def apply(s: Session) -> Expect:
            if table == "action":
                for child in ("delivery", "shipment", "action_key"):
                    s.execute(text(f"DELETE FROM {child} WHERE action_id = :k"), {"k": int(row)})
                s.execute(text("DELETE FROM action WHERE id = :k"), {"k": int(row)})
            else:
                _, key = COVERED[table]
                s.execute(text(f"DELETE FROM {table} WHERE {key} = :k"), {"k": int(row)})
            return Expect(row=(table, row))

        return Mutation("delete-row", f"{table} {row} deleted", apply)

    def insert_row(self) -> Mutation:
        table = self.rng.choice(("action", "follow_up"))
        row = self.rng.choice(self.rows[table])

        def apply(s: Session) -> Expect:
            columns = COVERED[table][0]
            names = ", ".join(_q(c) for c in columns)
            # The ref is unique: the copy gets one of its own.
            chosen = ", ".join(":ref" if c == "ref" else _q(c) for c in columns)
            new_id = int(s.execute(text(f"SELECT max(id) FROM {table}")).scalar_one()) + 1
            s.execute(
                text(
                    f"INSERT INTO {table} (id, {names}) SELECT :new, {chosen} FROM {table} "
                    "WHERE id = :k"
                ),
                {"new": new_id, "k": int(row), "ref": f"A-copy-{new_id}"},
            )
            return Expect(row=(table, str(new_id)))

        return Mutation("insert-row", f"{table} {row} copied under a new id", apply)

    def swap_rows(self) -> Mutation:
        a, b = self.rng.sample(self.actions_with_money, 2)

        def apply(s: Session) -> Expect:
            amounts = dict(
                s.execute(
                    text("SELECT id, amount FROM action WHERE id IN (:a, :b)"), {"a": a, "b": b}
                ).all()
            )
            if amounts[a] == amounts[b]:  # nothing to swap: change the first of them instead
                first = min(a, b)
                s.execute(text("UPDATE action SET amount = amount + 1 WHERE id = :a"), {"a": first})
            else:
                for x, y in ((a, b), (b, a)):
                    s.execute(
                        text("UPDATE action SET amount = :v WHERE id = :x"),
                        {"v": amounts[y], "x": x},
                    )
            return Expect(row=("action", str(min(a, b))))

        return Mutation("swap-rows", f"the amounts of actions #{a} and #{b} swapped", apply)

    def mutations(self, count: int) -> list[Mutation]:
        """`count` mutations: every kind at least once, bit flips the most."""
        makers: list[tuple[Callable[[], Mutation], int]] = [
            (self.flip_entry, 30),
            (self.flip_row, 30),
            (self.delete_entry, 6),
            (self.swap_entries, 6),
            (self.duplicate_entry, 5),
            (self.forge_entry, 5),
            (self.forge_after_checkpoint, 5),
            (self.delete_row, 5),
            (self.insert_row, 4),
            (self.swap_rows, 4),
            (self.forge_claim, 3),
            (self.retype_time, 2),
            (self.change_refunded, 2),
        ]
        found = [self.empty_log(), self.delete_head()]
        found += [make() for make, _ in makers]
        weights = [w for _, w in makers]
        while len(found) < count:
            make = self.rng.choices([m for m, _ in makers], weights)[0]
            found.append(make())
        return found[:count]

    # -- checking --

    def check(self, mutation: Mutation) -> str | None:
        """Make the mutation, verify, undo it; None when verification named it where it
        should, else what it said instead."""
        key = audit_key(self.db)
        with Session(self.db.write) as s:
            try:
                if not self.db.is_sqlite:
                    s.execute(text("SET LOCAL session_replication_role = replica"))
                expect = mutation.apply(s)
                report = verify_in(s, key)
                if expect.checkpoint:
                    problem = against(s, key, self.checkpoint)
                    return None if problem is not None and report.ok else f"missed: {problem}"
                return _judge(report, expect)
            finally:
                s.rollback()


def _judge(report: AuditReport, expect: Expect) -> str | None:
    chain = report.chain.broken
    if expect.entry is not None:
        if chain is not None and chain.entry_id == expect.entry:
            return None
        return f"expected entry #{expect.entry}, got {_said(report)}"
    cover = report.cover.uncovered if report.cover is not None else None
    if chain is None and cover is not None and (cover.entity, cover.entity_id) == expect.row:
        return None
    return f"expected {expect.row}, got {_said(report)}"


def _said(report: AuditReport) -> str:
    if report.chain.broken is not None:
        b = report.chain.broken
        return f"entry #{b.entry_id}: {b.problem}"
    if report.cover is not None and report.cover.uncovered is not None:
        u = report.cover.uncovered
        return f"{u.entity} {u.entity_id}: {u.problem}"
    return "nothing"


@dataclass(frozen=True)
class TamperResult:
    """What the tamper suite found."""

    mutations: int
    caught: int
    not_caught: int
    """Mutations verification did not name where it should (a check: must be 0)."""
    missed: list[str]
    entries: int
    covered_rows: int
    verify_rows_per_s: float
    """Entries and covered rows verified per second, on the intact database (best of 3)."""


def verify_speed(db: Database) -> tuple[float, int, int]:
    """(rows per second, entries, covered rows) of a whole verification, best of three."""
    key = audit_key(db)
    best = float("inf")
    report = None
    for _ in range(3):
        with read_session(db) as s:
            started = time.perf_counter()
            report = verify_in(s, key)
            best = min(best, time.perf_counter() - started)
    assert report is not None and report.ok, report
    assert report.cover is not None
    rows = report.chain.entries + report.cover.rows
    return rows / best, report.chain.entries, report.cover.rows


def run_tamper(db: Database, count: int = 1000, seed: int = 11) -> TamperResult:
    """Every mutation checked on `db` (built by `build_world`)."""
    speed, entries, covered = verify_speed(db)
    tamperer = Tamperer(db, seed)
    missed = []
    for mutation in tamperer.mutations(count):
        wrong = tamperer.check(mutation)
        if wrong is not None:
            missed.append(f"{mutation.kind}: {mutation.what}: {wrong}")
    return TamperResult(count, count - len(missed), len(missed), missed, entries, covered, speed)


def measure_tamper(url: str, entries: int = 10_000, mutations: int = 1000) -> TamperResult:
    """Build a world of `entries` in the empty database at `url`, then run `mutations`."""
    from workspace.boot import migrate

    db = make_database(url)
    try:
        migrate(db)
        build_world(db, entries=entries, actions=max(40, min(160, entries // 60)))
        return run_tamper(db, mutations)
    finally:
        db.dispose()
