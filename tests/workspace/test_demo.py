"""The demo data: deterministic, internally consistent, and a believable live queue."""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, func, select

from storage.bulk import insert_rows, is_empty
from storage.engine import Database
from storage.models import Action, Agent, Customer, Interaction, Order, OrderItem, Ticket
from storage.testing import fresh_sqlite
from storage.uow import read_session, unit_of_work
from workspace.demo import (
    AGENTS,
    CHANNELS,
    SCENARIOS,
    DemoDatabaseNotEmpty,
    DemoSummary,
    build_demo,
)
from workspace.demo.dice import Dice, Weighted
from workspace.demo.history import Busy
from workspace.sla import SlaLevel, sla_due, sla_state

#: A fixed "now" (with microseconds, which must survive both databases).
NOW = datetime(2026, 3, 10, 15, 30, 12, 345678, tzinfo=UTC)

TABLES: dict[str, Table] = {
    "agent": Agent.__table__,  # type: ignore[attr-defined]
    "customer": Customer.__table__,  # type: ignore[attr-defined]
    "orders": Order.__table__,  # type: ignore[attr-defined]
    "order_item": OrderItem.__table__,  # type: ignore[attr-defined]
    "ticket": Ticket.__table__,  # type: ignore[attr-defined]
    "interaction": Interaction.__table__,  # type: ignore[attr-defined]
    "action": Action.__table__,  # type: ignore[attr-defined]
}


def rows(db: Database, name: str) -> list[dict[str, Any]]:
    """Every row of a table as dicts of Python values, in primary-key order."""
    table = TABLES[name]
    with read_session(db) as session:
        result = session.execute(select(table).order_by(*table.primary_key.columns))
        return [dict(r._mapping) for r in result]


def dump(db: Database) -> dict[str, list[dict[str, Any]]]:
    """The whole demo, table by table."""
    return {name: rows(db, name) for name in TABLES}


def count(db: Database, name: str) -> int:
    """How many rows a table holds."""
    with read_session(db) as session:
        return int(session.execute(select(func.count()).select_from(TABLES[name])).scalar_one())


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """The default demo set on SQLite, built once for the tests that only read it."""
    db = fresh_sqlite(tmp_path_factory.mktemp("demo"))
    build_demo(db, now=NOW)
    yield db
    db.dispose()


def another_sqlite(tmp_path: Path) -> Database:
    """A second fresh SQLite database next to the `sqlite_db` fixture's."""
    directory = tmp_path / "second"
    directory.mkdir()
    return fresh_sqlite(directory)


def active_tickets(db: Database) -> list[dict[str, Any]]:
    """The contacts not yet resolved: open ones, and pending ones parked out of the queue."""
    return [t for t in rows(db, "ticket") if t["status"] != "resolved"]


def test_default_set_counts_match_the_summary(db: Database) -> None:
    summary = build_demo(db, now=NOW)

    assert summary == DemoSummary(
        agents=6,
        customers=300,
        orders=990,
        order_items=count(db, "order_item"),
        interactions=count(db, "interaction"),
        tickets=count(db, "ticket"),
        actions=count(db, "action"),
    )
    assert summary.actions > 0
    assert count(db, "orders") == summary.orders
    assert count(db, "customer") == 300
    assert summary.order_items >= summary.orders
    assert 300 * 20 <= summary.interactions <= 300 * 30  # about 25 per customer
    resolved = summary.tickets - 400
    assert 100 <= resolved <= 200  # about 0.5 per customer
    assert len(active_tickets(db)) == 400


def test_agents_are_the_demo_team_and_alex_comes_first(db: Database) -> None:
    build_demo(db, customers=10, contacts=5, now=NOW)

    agents = [(a["name"], a["display_name"], a["role"]) for a in rows(db, "agent")]
    assert agents == [
        ("alex", "Alex Morgan", "agent"),
        ("sam", "Sam Okafor", "senior"),
        ("riley", "Riley Chen", "agent"),
        ("jordan", "Jordan Blake", "supervisor"),
        ("casey", "Casey Ruiz", "trainer"),
        ("priya", "Priya Nair", "agent"),
    ]


def test_ids_follow_the_source_system_formats(db: Database) -> None:
    build_demo(db, customers=20, contacts=10, now=NOW)

    assert [c["id"] for c in rows(db, "customer")][:3] == ["C-10001", "C-10002", "C-10003"]
    assert min(o["id"] for o in rows(db, "orders")) == "W100001"
    tickets = rows(db, "ticket")
    open_ids = sorted(t["id"] for t in tickets if t["status"] != "resolved")
    assert open_ids == [f"T-{n:06d}" for n in range(1, 11)]
    assert all(re.fullmatch(r"T-\d{6}", t["id"]) for t in tickets)
    refs = [i["ref"] for i in rows(db, "interaction")]
    assert refs[0] == "I-0000001"
    assert len(set(refs)) == len(refs)


