"""Import and export: the spec's example, idempotence, refused files, lossless round trips."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from storage.engine import Database
from storage.models import Agent, Order
from storage.testing import fresh_postgres_schema, fresh_sqlite
from storage.uow import read_session, unit_of_work
from tests.conftest import PG_URL
from workspace.errors import InputRejected
from workspace.exporter import export_all
from workspace.importer import ImportSummary, import_file

SPEC_EXAMPLE = """\
{"type": "customer", "id": "C-1001", "name": "Dana Whitfield", "email": "dana@example.com", "phone": "+1 555 0100", "tier": "gold", "since": "2019-04-02"}
{"type": "order", "id": "W1001", "customer": "C-1001", "placed_at": "2026-11-01T09:00:00Z", "status": "delivered", "promised_by": "2026-11-03", "delivered_at": "2026-11-05T15:00:00Z", "items": [{"sku": "BL-200", "name": "Countertop blender", "price": "129.00", "quantity": 1}]}
{"type": "interaction", "id": "I-1", "customer": "C-1001", "at": "2026-11-04T10:02:00Z", "channel": "chat", "direction": "inbound", "text": "Where is my blender?"}
{"type": "ticket", "id": "T-1", "customer": "C-1001", "channel": "email", "subject": "Cracked jug", "opened_at": "2026-11-06T08:40:00Z", "priority": "high", "status": "open"}
"""  # noqa: E501 - the spec's lines, verbatim

TABLES = ("customer", "orders", "order_item", "ticket", "interaction")

HOSTILE = [
    "[bold]x[/bold]",
    "\x1b[2J\x1b[Hscreen wiped",
    "a\nb  ",
    "  leading and trailing  ",
    "[link=https://evil.example/pay]refund[/link]",
    "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07",
    "\u202eevil\u200b\x9b31m",
    '{"type": "customer"}\r\n\\',
    "",
]


def write_lines(path: Path, lines: list[Any]) -> Path:
    """Each entry as one line: dicts as JSON, strings as they are."""
    body = "".join((ln if isinstance(ln, str) else json.dumps(ln)) + "\n" for ln in lines)
    path.write_text(body, encoding="utf-8")
    return path


def dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the imported tables, in a stable order."""
    with read_session(db) as session:
        return {
            table: [tuple(r) for r in session.execute(text(f"SELECT * FROM {table} ORDER BY 1"))]
            for table in TABLES
        }


def export_text(db: Database) -> str:
    out = io.StringIO()
    export_all(db, out)
    return out.getvalue()


@contextmanager
def another(db: Database, tmp_path: Path) -> Iterator[Database]:
    """A second fresh database of the same kind as `db`."""
    if db.is_sqlite:
        (tmp_path / "other").mkdir()
        other = fresh_sqlite(tmp_path / "other")
        yield other
        other.dispose()
    else:
        with fresh_postgres_schema(PG_URL) as other:
            yield other


def add_agent(db: Database, name: str) -> int:
    with unit_of_work(db) as session:
        agent = Agent(name=name, display_name=name.title(), role="agent")
        session.add(agent)
        session.flush()
        assert agent.id is not None
        return agent.id


