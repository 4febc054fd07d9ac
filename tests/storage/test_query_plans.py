"""Every query the panes make reads its big tables through an index, on SQLite and PostgreSQL.

The scale issue's database has 100,000 customers, 2,000,000 interactions, 300,000 orders and
50,000 open contacts. A little data is enough to check it, because each database is asked
differently:

- SQLite plans without statistics, as CareDesk runs it (nothing runs ANALYZE), so its plans
  here are the ones a full database gets. They may not SCAN a big table (in full, or down a
  whole index), nor sort with a temp b-tree, unless a case says why; and where two indexes
  could serve a query and only one narrows it, the case names the one that must be used.
- PostgreSQL plans from statistics that a little data cannot imitate, so its choice between
  indexes proves nothing here. With sequential scans (and hash and merge joins) disabled, a
  Seq Scan left in the plan means no index can serve the query; an index read without an
  Index Cond means an index walked end to end. Both fail unless a case says why.

Each case captures the statements the real storage function runs and explains each of them
with its own parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, event, update
from sqlmodel import Session, col

from storage import (
    action_queries,
    agent_queries,
    audit,
    contact_writes,
    customer_queries,
    lookup_queries,
    queue_queries,
)
from storage.engine import Database
from storage.models import Ticket
from storage.uow import read_session, unit_of_work
from tests.conftest import fresh_database
from tests.factories import NOW, add_agents, add_customer, add_message, add_order, add_ticket
from workspace.actions import COUNTED, MONEY_BACK
from workspace.queue import QueueFilter, QueueKey, queue_row
from workspace.reading import GIVING
from workspace.timeline import TimelineKey
from workspace.vocabulary import ActionStatus, Channel, ContactStatus, member

#: The tables that grow with the business; a tiny table (agent, policy_version) may be scanned.
BIG = frozenset(
    {"ticket", "interaction", "orders", "order_item", "action", "audit_entry", "customer"}
)


@dataclass(frozen=True)
class Seed:
    """What the cases need to know about the data they run on."""

    agent_id: int
    """The agent who holds some contacts and requested the actions."""
    key: QueueKey
    """A queue row's key, for keyset paging and positions."""
    closed_key: QueueKey
    """A resolved contact's key, for the resolved view's paging and positions."""


@dataclass(frozen=True)
class Case:
    """One call of a storage function whose statements are explained."""

    name: str
    """`function/variant`: what a failure names, with the database."""
    run: Callable[[Session, Seed], object]
    """Calls the real function."""
    uses: tuple[str, ...] = ()
    """Indexes (by the start of their names) the SQLite plans must go through; `a|b`: one
    of them."""
    walks: frozenset[str] = frozenset()
    """Big tables it may read without narrowing them; the case says why."""
    sorts: bool = False
    """Whether SQLite may sort with a temp b-tree; the case says why."""
    write: bool = False
    """Run in a unit of work rather than a read session."""