def test_same_seed_and_now_give_identical_databases(sqlite_db: Database, tmp_path: Path) -> None:
    second = another_sqlite(tmp_path)
    try:
        build_demo(sqlite_db, customers=80, contacts=100, now=NOW, seed=11)
        build_demo(second, customers=80, contacts=100, now=NOW, seed=11)
        assert dump(sqlite_db) == dump(second)
    finally:
        second.dispose()


def test_another_seed_gives_other_data(sqlite_db: Database, tmp_path: Path) -> None:
    second = another_sqlite(tmp_path)
    try:
        build_demo(sqlite_db, customers=30, contacts=20, now=NOW, seed=1)
        build_demo(second, customers=30, contacts=20, now=NOW, seed=2)
        assert rows(sqlite_db, "customer") != rows(second, "customer")
    finally:
        second.dispose()


def test_sqlite_and_postgresql_receive_the_same_rows(sqlite_db: Database, pg_db: Database) -> None:
    build_demo(sqlite_db, customers=60, contacts=80, now=NOW)
    build_demo(pg_db, customers=60, contacts=80, now=NOW)

    assert dump(sqlite_db) == dump(pg_db)


def test_every_channel_is_in_the_queue_even_a_tiny_one(db: Database) -> None:
    build_demo(db, customers=3, contacts=5, now=NOW)

    assert {t["channel"] for t in active_tickets(db)} == set(CHANNELS)


def test_sla_mix_has_breached_at_risk_and_ok_contacts(db: Database) -> None:
    build_demo(db, customers=3, contacts=5, now=NOW)
    tiny = Counter(sla_state(t["sla_due_at"], NOW).level for t in active_tickets(db))
    assert {SlaLevel.BREACHED, SlaLevel.AT_RISK, SlaLevel.OK} <= set(tiny)


def test_sla_mix_of_the_default_queue_is_realistic(demo_db: Database) -> None:
    tickets = active_tickets(demo_db)
    levels = Counter(sla_state(t["sla_due_at"], NOW).level for t in tickets)

    for level in (SlaLevel.BREACHED, SlaLevel.AT_RISK, SlaLevel.OK):
        assert levels[level] >= len(tickets) * 0.1, levels
    for t in tickets:
        assert t["sla_due_at"] == sla_due(t["channel"], t["priority"], t["opened_at"])
        age = NOW - t["opened_at"]
        limit = timedelta(hours=48) if t["channel"] == "email" else timedelta(hours=10)
        assert timedelta(0) < age <= limit
    assert {t["priority"] for t in tickets} == {"urgent", "high", "normal", "low"}
    ranks = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
    assert all(t["priority_rank"] == ranks[t["priority"]] for t in tickets)


def test_queue_statuses_and_holders(demo_db: Database) -> None:
    agents = {a["id"]: a["name"] for a in rows(demo_db, "agent")}
    tickets = active_tickets(demo_db)
    statuses = Counter(t["status"] for t in tickets)

    assert set(statuses) == {"open", "pending"}
    assert 0.08 <= statuses["pending"] / len(tickets) <= 0.25
    held = [t for t in tickets if t["assigned_agent_id"] is not None]
    holders = Counter(agents[t["assigned_agent_id"]] for t in held)
    assert holders["alex"] == 3
    others = len(held) - 3
    assert 0.05 * len(tickets) <= others <= 0.15 * len(tickets)
    for t in held:
        assert t["status"] == "open"
        assert t["opened_at"] <= t["claimed_at"] < NOW
    for t in tickets:
        assert t["active"] is (t["status"] == "open")  # a pending one is parked
        assert t["version"] == 0
        assert t["resolved_at"] is None and t["disposition"] is None
        if t["assigned_agent_id"] is None:
            assert t["claimed_at"] is None


def test_resolved_history_is_closed_by_demo_agents(demo_db: Database) -> None:
    agent_ids = {a["id"] for a in rows(demo_db, "agent")}
    resolved = [t for t in rows(demo_db, "ticket") if t["status"] == "resolved"]

    assert 100 <= len(resolved) <= 200  # about half a contact per customer
    assert {t["disposition"] for t in resolved} == {"resolved", "escalated"}
    for t in resolved:
        assert t["status"] == "resolved"
        assert t["assigned_agent_id"] in agent_ids
        assert t["opened_at"] <= t["claimed_at"] <= t["first_response_at"] <= t["resolved_at"]
        assert t["resolved_at"] < NOW