def test_the_spec_example_imports(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "example.jsonl"
    path.write_text(SPEC_EXAMPLE, encoding="utf-8")
    summary = import_file(db, path)
    assert summary == ImportSummary(customers=1, orders=1, interactions=1, tickets=1, lines=4)
    with read_session(db) as session:
        order = session.execute(text("SELECT customer_id, total, status FROM orders")).one()
        assert tuple(order) == ("C-1001", 12900, "delivered")
        ticket = session.execute(
            text("SELECT active, priority_rank, sla_due_at, version FROM ticket")
        ).one()
        assert (bool(ticket[0]), ticket[1], ticket[3]) == (True, 1, 0)
        assert str(ticket[2]).startswith("2026-11-06 16:40:00")  # email, high: 8 hours
        ref = session.execute(text("SELECT ref, kind FROM interaction")).one()
        assert tuple(ref) == ("I-1", "message")


def test_importing_twice_changes_nothing(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "example.jsonl"
    path.write_text(SPEC_EXAMPLE, encoding="utf-8")
    import_file(db, path)
    before = dump(db)
    import_file(db, path)
    assert dump(db) == before
    assert len(before["interaction"]) == 1


def test_a_changed_ticket_moves_its_version_and_a_repeated_id_takes_the_later_line(
    sqlite_db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "example.jsonl"
    path.write_text(SPEC_EXAMPLE, encoding="utf-8")
    import_file(sqlite_db, path)
    customer = {"type": "customer", "id": "C-1001", "name": "Dana W."}
    ticket = json.loads(SPEC_EXAMPLE.splitlines()[3])
    order = json.loads(SPEC_EXAMPLE.splitlines()[1])
    two_items = order["items"] + [{"sku": "X", "name": "Lid", "price": 5, "quantity": 2}]
    lines = [
        {**customer, "name": "first"},
        customer,
        {**order, "items": two_items},
        {**order, "items": [{"sku": "X", "name": "Lid", "price": "5.5", "quantity": 3}]},
        {**ticket, "status": "resolved", "disposition": "resolved"},
    ]
    import_file(sqlite_db, write_lines(tmp_path / "update.jsonl", lines))
    with read_session(sqlite_db) as session:
        assert session.execute(text("SELECT name, tier FROM customer")).one() == (
            "Dana W.",
            "standard",
        )
        assert session.execute(text("SELECT total FROM orders")).scalar_one() == 1650
        items = session.execute(text("SELECT line, sku, price, quantity FROM order_item"))
        assert [tuple(r) for r in items] == [(1, "X", 550, 3)]
        row = session.execute(text("SELECT status, active, version FROM ticket")).one()
        assert (row[0], bool(row[1]), row[2]) == ("resolved", False, 1)


def test_a_file_with_bad_lines_imports_nothing_and_names_each_problem(
    db: Database, tmp_path: Path
) -> None:
    customer = {"type": "customer", "id": "C-1", "name": "Ann"}
    order = json.loads(SPEC_EXAMPLE.splitlines()[1]) | {"customer": "C-1"}
    ticket = json.loads(SPEC_EXAMPLE.splitlines()[3]) | {"customer": "C-1"}
    nan_item = '{"sku": "A", "name": "A", "price": NaN, "quantity": 1}'
    lines: list[Any] = [
        customer,  # 1: good
        '{"type": "customer", "id": "C-2", ',  # 2: not JSON
        {"type": "customer", "id": "C-3"},  # 3: no name
        order | {"status": "lost"},  # 4: bad enum
        json.dumps(order | {"items": "@"}).replace('"@"', f"[{nan_item}]"),  # 5: NaN money
        customer | {"nickname": "Annie"},  # 6: unknown field
        {**json.loads(SPEC_EXAMPLE.splitlines()[2]), "customer": "C-404"},  # 7: dangling
        ticket | {"opened_at": "2026-11-06T08:40:00"},  # 8: naive timestamp
        "",  # 9: blank, skipped
        order | {"placed_at": "yesterday"},  # 10
        ticket,  # 11: good
    ]
    path = write_lines(tmp_path / "bad.jsonl", lines)
    with pytest.raises(InputRejected) as caught:
        import_file(db, path)
    found = [(p.where, p.field) for p in caught.value.problems]
    assert found == [
        ("bad.jsonl:2", None),
        ("bad.jsonl:3", "name"),
        ("bad.jsonl:4", "status"),
        ("bad.jsonl:5", "items[0].price"),
        ("bad.jsonl:6", "nickname"),
        ("bad.jsonl:7", "customer"),
        ("bad.jsonl:8", "opened_at"),
        ("bad.jsonl:10", "placed_at"),
    ]
    assert caught.value.more == 0
    messages = [str(p) for p in caught.value.problems]
    assert messages[-1] == (
        'bad.jsonl:10: placed_at: expected an ISO 8601 timestamp with a zone, got "yesterday"'
    )
    assert "got NaN" in messages[3]
    assert 'no customer "C-404" earlier in the file or in the database' in messages[5]
    assert all(rows == [] for rows in dump(db).values())


def test_over_fifty_problems_lists_fifty_and_counts_the_rest(
    sqlite_db: Database, tmp_path: Path
) -> None:
    lines = [{"type": "customer", "id": f"C-{n}", "name": n} for n in range(60)]
    with pytest.raises(InputRejected) as caught:
        import_file(sqlite_db, write_lines(tmp_path / "many.jsonl", lines))
    problems = caught.value.problems
    assert len(problems) == 50
    assert caught.value.more == 10
    assert [p.where for p in problems] == [f"many.jsonl:{n}" for n in range(1, 51)]
    assert str(caught.value).endswith("... and 10 more")


def test_records_may_name_records_already_in_the_database(db: Database, tmp_path: Path) -> None:
    first, order, interaction, ticket = SPEC_EXAMPLE.splitlines()
    import_file(db, write_lines(tmp_path / "first.jsonl", [first, ticket]))
    add_agent(db, "sam")
    later = [
        order,
        json.loads(interaction) | {"ticket": "T-1", "kind": "note", "direction": "internal"},
        json.loads(ticket) | {"id": "T-2", "assigned_to": "sam"},
    ]
    summary = import_file(db, write_lines(tmp_path / "later.jsonl", later))
    assert (summary.orders, summary.interactions, summary.tickets) == (1, 1, 1)

    nobody = [json.loads(ticket) | {"id": "T-3", "assigned_to": "nobody"}]
    with pytest.raises(InputRejected) as caught:
        import_file(db, write_lines(tmp_path / "nobody.jsonl", nobody))
    assert [(p.field, p.message) for p in caught.value.problems] == [
        ("assigned_to", 'no agent "nobody" earlier in the file or in the database')
    ]


def test_a_reference_to_a_later_line_is_refused(sqlite_db: Database, tmp_path: Path) -> None:
    customer, order, *_ = SPEC_EXAMPLE.splitlines()
    with pytest.raises(InputRejected) as caught:
        import_file(sqlite_db, write_lines(tmp_path / "late.jsonl", [order, customer]))
    assert [(p.where, p.field) for p in caught.value.problems] == [("late.jsonl:1", "customer")]


def rich_file(path: Path) -> Path:
    """Every kind and optional field, hostile text, zone offsets and microseconds."""
    lines: list[dict[str, Any]] = []
    for n, name in enumerate(HOSTILE):
        lines.append({"type": "customer", "id": f"C-{n}", "name": name or "x", "tier": "gold"})
    lines.append({"type": "customer", "id": "C-zoë", "name": "Zoë", "since": "2020-02-29"})
    lines.append(
        {
            "type": "order",
            "id": "W-2",
            "customer": "C-zoë",
            "placed_at": "2026-11-01T09:00:00.123456+02:00",
            "status": "shipped",
            "items": [
                {"sku": "A", "name": "Alpha", "price": 19.99, "quantity": 2},
                {"sku": "B", "name": HOSTILE[0], "price": "0", "quantity": 1},
            ],
        }
    )
    lines.append(json.loads(SPEC_EXAMPLE.splitlines()[1]) | {"customer": "C-1"})
    for n, subject in enumerate(HOSTILE):
        lines.append(
            {
                "type": "ticket",
                "id": f"T-{n}",
                "customer": f"C-{n}",
                "channel": "chat",
                "subject": subject,
                "opened_at": "2026-11-06T08:40:00-05:00",
                "priority": "urgent",
                "status": "resolved" if n % 2 else "open",
                "assigned_to": "sam" if n % 3 == 0 else None,
                "claimed_at": "2026-11-06T13:41:00Z" if n % 3 == 0 else None,
                "first_response_at": "2026-11-06T13:42:00Z" if n % 2 else None,
                "resolved_at": "2026-11-06T13:43:00Z" if n % 2 else None,
                "disposition": "resolved" if n % 2 else None,
            }
        )
        lines.append(
            {
                "type": "interaction",
                "id": f"I-{len(HOSTILE) - n}",
                "customer": f"C-{n}",
                "ticket": f"T-{n}",
                "at": "2026-11-06T13:42:00.5Z",
                "channel": "chat",
                "direction": "outbound",
                "kind": "message",
                "subject": subject if n % 2 else None,
                "author": "Sam" if n % 2 else None,
                "text": subject,
            }
        )
    return write_lines(path, [{k: v for k, v in ln.items() if v is not None} for ln in lines])


def test_text_is_stored_exactly_as_given(db: Database, tmp_path: Path) -> None:
    add_agent(db, "sam")
    import_file(db, rich_file(tmp_path / "rich.jsonl"))
    with read_session(db) as session:
        texts = session.execute(text("SELECT ref, text FROM interaction")).all()
        names = {i: n for i, n in session.execute(text("SELECT id, name FROM customer"))}
    assert {t for _, t in texts} == set(HOSTILE)
    assert [names[f"C-{n}"] for n in range(len(HOSTILE) - 1)] == HOSTILE[:-1]


def test_a_round_trip_gives_the_same_bytes(db: Database, tmp_path: Path) -> None:
    add_agent(db, "sam")
    import_file(db, rich_file(tmp_path / "rich.jsonl"))
    first = export_text(db)
    assert len(first.splitlines()) == 1 + 2 * len(HOSTILE) + 1 + 2 + len(HOSTILE)
    assert first.startswith('{"type": "agent", "id": "sam", "name": "Sam", "role": "agent"}\n')
    assert '"price": "19.99"' in first
    assert '"placed_at": "2026-11-01T07:00:00.123456Z"' in first
    with another(db, tmp_path) as other:  # the agent comes with the file
        exported = tmp_path / "export.jsonl"
        exported.write_text(first, encoding="utf-8")
        import_file(other, exported)
        assert export_text(other) == first


def test_export_counts_records_and_an_empty_database_exports_nothing(
    sqlite_db: Database, tmp_path: Path
) -> None:
    assert export_all(sqlite_db, io.StringIO()) == 0
    path = tmp_path / "example.jsonl"
    path.write_text(SPEC_EXAMPLE, encoding="utf-8")
    import_file(sqlite_db, path)
    assert export_all(sqlite_db, io.StringIO()) == 4


def test_files_that_cannot_be_read_are_refused(sqlite_db: Database, tmp_path: Path) -> None:
    with pytest.raises(InputRejected) as caught:
        import_file(sqlite_db, tmp_path / "missing.jsonl")
    assert caught.value.problems[0].where == "missing.jsonl"

    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(SPEC_EXAMPLE.splitlines()[0].encode() + b"\n" + '{"é": 1}'.encode("latin-1"))
    with pytest.raises(InputRejected) as caught:
        import_file(sqlite_db, latin)
    assert [p.where for p in caught.value.problems] == ["latin.jsonl:2"]
    assert "not UTF-8" in caught.value.problems[0].message

    long = tmp_path / "long.jsonl"
    long.write_text(SPEC_EXAMPLE + json.dumps({"type": "x" * 1_100_000}) + "\n" + SPEC_EXAMPLE)
    with pytest.raises(InputRejected) as caught:
        import_file(sqlite_db, long)
    assert [p.where for p in caught.value.problems] == ["long.jsonl:5"]
    assert "longer than" in caught.value.problems[0].message


def test_values_are_checked_field_by_field(sqlite_db: Database, tmp_path: Path) -> None:
    order = json.loads(SPEC_EXAMPLE.splitlines()[1])
    item = order["items"][0]
    cases: list[tuple[dict[str, Any], str]] = [
        (order | {"items": [item | {"price": "1.234"}]}, "items[0].price"),
        (order | {"items": [item | {"price": -1}]}, "items[0].price"),
        (order | {"items": [item | {"price": "Infinity"}]}, "items[0].price"),
        (order | {"items": [item | {"quantity": 0}]}, "items[0].quantity"),
        (order | {"items": [item | {"quantity": True}]}, "items[0].quantity"),
        (order | {"promised_by": "03/11/2026"}, "promised_by"),
        (order | {"id": "W" * 65}, "id"),
        (order | {"id": ""}, "id"),
        (order | {"items": "none"}, "items"),
        ({"type": "refund", "id": "R-1"}, "type"),
        ({"type": "customer", "id": "C-9", "name": "a\x00b"}, "name"),
    ]
    customer = SPEC_EXAMPLE.splitlines()[0]
    path = write_lines(tmp_path / "values.jsonl", [customer, *(c for c, _ in cases)])
    with pytest.raises(InputRejected) as caught:
        import_file(sqlite_db, path)
    assert [p.field for p in caught.value.problems] == [f for _, f in cases]


def test_money_and_times_read_back_exactly(sqlite_db: Database, tmp_path: Path) -> None:
    add_agent(sqlite_db, "sam")
    import_file(sqlite_db, rich_file(tmp_path / "rich.jsonl"))
    with read_session(sqlite_db) as session:
        order = session.get(Order, "W-2")
        assert order is not None
        assert order.total == Decimal("39.98")
        assert order.placed_at == datetime(2026, 11, 1, 7, 0, 0, 123456, tzinfo=UTC)


def test_reimporting_a_feed_does_not_release_a_claim(db: Database, tmp_path: Path) -> None:
    from storage.models import Agent
    from storage.uow import unit_of_work
    from tests.factories import reading
    from workspace.agents import resolve_agent
    from workspace.desk import Desk

    with unit_of_work(db) as s:
        s.add(Agent(name="alex", display_name="Alex", role="agent"))
    feed = tmp_path / "feed.jsonl"
    feed.write_text(
        '{"type": "customer", "id": "C-1", "name": "Dana", "tier": "gold"}\n'
        '{"type": "ticket", "id": "T-1", "customer": "C-1", "channel": "email", '
        '"subject": "Jug", "opened_at": "2026-11-06T08:40:00Z", "priority": "high", '
        '"status": "open"}\n',
        encoding="utf-8",
    )
    import_file(db, feed)
    desk = Desk(db, resolve_agent(db, "alex"))
    assert desk.claim("T-1").claimed
    import_file(db, feed)  # the nightly feed again: it names no holder
    row = reading(desk).contact("T-1")
    assert row is not None and row.holder_name == "Alex" and row.claimed_at is not None
