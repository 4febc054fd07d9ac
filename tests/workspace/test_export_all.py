"""`export --all` moves a whole team: SQLite to PostgreSQL and back, the same bytes at every
hop, every record equal (shipments, refunds and follow-ups included), and the audit log
verified against a checkpoint taken before."""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlmodel import SQLModel

from storage.engine import Database
from storage.models import TeamSetting
from storage.testing import fresh_postgres_schema, fresh_sqlite
from storage.uow import read_session, unit_of_work
from tests.conftest import PG_URL, require_postgres
from tests.workspace.test_import_export import write_lines
from workspace.action_view import ActionRequest
from workspace.agents import resolve_agent
from workspace.audit_check import Checkpoint, checkpoint, verify_against, verify_audit
from workspace.demo import build_demo
from workspace.desk import Desk
from workspace.errors import InputRejected
from workspace.exporter import export_all
from workspace.follow_ups import FollowUps, bring_due
from workspace.importer import import_file
from workspace.policy_store import install, installed
from workspace.reading import Reading
from workspace.team_config import DEFAULT_CONFIG
from workspace.workbench import Workbench

NOW = datetime(2026, 11, 20, 14, 3, 11, tzinfo=UTC)

TEAM_PLATINUM = """\
  platinum:
    discount: {limit: {amount: 60.00}}"""

TRANSIENT = {"desk_session", "change"}
"""Open workspaces and the live feed's changes: not moved."""
AGENT_COLUMNS = {
    "ticket": ("assigned_agent_id",),
    "action": ("agent_id", "decided_by"),
    "contact_hold": ("agent_id",),
    "follow_up": ("owner_id", "created_by", "done_by"),
}
"""Columns that name an agent by database id: compared by login name."""
SURROGATE = {"interaction": ("id",), "order_item": ("id",)}
"""Ids a database gives rows of the import format (their keys are `ref`, order and line)."""


def ticking(start: datetime) -> Callable[[], datetime]:
    """A clock that moves on by a little over a second at each reading (microseconds too)."""
    tick = itertools.count()
    return lambda: start + timedelta(seconds=next(tick), microseconds=1234)


def team_policy(tmp_path: Path) -> Path:
    """The shipped policy (it knows the demo's silver and platinum tiers), with platinum's
    discount raised."""
    shipped = (Path(__file__).parents[2] / "workspace" / "default_policy.yaml").read_text()
    path = tmp_path / "team.yaml"
    assert "  platinum: {}" in shipped
    path.write_text(shipped.replace("  platinum: {}", TEAM_PLATINUM, 1), encoding="utf-8")
    return path


def standard_customers(db: Database) -> list[str]:
    with read_session(db) as session:
        found = session.execute(
            text("SELECT id FROM customer WHERE tier = 'standard' ORDER BY id LIMIT 6")
        )
        return list(found.scalars())


def discount(customer: str, amount: str, **kw: Any) -> ActionRequest:
    return ActionRequest(
        kind="discount", customer_id=customer, amount=amount, reason="late parcel", **kw
    )


SHOP = "2026-11-17T10:00:00Z"
"""When the orders the actions below are about were delivered."""


def shop_orders(customer: str) -> list[dict[str, Any]]:
    """Two delivered orders of `customer`: one to replace an item of, one to refund."""
    item = {"sku": "BL-200", "name": "Countertop blender", "price": "120.00", "quantity": 1}
    order = {
        "type": "order",
        "customer": customer,
        "placed_at": "2026-11-12T09:00:00Z",
        "status": "delivered",
        "delivered_at": SHOP,
        "items": [item],
    }
    return [order | {"id": "W-SWAP"}, order | {"id": "W-BACK"}]


