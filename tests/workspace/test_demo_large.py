"""Large demo sets at small sizes: the heavy customer, the generated team, the child process,
the bulk load, and a history search index that is whole after the load.

Nothing here is timed: `caredesk demo --size large` is measured by hand.
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Row, func, select, text
from sqlalchemy.exc import IntegrityError

from storage.bulk import bulk_load, insert_rows
from storage.customer_queries import search_history
from storage.engine import Database
from storage.models import Agent, Customer, Interaction, Order, OrderItem, Ticket
from storage.testing import fresh_sqlite
from storage.uow import read_session, unit_of_work
from workspace.cli import build_parser, main
from workspace.demo import AGENTS, build_demo, stream
from workspace.demo import build as demo_build
from workspace.demo.stream import DemoSpec, generate_elsewhere
from workspace.exporter import export_all

NOW = datetime(2026, 3, 10, 15, 30, 12, 345678, tzinfo=UTC)
HEAVY = "C-10001"
#: A large set's shape, shrunk: every part of the large build at a test's size.
SMALL_LARGE: dict[str, Any] = {
    "customers": 40,
    "contacts": 30,
    "interactions": 1_500,
    "orders": 120,
    "agents": 24,
    "heavy_interactions": 700,
    "now": NOW,
}
MODELS = {
    "agent": Agent,
    "customer": Customer,
    "orders": Order,
    "order_item": OrderItem,
    "ticket": Ticket,
    "interaction": Interaction,
}


def count(db: Database, name: str) -> int:
    with read_session(db) as session:
        return int(session.execute(select(func.count()).select_from(MODELS[name])).scalar_one())


def exported(db: Database) -> list[str]:
    out = io.StringIO()
    export_all(db, out)
    return out.getvalue().splitlines()


def table_rows(db: Database, name: str, **where: Any) -> list[Row[Any]]:
    """A table's rows in id order, as plain rows (attribute access by column)."""
    table = MODELS[name].__table__  # type: ignore[attr-defined]
    query = select(table).filter_by(**where).order_by(*table.primary_key.columns)
    with read_session(db) as session:
        return list(session.execute(query))


def heavy_history(db: Database) -> list[Row[Any]]:
    return table_rows(db, "interaction", customer_id=HEAVY)


def text_index_definition(conn: Connection) -> str | None:
    """The FTS5 insert trigger's SQL (SQLite) or the GIN index's definition (PostgreSQL)."""
    if conn.dialect.name == "sqlite":
        sql = "SELECT sql FROM sqlite_master WHERE name = 'interaction_search_insert'"
    else:
        sql = "SELECT pg_get_indexdef(to_regclass('ix_interaction_search'))"
    return conn.execute(text(sql)).scalar()


def test_counts_match_the_summary_and_the_heavy_customer_has_exactly_n(db: Database) -> None:
    summary = build_demo(db, **SMALL_LARGE)

    assert summary.heavy_customer == HEAVY
    assert summary.agents == count(db, "agent") == 24
    assert summary.customers == count(db, "customer") == 40
    assert summary.orders == count(db, "orders") == 120
    assert summary.order_items == count(db, "order_item")
    assert summary.tickets == count(db, "ticket")
    assert summary.interactions == count(db, "interaction") == 1_500 + 700
    assert summary.records == sum(count(db, name) for name in MODELS)
    history = heavy_history(db)
    assert len(history) == 700
    assert history[-1].at - history[0].at > timedelta(days=5 * 365)  # over the years
    with read_session(db) as session:
        open_contacts = session.execute(
            select(func.count()).where(Ticket.customer_id == HEAVY, Ticket.active)
        ).scalar_one()
        heavy_orders = session.execute(
            select(func.count()).where(Order.customer_id == HEAVY)
        ).scalar_one()
    assert open_contacts >= 1  # the heavy customer is in the queue
    assert len({i.ticket_id for i in history if i.ticket_id}) >= 10  # and had many before
    assert heavy_orders >= 700 // 12  # a business account that buys all year round