def _seed(db: Database) -> Seed:
    """A little of everything, so every function runs every statement it has."""
    add_customer(db)
    add_customer(db, "C-2", name="Ola Berg", tier="standard")
    sam, ria = add_agents(db, "sam", "ria")
    channels = ("chat", "email", "call")
    statuses = ("open", "pending", "resolved", "escalated")
    for i in range(12):
        add_ticket(
            db,
            f"T-{i:02d}",
            "C-1" if i % 2 else "C-2",
            channel=channels[i % 3],
            status=statuses[i % 4],
            due_in=i * 5 - 20,
            holder=sam.id if i % 3 == 0 else None,
        )
    with unit_of_work(db) as s:
        # Closed at different times, one (T-10) without a resolution time, as some imports.
        for tid in ("T-02", "T-06"):
            s.execute(
                update(Ticket)
                .where(col(Ticket.id) == tid)
                .values(resolved_at=NOW - timedelta(hours=int(tid[2:])))
            )
    for i in range(6):
        at = NOW - timedelta(days=i)
        add_message(db, f"I-{i}", at=at, text="The blender jug arrived cracked", ticket="T-01")
    add_order(db, "W1", placed=NOW - timedelta(days=9), promised=NOW.date())
    add_order(db, "W2", placed=NOW - timedelta(days=3))
    with unit_of_work(db) as s:
        for i, status in enumerate(("requested", "approved", "executed", "denied")):
            action_queries.insert_action(
                s,
                {
                    "ref": f"R-{i}",
                    "kind": "refund",
                    "customer_id": "C-1",
                    "order_id": "W1",
                    "agent_id": sam.id,
                    "amount": Decimal("5.00"),
                    "currency": "EUR",
                    "reason": "Jug cracked",
                    "verdict": "ask",
                    "rule": "refund.limit",
                    "verdict_reason": "over the agent's limit",
                    "policy_hash": "0123456789abcdef",
                    "status": status,
                    "requested_at": NOW - timedelta(days=i),
                    "decided_at": NOW if status != "requested" else None,
                    "decided_by": ria.id if status != "requested" else None,
                },
            )
        for i in range(5):
            audit.append_audit(
                s, at=NOW, actor="sam", action="claim", entity="ticket", entity_id=f"T-{i:02d}"
            )
    with read_session(db) as s:
        row = queue_queries.page_at(s, QueueFilter(), 2, 1)[0]
        key = QueueKey(row.sla_due_at, row.priority_rank, row.opened_at, row.id)
        closed = queue_queries.page_at(s, QueueFilter(status=ContactStatus.RESOLVED), 1, 1)[0]
        closed_key = queue_row(closed).key
    return Seed(agent_id=sam.id, key=key, closed_key=closed_key)


# -- the cases --------------------------------------------------------------------------------

#: Queue filters as (status, channel, mine; status None is the active view: the open
#: contacts, or with "mine" every contact the agent works), and the index that must serve
#: each (or a longer one that begins with it: `ix_ticket_queue_status_channel` narrows by
#: status as well).
FILTERS = {
    "active": ((None, None, False), "ix_ticket_queue_status"),
    "status": (("open", None, False), "ix_ticket_queue_status"),
    "channel": ((None, "chat", False), "ix_ticket_queue_status_channel"),
    "status+channel": (("pending", "email", False), "ix_ticket_queue_status_channel"),
    "escalated": (("escalated", None, False), "ix_ticket_queue_status"),
    "escalated+channel": (("escalated", "call", False), "ix_ticket_queue_status_channel"),
    "mine": ((None, None, True), "ix_ticket_queue_holder_active"),
    "mine+status": (("pending", None, True), "ix_ticket_queue_holder_status"),
    "mine+escalated": (("escalated", None, True), "ix_ticket_queue_holder_status"),
    "mine+channel": ((None, "chat", True), "ix_ticket_queue_holder_active"),
    # The resolved view, newest closed first: the closed contacts' own indexes, read
    # backwards, seeking the key (no sort of every resolved contact, no walk from the top).
    "resolved": (("resolved", None, False), "ix_ticket_closed"),
    "resolved+channel": (("resolved", "email", False), "ix_ticket_closed_channel"),
    "mine+resolved": (("resolved", None, True), "ix_ticket_closed_holder"),
    "mine+resolved+channel": (("resolved", "chat", True), "ix_ticket_closed_holder"),
}


def _flt(variant: str, seed: Seed) -> QueueFilter:
    (status, channel, mine), _index = FILTERS[variant]
    return QueueFilter(
        status=member(ContactStatus, status) if status else None,
        channel=member(Channel, channel) if channel else None,
        agent_id=seed.agent_id if mine else None,
    )


def _key(variant: str, seed: Seed) -> QueueKey:
    """A key of a row the variant's view shows (a resolved one in the resolved view)."""
    (status, _channel, _mine), _index = FILTERS[variant]
    return seed.closed_key if status == "resolved" else seed.key