def team_history(db: Database, tmp_path: Path) -> None:
    """The demo set, worked for a while: a policy installed, contacts claimed, replied to and
    parked, actions executed (a replacement that ships, a refund on an order), approved,
    denied, withdrawn and left waiting, follow-ups promised (scheduled, due, done, one the
    team's), news told, a survey answered, someone gone and a team setting installed."""
    build_demo(db, customers=30, contacts=20, now=NOW, act=False)  # its own actions below
    install(db, team_policy(tmp_path), by="jordan", at=NOW)
    found = installed(db)
    assert found is not None
    policy = found[0]
    clock = ticking(NOW)
    alex, sam, jordan = (
        Workbench.open(db, resolve_agent(db, name), policy, clock)
        for name in ("alex", "sam", "jordan")
    )
    first, second, third, fourth, fifth, sixth = standard_customers(db)
    import_file(db, write_lines(tmp_path / "shop.jsonl", shop_orders(sixth)), actor="jordan")
    with read_session(db) as session:
        waiting = session.execute(
            text(
                "SELECT id, customer_id FROM ticket WHERE active AND assigned_agent_id IS NULL "
                "ORDER BY id LIMIT 4"
            )
        ).all()
    (held, held_for), (parked, _), (promised, _), (teams, _) = waiting
    # Holds that ended (released, then parked) and one still running.
    assert alex.desk.claim(parked).claimed
    alex.desk.release(parked)
    assert alex.desk.claim(held).claimed and sam.desk.claim(parked).claimed
    alex.desk.write(held, "We are on it.\x1b[2J [bold]x[/bold]")
    alex.desk.write(held, "Customer is a regular.", note=True)
    sam.desk.resolve(parked, "pending")

    outcomes = {
        "executed": alex.actions.take(
            ActionRequest(kind="store_credit", customer_id=first, amount="5", reason="sorry")
        ),
        "approved": alex.actions.take(discount(second, "30")),
        "denied": alex.actions.take(discount(third, "40")),
        "withdrawn": alex.actions.take(discount(fourth, "35")),
        "waiting": sam.actions.take(discount(fifth, "80")),
        "from a contact": alex.actions.take(
            ActionRequest(
                kind="store_credit", customer_id=held_for, amount="5", reason="r", ticket_id=held
            )
        ),
        "shipped": alex.actions.take(
            ActionRequest(
                kind="replacement",
                customer_id=sixth,
                order_id="W-SWAP",
                items=("BL-200",),
                reason="cracked jug",
            )
        ),
        "refunded": alex.actions.take(
            ActionRequest(
                kind="refund", customer_id=sixth, order_id="W-BACK", amount="20", reason="late"
            )
        ),
    }
    assert jordan.approvals.approve(outcomes["approved"].record.id, "loyal").changed
    assert jordan.approvals.deny(outcomes["denied"].record.id, "we already gave one").changed
    assert alex.approvals.withdraw(outcomes["withdrawn"].record.id).changed
    alex.approvals.told(clock())
    statuses = {name: outcome.record.status for name, outcome in outcomes.items()}
    assert statuses["waiting"] == "requested" and statuses["executed"] == "executed"
    assert statuses["shipped"] == statuses["refunded"] == "executed"
    assert outcomes["shipped"].record.shipment is not None

    # Follow-ups: Sam's check-back on the parked contact stays scheduled, and so does
    # Alex's promise on the contact he holds; the team's and another of Alex's fall due, and
    # Alex does his.
    FollowUps(db, alex.agent, clock).promise(held, "call_back", "in 3d", "after the courier")
    assert alex.desk.claim(promised).claimed
    FollowUps(db, alex.agent, clock).promise(promised, "check_tracking", "in 1h")
    FollowUps(db, jordan.agent, clock).promise(teams, "confirm_arrival", "in 1h", team=True)
    assert bring_due(db, DEFAULT_CONFIG, lambda: NOW + timedelta(hours=2)) == 2
    Desk(db, alex.agent, lambda: NOW + timedelta(hours=3)).resolve(promised, "resolved")

    survey = {"type": "survey", "id": "S-1", "ticket": held, "at": "2026-11-20T15:00:00Z"}
    gone = {"type": "agent", "id": "casey", "name": "Casey Ruiz", "role": "trainer"}
    lines = [gone | {"active": False}, survey | {"csat": 4, "nps": 10}]
    import_file(db, write_lines(tmp_path / "more.jsonl", lines), actor="jordan")
    setting = {"installed_by": "jordan", "source": "team.yaml", "body": "version: 1\n"}
    with unit_of_work(db) as session:
        session.add(TeamSetting(installed_at=NOW, **setting))
        # Twice no answer came to the first message, and a deliverer died sending it again.
        session.execute(text("UPDATE delivery SET orphaned = 2, in_flight = true WHERE id = 1"))