def test_every_open_contact_has_the_customers_message_linked(db: Database) -> None:
    build_demo(db, customers=60, contacts=80, now=NOW)
    by_ticket: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for i in rows(db, "interaction"):
        if i["ticket_id"]:
            by_ticket[i["ticket_id"]].append(i)

    for t in active_tickets(db):
        linked = by_ticket[t["id"]]
        assert linked, t["id"]
        assert all(i["customer_id"] == t["customer_id"] for i in linked)
        opening = [i for i in linked if i["direction"] == "inbound"]
        assert [i["at"] for i in opening] == [t["opened_at"]]
        assert opening[0]["channel"] == t["channel"]
        if t["channel"] == "email":
            assert opening[0]["subject"] == t["subject"]
        if t["status"] == "pending":  # the agent asked something and waits for the answer
            replies = [i for i in linked if i["direction"] == "outbound"]
            assert all(i["author"] for i in replies)
            if replies:
                assert t["first_response_at"] == replies[0]["at"]


def test_subjects_come_from_the_thread_templates(db: Database) -> None:
    build_demo(db, customers=60, contacts=80, now=NOW)
    patterns = [
        re.compile(re.sub(r"\\\{\w+\\\}", ".+", re.escape(s.subject))) for s in SCENARIOS.values()
    ]

    for t in rows(db, "ticket"):
        assert any(p.fullmatch(t["subject"]) for p in patterns), t["subject"]


def test_threads_talk_about_the_customers_own_orders(demo_db: Database) -> None:
    owner = {o["id"]: o["customer_id"] for o in rows(demo_db, "orders")}
    mentioned = 0

    for i in rows(demo_db, "interaction"):
        for order_id in re.findall(r"\bW\d{6}\b", i["text"]):
            assert owner[order_id] == i["customer_id"], (i["ref"], order_id)
            mentioned += 1
    assert mentioned > 1000


def test_interactions_read_like_support_threads(demo_db: Database) -> None:
    interactions = rows(demo_db, "interaction")
    display_names = {display for _, display, _ in AGENTS}
    kinds = Counter((i["kind"], i["direction"]) for i in interactions)

    assert set(kinds) == {
        ("message", "inbound"),
        ("message", "outbound"),
        ("note", "internal"),
    }
    assert kinds[("note", "internal")] < 0.1 * len(interactions)
    assert {i["channel"] for i in interactions} == set(CHANNELS)
    for i in interactions:
        assert i["at"] < NOW
        assert "{" not in i["text"] and "}" not in i["text"]  # every placeholder filled
        if i["direction"] == "inbound":
            assert i["author"] is None
        else:
            assert i["author"] in display_names
        assert (i["subject"] is not None) == (i["channel"] == "email" and i["kind"] == "message")
    texts = " ".join(i["text"] for i in interactions)
    for phrase in ("already wrote by email", "charged twice", "arrived damaged", "refund"):
        assert phrase in texts.lower(), phrase


def test_each_timeline_is_chronological(demo_db: Database) -> None:
    per_customer: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for i in rows(demo_db, "interaction"):  # in id order
        per_customer[i["customer_id"]].append(i)

    for history in per_customer.values():
        assert [i["at"] for i in history] == sorted(i["at"] for i in history)
        assert [i["ref"] for i in history] == sorted(i["ref"] for i in history)


def test_default_histories_hold_0_to_60_interactions(demo_db: Database) -> None:
    per_customer = Counter(i["customer_id"] for i in rows(demo_db, "interaction"))
    counts = [per_customer.get(c["id"], 0) for c in rows(demo_db, "customer")]

    assert max(counts) <= 60
    assert 20 <= sum(counts) / len(counts) <= 30


def test_explicit_interactions_are_met_exactly(db: Database) -> None:
    summary = build_demo(db, customers=40, contacts=30, interactions=1234, now=NOW)

    assert summary.interactions == 1234
    assert count(db, "interaction") == 1234


def test_interactions_must_cover_the_open_contacts(sqlite_db: Database) -> None:
    with pytest.raises(ValueError, match="at least contacts"):
        build_demo(sqlite_db, customers=10, contacts=20, interactions=19, now=NOW)
    assert is_empty(sqlite_db)


def test_order_totals_equal_the_sum_of_their_items(db: Database) -> None:
    build_demo(db, customers=60, contacts=40, now=NOW)
    lines: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in rows(db, "order_item"):
        lines[item["order_id"]].append(item)

    for order in rows(db, "orders"):
        items = lines[order["id"]]
        assert 1 <= len(items) <= 3
        assert sorted(i["line"] for i in items) == list(range(1, len(items) + 1))
        assert order["total"] == sum((i["price"] * i["quantity"] for i in items), Decimal(0))
        assert isinstance(order["total"], Decimal)