def _queue_cases() -> Iterator[Case]:
    q = queue_queries
    for v, ((status, channel, mine), index) in FILTERS.items():
        # The closed indexes hold only closed contacts, so PostgreSQL takes `status` out of
        # their Index Cond. A count of the closed contacts reads all of its index's entries
        # (on a few rows PostgreSQL finds the smallest closed index, whole, cheaper than a
        # seek); the newest are the end of `ix_ticket_closed`, read backwards until the LIMIT.
        closed = status == "resolved"
        counted = frozenset({"ticket"}) if closed else frozenset()
        newest = frozenset({"ticket"}) if closed and not (channel or mine) else frozenset()
        yield Case(
            f"count_queue/{v}",
            lambda s, d, v=v: q.count_queue(s, _flt(v, d)),
            (index,),
            walks=counted,
        )
        yield Case(
            f"page_after/{v}/top",
            lambda s, d, v=v: q.page_after(s, _flt(v, d), None, 50),
            (index,),
            walks=newest,
        )
        yield Case(
            f"page_after/{v}/key",
            lambda s, d, v=v: q.page_after(s, _flt(v, d), _key(v, d), 50),
            (index,),
        )
        yield Case(
            f"page_before/{v}",
            lambda s, d, v=v: q.page_before(s, _flt(v, d), _key(v, d), 50),
            (index,),
        )
        # An offset walks the index entries it skips: only a jump reads by offset.
        yield Case(
            f"page_at/{v}",
            lambda s, d, v=v: q.page_at(s, _flt(v, d), 3, 50),
            (index,),
            walks=newest,
        )
        yield Case(
            f"position_of/{v}",
            lambda s, d, v=v: q.position_of(s, _flt(v, d), _key(v, d)),
            (index,),
        )
        # The most urgent contacts are the held ones: "next" starts past them, in the index
        # of the unheld alone ("mine" never asks for next: a claim is from the team's queue).
        # SQLite may start from the holder's index instead: its unheld rows come first
        # (`assigned_agent_id IS NULL`), by status and in queue order, just as good.
        if not mine and not closed:  # a closed contact is never claimed
            unheld = "ix_ticket_unheld_channel" if channel else "ix_ticket_unheld"
            if not channel:
                unheld += "|ix_ticket_queue_holder_status"
            yield Case(
                f"next_unheld/{v}",
                lambda s, d, v=v: s.execute(q.next_unheld(_flt(v, d))).all(),
                (unheld,),
            )
    yield Case("get_row", lambda s, d: q.get_row(s, "T-03"))
    # Un-parking reads the parked contact by its key, locked for the update that follows.
    yield Case("parked", lambda s, d: contact_writes.parked(s, "T-01", "pending"), write=True)


def _customer_cases() -> Iterator[Case]:
    c = customer_queries
    yield Case("get_customer", lambda s, d: c.get_customer(s, "C-1"))
    yield Case(
        "customer_orders",
        lambda s, d: c.customer_orders(s, "C-1"),
        ("ix_orders_customer_placed",),
    )
    yield Case(
        "customer_tickets", lambda s, d: c.customer_tickets(s, "C-1"), ("ix_ticket_customer",)
    )
    yield Case(
        "interactions_since",
        lambda s, d: c.interactions_since(s, "C-1", NOW - timedelta(days=2)),
        ("ix_interaction_timeline",),
    )
    yield Case(
        "count_interactions",
        lambda s, d: c.count_interactions(s, "C-1"),
        ("ix_interaction_timeline",),
    )
    yield Case(
        "interactions_page/top",
        lambda s, d: c.interactions_page(s, "C-1", None, 50),
        ("ix_interaction_timeline",),
    )
    yield Case(
        "interactions_page/interaction_key",
        lambda s, d: c.interactions_page(s, "C-1", TimelineKey(NOW, 0, 3), 50),
        ("ix_interaction_timeline",),
    )
    yield Case(
        "interactions_page/order_key",
        lambda s, d: c.interactions_page(s, "C-1", TimelineKey(NOW, 1, "W1/placed"), 50),
        ("ix_interaction_timeline",),
    )
    # History search: the text index finds the matches, the customer's among them, newest
    # first (on SQLite in the index's own order: no sort).
    yield Case(
        "search_history/customer",
        lambda s, d: c.search_history(s, "C-1", "blend crack*"),
        ("interaction_search MATCH",),
    )
    yield Case(
        "search_history/everyone",
        lambda s, d: c.search_history(s, None, "cracked"),
        ("interaction_search MATCH",),
    )
    yield Case("get_order", lambda s, d: c.get_order(s, "W1"))