def export_text(db: Database, *, everything: bool = True) -> str:
    out = io.StringIO()
    export_all(db, out, everything=everything)
    return out.getvalue()


def records(db: Database) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table a move keeps, agents named by login name, in a stable order."""
    with read_session(db) as session:
        names = {id_: name for id_, name in session.execute(text("SELECT id, name FROM agent"))}
        found: dict[str, list[dict[str, Any]]] = {}
        for table in SQLModel.metadata.sorted_tables:
            if table.name in TRANSIENT:
                continue
            rows = []
            for row in session.execute(select(table)):
                values = dict(row._mapping)
                for column in AGENT_COLUMNS.get(table.name, ()):
                    values[column] = names.get(values[column])
                for column in SURROGATE.get(table.name, ()):
                    del values[column]
                rows.append(values)
            found[table.name] = sorted(rows, key=repr)
    return found


def running_holds(db: Database) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The contacts held and worked, and those with a running hold, with their agents."""
    with read_session(db) as session:
        held = session.execute(
            text(
                "SELECT id, assigned_agent_id FROM ticket "
                "WHERE active AND assigned_agent_id IS NOT NULL ORDER BY id"
            )
        ).all()
        running = session.execute(
            text(
                "SELECT ticket_id, agent_id FROM contact_hold "
                "WHERE ended_at IS NULL ORDER BY ticket_id"
            )
        ).all()
    return [tuple(r) for r in held], [tuple(r) for r in running]


@pytest.fixture(autouse=True)
def _team_audit_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """A team that moves its database keeps its audit key: the seals are checked with it."""
    monkeypatch.setenv("CAREDESK_AUDIT_KEY", "the-team-audit-key-of-the-move-tests")


def check_copy(copy: Database, source: Database, saved: Checkpoint, exported: str) -> None:
    assert export_text(copy) == exported
    assert records(copy) == records(source)
    held, running = running_holds(copy)
    assert held and running == held
    assert verify_audit(copy).broken is None
    assert verify_against(copy, saved) is None


@contextmanager
def sqlite_copy(tmp_path: Path, name: str) -> Iterator[Database]:
    db = fresh_sqlite(tmp_path, name=name)
    try:
        yield db
    finally:
        db.dispose()


def test_a_team_moves_from_sqlite_to_postgresql_and_back(tmp_path: Path) -> None:
    require_postgres()
    with sqlite_copy(tmp_path, "source.db") as source:
        team_history(source, tmp_path)
        saved = checkpoint(source)
        exported = export_text(source)
        kinds = {line.split('"', 4)[3] for line in exported.splitlines()}
        assert kinds == {
            "agent", "policy_version", "team_setting", "customer", "order", "ticket",
            "interaction", "survey", "hold", "action", "delivery", "shipment", "follow_up",
            "agent_news", "audit",
        }  # fmt: skip
        assert '"ended_by": "release"' in exported and '"ended_by": "park"' in exported
        assert exported.count('"refunded": ') == 1 and '"refunded": "20.00"' in exported
        assert (
            exported.count('"orphaned": ') == 1 and '"orphaned": 2, "in_flight": true' in exported
        )
        follow_ups = [
            json.loads(line)
            for line in exported.splitlines()
            if line.startswith('{"type": "follow_up"')
        ]
        assert {f["status"] for f in follow_ups} == {"scheduled", "due", "done"}
        assert any("owner" not in f for f in follow_ups)  # the team's
        assert all("owner" in f for f in follow_ups if f["status"] == "done")
        path = tmp_path / "team.jsonl"
        path.write_text(exported, encoding="utf-8")

        with fresh_postgres_schema(PG_URL) as moved:
            summary = import_file(moved, path)
            assert summary.recorded > 0 and summary.moved == 0
            check_copy(moved, source, saved, exported)
            back_path = tmp_path / "back.jsonl"
            back_path.write_text(export_text(moved), encoding="utf-8")

        with sqlite_copy(tmp_path, "back.db") as back:
            import_file(back, back_path)
            check_copy(back, source, saved, exported)
            # New work numbers on after what was moved, and chains to its audit log.
            found = installed(back)
            assert found is not None
            alex = Workbench.open(back, resolve_agent(back, "alex"), found[0], ticking(NOW))
            (customer, *_) = standard_customers(back)
            assert alex.actions.take(discount(customer, "1")).record.id == 9
            assert verify_audit(back).broken is None