def test_orders_have_plausible_dates(demo_db: Database) -> None:
    orders = rows(demo_db, "orders")
    statuses = Counter(o["status"] for o in orders)

    assert set(statuses) == {"pending", "shipped", "delivered", "cancelled", "returned"}
    assert statuses["delivered"] > len(orders) / 2
    late = 0
    for o in orders:
        assert NOW - timedelta(days=550) < o["placed_at"] < NOW
        assert 2 <= (o["promised_by"] - o["placed_at"].date()).days <= 5 or o["status"] in (
            "shipped",  # a contact asking when it comes was given a fresh promise
        )
        if o["status"] in ("delivered", "returned"):
            assert o["placed_at"] < o["delivered_at"] < NOW
            late += o["delivered_at"].date() > o["promised_by"]
        else:
            assert o["delivered_at"] is None
    assert late > 0


def test_customers_look_real(demo_db: Database) -> None:
    customers = rows(demo_db, "customer")
    tiers = Counter(c["tier"] for c in customers)

    assert set(tiers) == {"standard", "silver", "gold", "platinum"}
    assert tiers["standard"] > len(customers) / 2
    assert len({c["name"] for c in customers}) > len(customers) * 0.8
    for c in customers:
        assert c["phone"] is None or re.fullmatch(r"\+1 \d{3} 555 01\d{2}", c["phone"])
        assert c["email"] is None or re.fullmatch(r"[a-z0-9._]+@[a-z.]+", c["email"])
        assert datetime(2015, 1, 1).date() <= c["since"] <= NOW.date()


def test_is_empty_before_and_not_after(db: Database) -> None:
    assert is_empty(db)
    build_demo(db, customers=5, contacts=3, now=NOW)
    assert not is_empty(db)
    with pytest.raises(DemoDatabaseNotEmpty, match="empty database"):
        build_demo(db, customers=5, contacts=3, now=NOW)


def test_now_must_be_aware(sqlite_db: Database) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        build_demo(sqlite_db, now=datetime(2026, 3, 10, 12, 0))


def test_insert_rows_chunks_a_generator_inside_the_unit_of_work(db: Database) -> None:
    generated = (
        {"id": f"C-{n}", "name": f"Customer {n}", "email": None, "phone": None, "tier": "gold"}
        for n in range(7)
    )
    with unit_of_work(db) as session:
        assert insert_rows(session, "customer", generated, chunk=3) == 7
    assert count(db, "customer") == 7

    with pytest.raises(RuntimeError), unit_of_work(db) as session:
        insert_rows(session.connection(), Customer, [{"id": "X", "name": "X", "tier": "gold"}])
        raise RuntimeError("roll back")
    assert count(db, "customer") == 7


def test_dice_draw_exactly_what_random_draws() -> None:
    """The fast draws keep every demo byte for byte: same values, same stream after."""
    pools = [(1,), tuple(range(2)), tuple(range(5)), tuple(range(32)), tuple(range(1000))]
    weights = [(5, 5, 5, 1, 2, 5), (72, 16, 8, 4), (0.5, 2.25, 1.0), (1,)]
    for seed in range(30):
        ours, theirs = random.Random(seed), random.Random(seed)
        dice = Dice(ours)
        for n in (1, 2, 3, 7, 100, 899999, 9 * 10**11):
            assert dice.below(n) == theirs.randrange(n)
        for a, b in ((0, 0), (2, 6), (12, 4800), (-3, 3), (5 * 3600, 40 * 3600)):
            assert dice.randint(a, b) == theirs.randint(a, b)
        for pool in pools:
            assert dice.pick(pool) == theirs.choice(pool)
        assert dice.uniform(30, 60) == theirs.uniform(30, 60)
        for w in weights:
            items = tuple(range(len(w)))
            assert dice.weighted(Weighted(items, w)) == theirs.choices(items, w)[0]
            assert dice.index(list(w)) == theirs.choices(range(len(w)), w)[0]
        assert ours.random() == theirs.random()


def test_busy_spans_answer_as_a_scan_of_every_span_would() -> None:
    rng = random.Random(3)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    busy, spans = Busy(), []
    for _ in range(400):
        a = start + timedelta(hours=rng.randrange(20_000))
        b = a + timedelta(minutes=rng.choice((0, 5, 90, 3000)))
        expected = any(a <= end and s <= b for s, end in spans)
        assert busy.overlaps(a, b) == expected
        busy.add(a, b)
        spans.append((a, b))