def _action_cases() -> Iterator[Case]:
    a = action_queries
    yield Case(
        "usage",
        lambda s, d: a.usage(
            s,
            agent_id=d.agent_id,
            customer_id="C-1",
            kind="refund",
            month_start=NOW - timedelta(days=30),
            window_start=NOW - timedelta(days=90),
            order_id="W1",
            counted=COUNTED,
            money_back=MONEY_BACK,
        ),
        ("ix_action_budget", "ix_action_customer", "ix_action_order"),
    )
    waiting = ActionStatus.REQUESTED
    yield Case("in_status", lambda s, d: a.in_status(s, waiting), ("ix_action_status",))
    yield Case("count_in_status", lambda s, d: a.count_in_status(s, waiting), ("ix_action_status",))
    # By customer, not by status: "requested" is every customer's waiting requests.
    yield Case(
        "count_for_customer",
        lambda s, d: a.count_for_customer(s, "C-1", waiting),
        ("ix_action_customer_status",),
    )
    yield Case(
        "customer_actions",
        lambda s, d: a.customer_actions(s, "C-1", NOW - timedelta(days=90)),
        ("ix_action_customer",),
    )
    # By customer, not by status: "executed" since then is every customer's compensation.
    yield Case(
        "given",
        lambda s, d: a.given(
            s, "C-1", NOW - timedelta(days=90), status=ActionStatus.EXECUTED, kinds=GIVING
        ),
        ("ix_action_customer_status",),
    )
    yield Case(
        "decided_for",
        lambda s, d: a.decided_for(s, d.agent_id, NOW - timedelta(days=30)),
        ("ix_action_decided",),
    )
    yield Case("by_ref", lambda s, d: a.by_ref(s, "R-1"))
    yield Case("get_action", lambda s, d: a.get_action(s, 1))


def _agent_and_audit_cases() -> Iterator[Case]:
    yield Case("agent_by_name", lambda s, d: agent_queries.agent_by_name(s, "sam"))
    yield Case("news_seen_at", lambda s, d: agent_queries.news_seen_at(s, d.agent_id))
    # The last hash: the primary key walked from its end, stopped after one row by the LIMIT.
    yield Case(
        "append_audit",
        lambda s, d: audit.append_audit(
            s, at=NOW, actor="sam", action="release", entity="ticket", entity_id="T-00"
        ),
        walks=frozenset({"audit_entry"}),
        write=True,
    )
    # The first page starts at the primary key's beginning; later ones seek past the last id.
    yield Case(
        "verify_chain",
        lambda s, d: audit.verify_chain(s, batch=2),
        walks=frozenset({"audit_entry"}),
    )
    # The head of the whole log is its count: every entry of the smallest index, once per
    # `audit verify`, which walks the whole log anyway. The last entry is one seek.
    yield Case("head", lambda s, d: audit.head(s), walks=frozenset({"audit_entry"}))
    yield Case("head/up_to", lambda s, d: audit.head(s, up_to=3))