def test_postgresql_numbers_on_after_the_ids_it_was_given(pg_db: Database, tmp_path: Path) -> None:
    with sqlite_copy(tmp_path, "source.db") as source:
        team_history(source, tmp_path)
        path = tmp_path / "team.jsonl"
        path.write_text(export_text(source), encoding="utf-8")
    import_file(pg_db, path)
    found = installed(pg_db)
    assert found is not None
    alex = Workbench.open(pg_db, resolve_agent(pg_db, "alex"), found[0], ticking(NOW))
    (customer, *_) = standard_customers(pg_db)
    assert alex.actions.take(discount(customer, "1")).record.id == 9
    with read_session(pg_db) as session:
        ticket = session.execute(text("SELECT min(id) FROM ticket")).scalar_one()
    assert FollowUps(pg_db, alex.agent, ticking(NOW)).promise(ticket, "call_back", "in 1h").id == 5
    install(pg_db, team_policy(tmp_path), by="jordan", at=NOW)
    with read_session(pg_db) as session:
        assert session.execute(text("SELECT max(id) FROM policy_version")).scalar() == 2
    assert verify_audit(pg_db).broken is None


@pytest.fixture
def moved_file(tmp_path: Path) -> Iterator[tuple[Database, list[str]]]:
    """A worked SQLite database and the lines of its `export --all`."""
    with sqlite_copy(tmp_path, "source.db") as source:
        team_history(source, tmp_path)
        yield source, export_text(source).splitlines()


def refused(db: Database, path: Path) -> list[str]:
    with pytest.raises(InputRejected) as caught:
        import_file(db, path)
    return [str(p) for p in caught.value.problems]


def test_a_database_with_records_of_its_own_refuses_them_naming_the_first(
    moved_file: tuple[Database, list[str]], tmp_path: Path
) -> None:
    source, lines = moved_file
    path = write_lines(tmp_path / "again.jsonl", lines)
    before = records(source)
    first = next(n for n, line in enumerate(lines, 1) if '"type": "policy_version"' in line)
    assert refused(source, path) == [
        f"again.jsonl:{first}: type: this database already holds CareDesk's own records "
        "(action #1 is the first): the records of `export --all` only go into a database "
        "that holds none"
    ]
    assert records(source) == before

    with sqlite_copy(tmp_path, "installed.db") as other:
        install(other, team_policy(tmp_path), by="jordan", at=NOW)
        assert "(policy version #1 is the first)" in refused(other, path)[0]
        with read_session(other) as session:
            assert session.execute(text("SELECT count(*) FROM customer")).scalar() == 0