def test_the_default_set_has_no_heavy_customer(sqlite_db: Database) -> None:
    summary = build_demo(sqlite_db, customers=30, contacts=20, now=NOW)

    assert summary.heavy_customer is None
    per_customer = Counter(i.customer_id for i in table_rows(sqlite_db, "interaction"))
    assert max(per_customer.values()) <= 60


def test_generated_agents_follow_the_named_team_and_work_the_desk(db: Database) -> None:
    build_demo(db, **SMALL_LARGE)
    agents = table_rows(db, "agent")
    with read_session(db) as session:
        holders = set(
            session.execute(
                select(Agent.name).join(Ticket, Ticket.assigned_agent_id == Agent.id)
            ).scalars()
        )

    assert [(a.name, a.display_name, a.role) for a in agents[:6]] == list(AGENTS)
    generated = agents[6:]
    assert len(generated) == 18
    assert len({a.name for a in agents}) == len(agents)
    roles = Counter(a.role for a in generated)
    assert set(roles) <= {"agent", "senior", "supervisor"}
    assert roles["agent"] > len(generated) / 2
    for agent in generated:
        assert "." in agent.name and len(agent.display_name.split()) == 2
    authors = {i.author for i in table_rows(db, "interaction") if i.author}
    assert authors & {a.display_name for a in generated}  # they answer threads too
    assert holders & {a.name for a in generated} or len(holders) > 1