def _lookup_cases() -> Iterator[Case]:
    lq = lookup_queries
    # Ids in any case, through the index of `lower(id)`: one seek, the customer by its key.
    # Whole keys are one seek; prefixes one range, read in the index's order (no sort).
    calls: dict[str, tuple[Callable[[Session], object], tuple[str, ...]]] = {
        "customers_by_id": (lambda s: lq.customers_by_id(s, "c-1", 20), ("ix_customer_id_folded",)),
        "orders_by_id": (lambda s: lq.orders_by_id(s, "w1", 20), ("ix_orders_id_folded",)),
        "tickets_by_id": (lambda s: lq.tickets_by_id(s, "t-01", 20), ("ix_ticket_id_folded",)),
        "customers_by_email": (
            lambda s: lq.customers_by_email(s, "d@example.com", 20),
            ("ix_customer_email_key",),
        ),
        "customers_by_phone": (
            lambda s: lq.customers_by_phone(s, "50102030", 20),
            ("ix_customer_phone_key",),
        ),
        "customers_by_name": (
            lambda s: lq.customers_by_name(s, "dan", 20),
            ("ix_customer_name_key",),
        ),
        "customers_by_later_word": (
            lambda s: lq.customers_by_later_word(s, "whit", 20),
            ("ix_customer_rest_key", "ix_customer_last_key"),
        ),
        "customers_by_email_prefix": (
            lambda s: lq.customers_by_email_prefix(s, "d@ex", 20),
            ("ix_customer_email_key",),
        ),
    }
    for name, (call, uses) in calls.items():
        yield Case(f"lookup/{name}", lambda s, d, call=call: call(s), uses)


CASES = [
    *_queue_cases(),
    *_customer_cases(),
    *_action_cases(),
    *_agent_and_audit_cases(),
    *_lookup_cases(),
]


# -- capturing and explaining -----------------------------------------------------------------


def _statements(db: Database, case: Case, seed: Seed) -> list[tuple[str, Any]]:
    """The SELECTs the case runs, each with its parameters as the driver received them."""
    seen: list[tuple[str, Any]] = []

    def capture(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    # `db.write` is `db.read` with execution options: one listener hears both.
    event.listen(db.read, "before_cursor_execute", capture)
    try:
        session: AbstractContextManager[Session] = (
            unit_of_work(db) if case.write else read_session(db)
        )
        with session as s:
            case.run(s, seed)
    finally:
        event.remove(db.read, "before_cursor_execute", capture)
    return seen


_FROM = re.compile(r"\b(?:FROM|JOIN)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?", re.IGNORECASE)
_SQLITE_READ = re.compile(r"^(SCAN|SEARCH) (\w+)(?: USING (?:COVERING )?INDEX (\w+))?")
_VIRTUAL = re.compile(r"VIRTUAL TABLE INDEX \d+:(\S*)")


def _sqlite_plan(
    conn: Connection, statement: str, parameters: Any, case: Case
) -> tuple[list[str], set[str]]:
    """What is wrong with the statement's SQLite plan, and the indexes it goes through."""
    tables: dict[str, str] = {}
    for table, alias in _FROM.findall(statement):
        tables[table] = table
        if alias:
            tables[alias] = table
    problems: list[str] = []
    indexes: set[str] = set()
    for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters):
        detail = str(row[-1])
        if "TEMP B-TREE" in detail and not case.sorts:
            problems.append(detail)
        if (read := _SQLITE_READ.match(detail)) is None:
            continue
        how, name, index = read.groups()
        if index:
            indexes.add(index)
        if (virtual := _VIRTUAL.search(detail)) is not None and "M" in virtual.group(1):
            indexes.add(f"{name} MATCH")  # an FTS5 table answering a MATCH from its index
        table = tables.get(name, name)
        if how == "SCAN" and table in BIG and table not in case.walks:
            problems.append(detail)
    return problems, indexes