def test_a_changed_or_missing_audit_entry_refuses_the_file(
    moved_file: tuple[Database, list[str]], tmp_path: Path
) -> None:
    _, lines = moved_file
    audits = [n for n, line in enumerate(lines) if line.startswith('{"type": "audit"')]
    actions = [n for n, line in enumerate(lines) if line.startswith('{"type": "action"')]
    changed = list(lines)
    changed[audits[2]] = changed[audits[2]].replace('"actor": "', '"actor": "x', 1)
    assert changed[audits[2]] != lines[audits[2]]
    missing = lines[: audits[3]] + lines[audits[3] + 1 :]
    swapped = list(lines)
    swapped[actions[0]], swapped[actions[1]] = swapped[actions[1]], swapped[actions[0]]
    cases = [
        (changed, f"{audits[2] + 1}: hash: does not match the entry"),
        (missing, f"{audits[3] + 1}: prev_hash: expected "),
        (swapped, f"{actions[1] + 1}: id: expected a number above 2"),
    ]
    for n, (body, said) in enumerate(cases):
        with sqlite_copy(tmp_path, f"copy{n}.db") as copy:
            (problem,) = refused(copy, write_lines(tmp_path / f"case{n}.jsonl", body))
            assert problem.startswith(f"case{n}.jsonl:{said}")
            assert records(copy)["customer"] == []


def test_the_plain_export_leaves_caredesks_own_records_out(
    moved_file: tuple[Database, list[str]], tmp_path: Path
) -> None:
    source, _ = moved_file
    plain = export_text(source, everything=False)
    kinds = {line.split('"', 4)[3] for line in plain.splitlines()}
    assert kinds == {"agent", "customer", "order", "ticket", "interaction", "survey"}
    assert (
        '"refunded"' not in plain
        and '"version"' not in plain
        and '"active": false' in plain
        and '"parked_at"' in plain
    )
    with sqlite_copy(tmp_path, "plain.db") as copy:
        path = tmp_path / "plain.jsonl"
        path.write_text(plain, encoding="utf-8")
        tiers = {"standard", "silver", "gold", "platinum"}
        import_file(copy, path, tiers=tiers)
        assert export_text(copy, everything=False) == plain
        # Nothing of CareDesk's own came with it, but the holds it gave the contacts held.
        everything = export_text(copy).splitlines()
        assert {line.split('"', 4)[3] for line in everything} == kinds | {"hold"}


def test_bad_lines_of_caredesks_own_records_name_their_field(
    sqlite_db: Database, tmp_path: Path
) -> None:
    at = "2026-11-20T14:03:11Z"
    policy = {
        "type": "policy_version",
        "id": 1,
        "installed_at": at,
        "installed_by": "jordan",
        "fingerprint": "f",
        "source": "p.yaml",
    }
    audit = {
        "type": "audit",
        "id": 1,
        "at": at,
        "actor": "jordan",
        "action": "policy.install",
        "entity": "policy",
        "entity_id": "f",
        "prev_hash": "0" * 64,
    }
    lines: list[dict[str, Any] | str] = [
        policy | {"body": "[" * 100_000},
        policy | {"id": 2, "body": "version: 1\ncurrency: USD\nactions: {}\n"},
        policy | {"id": 0, "body": "version: 1\n"},
        audit | {"hash": "A" * 64},
        audit | {"hash": "0" * 64, "before": 7},
        {"type": "agent_news", "agent": "nobody", "seen_at": at},
        {"type": "action", "id": 1},
        {
            "type": "hold",
            "id": 1,
            "ticket": "T-1",
            "agent": "jordan",
            "started_at": at,
            "ended_by": "lunch",
        },
        {
            "type": "hold",
            "id": 2,
            "ticket": "T-1",
            "agent": "jordan",
            "started_at": at,
            "ended_by": "release",
        },
        {
            "type": "hold",
            "id": 3,
            "ticket": "T-1",
            "agent": "jordan",
            "started_at": at,
            "ended_at": "2026-11-20T14:03:10Z",
            "ended_by": "release",
        },
    ]
    path = write_lines(tmp_path / "own.jsonl", lines)
    said = refused(sqlite_db, path)
    assert said[:6] == [
        "own.jsonl:1: body: not a policy CareDesk can read: "
        "p.yaml:1: is not valid YAML: nested more than 64 levels deep",
        "own.jsonl:3: id: expected a whole number from 1, got 0",
        "own.jsonl:4: hash: expected 64 lowercase hex characters, got "
        + json.dumps("A" * 40 + "…", ensure_ascii=False),
        "own.jsonl:5: before: expected a string, got 7",
        'own.jsonl:6: agent: no agent "nobody" earlier in the file or in the database',
        "own.jsonl:7: ref: required field is missing",
    ]
    holds = [
        line for line in said if line.startswith(("own.jsonl:8:", "own.jsonl:9:", "own.jsonl:10:"))
    ]
    assert holds == [
        "own.jsonl:8: ended_by: expected one of release, resolve, park, escalate, lapse, free, "
        'assign, leave, got "lunch"',
        "own.jsonl:9: ended_at: expected with ended_by: a hold that ended says when and how",
        "own.jsonl:10: ended_at: expected no earlier than started_at",
    ]
    assert all(line.startswith("own.jsonl:7: ") for line in said[6:] if line not in holds)