def test_same_seed_same_export_and_a_child_process_makes_the_same_rows(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process generation, in small batches, gives what the child process gives."""
    directory = tmp_path / "here"
    directory.mkdir()
    here = fresh_sqlite(directory)
    try:
        monkeypatch.setattr(stream, "BATCH", 7)
        build_demo(here, **SMALL_LARGE, seed=5)
        monkeypatch.undo()
        monkeypatch.setattr(demo_build, "GENERATE_ELSEWHERE_ABOVE", 0)
        build_demo(db, **SMALL_LARGE, seed=5)

        assert exported(db) == exported(here)
    finally:
        here.dispose()


def test_a_failure_in_the_child_process_is_raised_in_the_parent() -> None:
    spec = DemoSpec(5, 3, None, None, None, 0, 7, NOW)

    with pytest.raises(KeyError, match="alex"):
        list(generate_elsewhere(spec, {}))  # no agent ids: the generator cannot assign


def test_history_search_finds_the_heavy_customers_words_after_a_build(db: Database) -> None:
    with db.read.connect() as conn:
        before = text_index_definition(conn)
    build_demo(db, **SMALL_LARGE)
    history = heavy_history(db)

    with read_session(db) as session:
        for i in (history[0], history[len(history) // 2], history[-1]):
            word = max(i.text.split(), key=len).strip(".,!?:;\"'()")
            found = search_history(session, HEAVY, word, limit=2000)
            assert i.ref in {f.ref for f in found}, word
            assert {f.ref[:2] for f in found} == {"I-"}
        assert search_history(session, None, "refund", limit=5)
        assert text_index_definition(session.connection()) == before

    with unit_of_work(db) as session:  # the index is kept up to date again afterwards
        row = {
            "ref": "I-after",
            "customer_id": HEAVY,
            "at": NOW,
            "channel": "chat",
            "direction": "inbound",
            "kind": "message",
            "text": "zanzibarquux arrived",
        }
        insert_rows(session, "interaction", [row])
    with read_session(db) as session:
        assert [f.ref for f in search_history(session, HEAVY, "zanzibarquux")] == ["I-after"]
        assert [f.ref for f in search_history(session, HEAVY, "zanzibarq*")] == ["I-after"]


def test_bulk_load_stores_what_core_inserts_would(db: Database) -> None:
    """Every value goes through the column types' own conversions (or exact equivalents)."""
    plus_two = datetime(2026, 3, 10, 23, 0, 1, 5, tzinfo=UTC).astimezone(
        timezone(timedelta(hours=2))
    )
    values = [
        (datetime(2026, 3, 10, 15, 30, 12, 345678, tzinfo=UTC), Decimal("12.30"), None),
        (datetime(2015, 1, 1, tzinfo=UTC), Decimal("0.005"), datetime(2015, 1, 2, tzinfo=UTC)),
        (plus_two, Decimal("99999.99"), plus_two),
    ]
    columns = ("id", "customer_id", "placed_at", "status", "promised_by", "delivered_at", "total")

    def rows(prefix: str) -> list[tuple[Any, ...]]:
        return [
            (f"{prefix}{n}", "C-1", placed, "delivered", placed.date(), delivered, total)
            for n, (placed, total, delivered) in enumerate(values)
        ]

    with unit_of_work(db) as session:
        insert_rows(session, "customer", [{"id": "C-1", "name": "A", "tier": "gold"}])
        insert_rows(session, "orders", [dict(zip(columns, r, strict=True)) for r in rows("A")])
        with bulk_load(session) as load:
            load.write("orders", columns, rows("B"))
    with db.read.connect() as conn:
        stored = conn.exec_driver_sql(
            "SELECT id, placed_at, promised_by, delivered_at, total FROM orders ORDER BY id"
        ).all()
    assert [tuple(r[1:]) for r in stored[:3]] == [tuple(r[1:]) for r in stored[3:]]


def test_a_failed_load_leaves_nothing_and_the_text_index_as_it_was(db: Database) -> None:
    with db.read.connect() as conn:
        before = text_index_definition(conn)
    customer = ("C-1", "Someone", None, None, "gold", None)
    columns = ("id", "name", "email", "phone", "tier", "since")

    with (
        pytest.raises(IntegrityError),
        unit_of_work(db) as session,
        bulk_load(session, defer_text_index=True) as load,
    ):
        load.write("customer", columns, [customer])
        load.write("customer", columns, [customer])  # the same id again
        load.finish()

    assert count(db, "customer") == 0
    with db.read.connect() as conn:
        assert text_index_definition(conn) == before is not None


def test_the_text_index_is_only_deferred_for_an_empty_table(db: Database) -> None:
    build_demo(db, customers=3, contacts=2, now=NOW)

    with (
        pytest.raises(ValueError, match="empty"),
        unit_of_work(db) as session,
        bulk_load(session, defer_text_index=True),
    ):
        pass


def test_the_cli_presets_and_overrides_parse() -> None:
    parser = build_parser()

    large = parser.parse_args(["demo", "--size", "large"])
    assert large.size == "large" and large.customers is None and large.heavy is None
    tuned = parser.parse_args(["demo", "--size", "large", "--customers", "10", "--heavy", "0"])
    assert (tuned.customers, tuned.heavy, tuned.agents) == (10, 0, None)
    assert parser.parse_args(["demo"]).size == "demo"


@pytest.mark.parametrize(
    "argv",
    [
        ["--customers", "-5"],
        ["--heavy", "many"],
        ["--agents", "2.5"],
        ["--size", "huge"],
        ["--interactions", ""],
    ],
)
def test_a_bad_number_is_refused_with_exit_2(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"

    with pytest.raises(SystemExit) as exit_:
        main(["demo", *argv, "--db", url])

    assert exit_.value.code == 2
    assert "demo: error:" in capsys.readouterr().err
    assert not (tmp_path / "c.db").exists()


def test_the_cli_builds_a_small_large_set_and_says_how_fast(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    argv = ["demo", "--size", "large", "--customers", "12", "--contacts", "6"]
    argv += ["--interactions", "200", "--orders", "30", "--agents", "9", "--heavy", "90"]

    code = main([*argv, "--db", url])

    out = capsys.readouterr().out
    assert code == 0
    assert "12 customers, 30 orders" in out and "290 interactions, 9 agents" in out
    assert "records in" in out and "records/s" in out
    assert main(["demo", "--agents", "3", "--db", f"sqlite:///{tmp_path / 'd.db'}"]) == 2