def _pg_plan(conn: Connection, statement: str, parameters: Any, case: Case) -> list[str]:
    """What is wrong with the statement's PostgreSQL plan, sequential scans disabled."""
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    # A hash or merge join reads its whole side, which on a few rows costs less than a loop
    # of lookups; with them off, a join that has no index to look up shows as a full read.
    conn.exec_driver_sql("SET LOCAL enable_hashjoin = off")
    conn.exec_driver_sql("SET LOCAL enable_mergejoin = off")
    ((plan,),) = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).all()
    problems: list[str] = []

    def visit(node: dict[str, Any], heap: str | None) -> None:
        kind = node["Node Type"]
        table = node.get("Relation Name", heap)
        shown = f"{kind} on {table}" + (
            f" using {node['Index Name']}" if "Index Name" in node else ""
        )
        if table in BIG:
            if kind == "Seq Scan":
                problems.append(shown)
            elif "Index" in kind and "Index Cond" not in node and table not in case.walks:
                problems.append(f"{shown}, with no Index Cond")
        # A bitmap index scan names only its index: its table is the heap scan's above it.
        inherit = table if kind in ("Bitmap Heap Scan", "BitmapAnd", "BitmapOr") else None
        for child in node.get("Plans", []):
            visit(child, inherit)

    visit(plan[0]["Plan"], None)
    return problems


#: A further check of a PostgreSQL plan: (connection, statement, parameters) to problems.
PgCheck = Callable[[Connection, str, Any], list[str]]


def check_plans(
    db: Database, case: Case, *, seed: Seed | None = None, also: PgCheck | None = None
) -> None:
    """Run `case` on data seeded by `_seed` and hold every statement's plan to the rules:
    no big table read without an index, SQLite going through `case.uses`, and on PostgreSQL
    whatever `also` adds."""
    statements = _statements(db, case, _seed(db) if seed is None else seed)
    assert statements, f"{case.name} ran no SELECT"
    where = f"{case.name} on {db.read.dialect.name}"
    problems: list[str] = []
    indexes: set[str] = set()
    with db.read.connect() as conn:
        for statement, parameters in statements:
            if db.is_sqlite:
                found, used = _sqlite_plan(conn, statement, parameters, case)
                indexes |= used
            else:
                found = _pg_plan(conn, statement, parameters, case)
                if also is not None:
                    found += also(conn, statement, parameters)
                conn.rollback()
            problems += [f"{p}\n    in: {' '.join(statement.split())}" for p in found]
    assert not problems, f"{where} reads a big table without an index:\n" + "\n".join(problems)
    if db.is_sqlite:
        missing = [
            u
            for u in case.uses
            if not any(i.startswith(alt) for alt in u.split("|") for i in indexes)
        ]
        assert not missing, f"{where} does not use {missing}: it went through {sorted(indexes)}"


#: The seed of each database that `_shared` filled once, by its URL.
_SEEDS: dict[str, Seed] = {}


@pytest.fixture(scope="module")
def _shared(module_db: Database) -> Iterator[Database]:
    """The module's database of each kind, seeded once: the cases that only read run in
    sessions that roll back, so none sees what another did."""
    _SEEDS[module_db.url] = _seed(module_db)
    yield module_db
    del _SEEDS[module_db.url]


@pytest.fixture
def db(
    request: pytest.FixtureRequest, _shared: Database, migrated_sqlite: Path, tmp_path: Path
) -> Iterator[Database]:
    """The shared, seeded database; a fresh one of the same kind for a case that writes,
    since what it writes is committed."""
    case: Case = request.node.callspec.params["case"]
    if not case.write:
        yield _shared
        return
    kind = "sqlite" if _shared.is_sqlite else "postgresql"
    with fresh_database(kind, migrated_sqlite, tmp_path) as own:
        yield own


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_big_tables_are_read_through_an_index(db: Database, case: Case) -> None:
    check_plans(db, case, seed=_SEEDS.get(db.url))