def test_holds_move_when_they_are_the_first_of_caredesks_own_records(tmp_path: Path) -> None:
    """No policy or setting installed: the first record of CareDesk's own in the file is a
    hold, after the tickets whose import already gave their holders holds."""
    with sqlite_copy(tmp_path, "source.db") as source:
        build_demo(source, customers=20, contacts=12, now=NOW, act=False)
        exported = export_text(source)
        first_own = next(line for line in exported.splitlines() if '"id": 1,' in line)
        assert first_own.startswith('{"type": "hold"')
        path = tmp_path / "holds.jsonl"
        path.write_text(exported, encoding="utf-8")
        with sqlite_copy(tmp_path, "copy.db") as copy:
            import_file(copy, path)
            assert export_text(copy) == exported
            assert records(copy)["contact_hold"] == records(source)["contact_hold"]
            held, running = running_holds(copy)
            assert held and running == held


AT = "2026-11-20T14:03:11Z"
SOURCE: list[dict[str, Any]] = [
    {"type": "agent", "id": "jordan", "name": "Jordan Blake", "role": "supervisor"},
    {"type": "customer", "id": "C-1", "name": "Dana Whitfield"},
    {
        "type": "order",
        "id": "W1",
        "customer": "C-1",
        "placed_at": "2026-11-12T09:00:00Z",
        "status": "delivered",
        "items": [{"sku": "BL-200", "name": "Blender", "price": "120.00", "quantity": 1}],
    },
    {
        "type": "ticket",
        "id": "T-1",
        "customer": "C-1",
        "channel": "chat",
        "subject": "Cracked jug",
        "opened_at": AT,
        "priority": "normal",
        "status": "open",
    },
]
"""What the records of CareDesk's own in the tests below name."""


def executed(number: int, kind: str) -> dict[str, Any]:
    """An executed action on order W1."""
    return {
        "type": "action",
        "id": number,
        "ref": f"A-{number}",
        "kind": kind,
        "customer": "C-1",
        "order": "W1",
        "agent": "jordan",
        "amount": "120.00",
        "currency": "USD",
        "reason": "cracked",
        "verdict": "allow",
        "rule": "actions.replacement.limit.amount",
        "verdict_reason": "within the limit",
        "policy_hash": "c8431105e6cbe458",
        "status": "executed",
        "requested_at": AT,
        "executed_at": AT,
    }


def test_bad_shipment_lines_name_their_field(db: Database, tmp_path: Path) -> None:
    shipment = {
        "type": "shipment",
        "order": "W1",
        "kind": "replacement",
        "items": '["BL-200"]',
        "status": "to_ship",
        "created_at": AT,
    }
    delivery = {
        "type": "delivery",
        "id": 1,
        "action": 1,
        "kind": "replacement",
        "webhook_id": "msg_1",
        "payload": "{}",
        "status": "queued",
        "attempts": 0,
        "created_at": AT,
        "next_at": AT,
    }
    lines: list[dict[str, Any] | str] = [
        *SOURCE,  # lines 1-4
        executed(1, "replacement"),
        executed(2, "reship"),
        executed(3, "reship"),
        shipment | {"id": 1, "ref": "SH-000001", "action": 1},
        shipment | {"id": 2, "ref": "SH-000002", "action": 1},
        shipment | {"id": 3, "ref": "SH-000001", "action": 2},  # line 10
        shipment | {"id": 4, "ref": "SH-000004", "action": 9},
        shipment
        | {"id": 5, "ref": "SH-000005", "action": 3, "kind": "refund", "items": "BL-200"}
        | {"status": "sent", "created_at": "2026-11-20"},
        shipment | {"id": 6, "ref": "S" * 33, "action": 3, "items": "[1]", "colour": "red"},
        shipment | {"id": 7, "ref": "SH-000007", "action": 3, "order": "W-404"},
        shipment | {"id": 5, "ref": "SH-000008", "action": 3},  # line 15
        delivery,
        delivery | {"id": 2, "action": 9, "webhook_id": "msg_2"},
        delivery | {"id": 3, "action": 2, "webhook_id": "msg_3", "orphaned": -1},
    ]
    path = write_lines(tmp_path / "ship.jsonl", lines)
    assert refused(db, path) == [
        "ship.jsonl:9: action: action 1 has an earlier shipment",
        'ship.jsonl:10: ref: "SH-000001" is given to an earlier shipment',
        "ship.jsonl:11: action: no action 9 earlier in the file",
        'ship.jsonl:12: kind: expected one of reship, replacement, got "refund"',
        'ship.jsonl:12: items: expected text holding a JSON array of SKUs (["BL-200"]), '
        'got "BL-200"',
        'ship.jsonl:12: status: expected one of to_ship, got "sent"',
        'ship.jsonl:12: created_at: expected an ISO 8601 timestamp with a zone, got "2026-11-20"',
        "ship.jsonl:13: colour: unknown field (a shipment has action, created_at, id, items, "
        "kind, order, ref, status)",
        "ship.jsonl:13: ref: expected a non-empty string of at most 32 characters, got "
        + json.dumps("S" * 33),
        'ship.jsonl:13: items: expected text holding a JSON array of SKUs (["BL-200"]), got "[1]"',
        'ship.jsonl:14: order: no order "W-404" earlier in the file or in the database',
        "ship.jsonl:15: id: expected a number above 7 (ids go up line by line)",
        "ship.jsonl:17: action: no action 9 earlier in the file",
        "ship.jsonl:18: orphaned: expected a whole number from 0, got -1",
    ]
    with read_session(db) as session:
        assert session.execute(text("SELECT count(*) FROM customer")).scalar() == 0


def test_bad_follow_up_lines_name_their_field(db: Database, tmp_path: Path) -> None:
    promise = {
        "type": "follow_up",
        "ticket": "T-1",
        "customer": "C-1",
        "owner": "jordan",
        "kind": "call_back",
        "due_at": "2026-11-20T16:00:00Z",
        "created_at": AT,
        "created_by": "jordan",
    }
    scheduled = promise | {"status": "scheduled"}
    done = promise | {"status": "done", "done_at": "2026-11-20T17:00:00Z"}
    lines: list[dict[str, Any] | str] = [
        *SOURCE,  # lines 1-4
        scheduled | {"id": 1, "note": "after the courier calls"},
        scheduled
        | {"id": 2, "kind": "nag", "due_at": "2026-11-21 09:00", "status": "later", "owner": ""}
        | {"created_by": None},
        promise | {"id": 3, "status": "done"},
        scheduled | {"id": 4, "done_by": "jordan", "surfaced_at": AT},
        promise | {"id": 5, "status": "due"},
        scheduled | {"id": 6, "ticket": "T-404", "owner": "nobody"},  # line 10
        done | {"id": 7},  # the customer wrote: nobody did it, and it never fell due
        done | {"id": 2, "done_by": "jordan", "surfaced_at": AT},
    ]
    path = write_lines(tmp_path / "promises.jsonl", lines)
    assert refused(db, path) == [
        "promises.jsonl:6: kind: expected one of call_back, check_tracking, confirm_arrival, "
        'check_back, got "nag"',
        "promises.jsonl:6: due_at: expected an ISO 8601 timestamp with a zone, "
        'got "2026-11-21 09:00"',
        'promises.jsonl:6: status: expected one of scheduled, due, done, got "later"',
        'promises.jsonl:6: owner: expected a non-empty string of at most 64 characters, got ""',
        "promises.jsonl:6: created_by: required field is null",
        "promises.jsonl:7: done_at: expected with status done: a follow-up done says when",
        "promises.jsonl:8: done_by: expected only with status done, not scheduled",
        "promises.jsonl:8: surfaced_at: expected only once it fell due, not while scheduled",
        "promises.jsonl:9: surfaced_at: expected with status due: when it fell due",
        'promises.jsonl:10: ticket: no ticket "T-404" earlier in the file or in the database',
        'promises.jsonl:10: owner: no agent "nobody" earlier in the file or in the database',
        "promises.jsonl:12: id: expected a number above 7 (ids go up line by line)",
    ]
    with read_session(db) as session:
        assert session.execute(text("SELECT count(*) FROM follow_up")).scalar() == 0

    good = write_lines(tmp_path / "good.jsonl", [*SOURCE, lines[4], lines[10]])
    assert import_file(db, good).recorded == 2
    with read_session(db) as session:
        found = session.execute(
            text("SELECT id, owner_id, done_by, note FROM follow_up ORDER BY id")
        ).all()
        jordan = session.execute(text("SELECT id FROM agent WHERE name = 'jordan'")).scalar()
    assert [tuple(row) for row in found] == [
        (1, jordan, None, "after the courier calls"),
        (7, jordan, None, ""),
    ]


def test_what_refunds_gave_back_goes_only_where_caredesk_recorded_nothing(
    moved_file: tuple[Database, list[str]], tmp_path: Path
) -> None:
    source, lines = moved_file
    (refunded,) = [json.loads(line) for line in lines if '"refunded": ' in line]
    assert refunded["id"] == "W-BACK" and refunded["refunded"] == "20.00"
    path = write_lines(tmp_path / "order.jsonl", [refunded | {"refunded": "50.00"}])
    assert refused(source, path) == [
        "order.jsonl:1: refunded: this database already holds CareDesk's own records "
        "(action #1 is the first): the records of `export --all` only go into a database "
        "that holds none"
    ]
    # The order as its source system has it leaves what CareDesk recorded alone.
    del refunded["refunded"]
    import_file(source, write_lines(tmp_path / "plain.jsonl", [refunded]))

    orders = Reading(source, "USD", lambda: NOW).orders(refunded["customer"])
    assert [o.refunded for o in orders if o.id == "W-BACK"] == [Decimal("20.00")]
    assert '"refunded": "20.00"' in export_text(source)

    with sqlite_copy(tmp_path, "promised.db") as other:
        bad = [*SOURCE[:3], SOURCE[2] | {"refunded": "1.005"}]
        assert refused(other, write_lines(tmp_path / "bad.jsonl", bad)) == [
            "bad.jsonl:4: refunded: expected an amount from 0 to 999999999999.99 with at most "
            '2 decimals (a decimal string or number), got "1.005"'
        ]
        import_file(other, write_lines(tmp_path / "shop.jsonl", SOURCE))
        jordan = resolve_agent(other, "jordan")
        FollowUps(other, jordan, ticking(NOW)).promise("T-1", "call_back", "in 1h")
        assert (
            "(follow-up #1 is the first)"
            in refused(other, write_lines(tmp_path / "all.jsonl", lines))[0]
        )
