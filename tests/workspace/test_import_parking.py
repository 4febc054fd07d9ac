"""Importing against the team's service levels and parked contacts; the demo's parked ones."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storage.engine import Database
from storage.models import AuditEntry, Change, Ticket
from storage.uow import read_session
from tests.workspace.test_import_export import write_lines
from workspace import team_config
from workspace.demo import build_demo
from workspace.importer import import_file

NOW = datetime(2026, 11, 7, 9, 0, tzinfo=UTC)

TEAM = """\
version: 1
service_levels:
  chat:
    urgent: {first_response: 2m, resolution: 30m}
"""

CUSTOMER = {"type": "customer", "id": "C-1", "name": "Dana Whitfield"}


def _at(minutes: int) -> str:
    return (NOW + timedelta(minutes=minutes)).isoformat()


def _ticket(tid: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": "ticket",
        "id": tid,
        "customer": "C-1",
        "channel": "chat",
        "subject": "Cracked jug",
        "opened_at": _at(0),
        "priority": "urgent",
        "status": "open",
        **fields,
    }


def _message(ref: str, ticket: str, minutes: int, direction: str = "inbound") -> dict[str, Any]:
    return {
        "type": "interaction",
        "id": ref,
        "customer": "C-1",
        "ticket": ticket,
        "at": _at(minutes),
        "channel": "chat",
        "direction": direction,
        "text": "Any news?",
    }


def _tickets(db: Database) -> dict[str, Ticket]:
    with read_session(db) as s:
        found = s.execute(select(Ticket)).scalars().all()
        s.expunge_all()
    return {t.id: t for t in found}


def _unparks(db: Database) -> list[tuple[str, str, dict[str, Any]]]:
    with read_session(db) as s:
        entries = s.execute(
            select(AuditEntry.actor, AuditEntry.entity_id, AuditEntry.after).where(
                AuditEntry.action == "unpark"
            )
        ).all()
        changed = s.execute(select(Change.ticket_id).where(Change.kind == "unpark")).scalars()
        assert sorted(changed) == sorted(entity for _, entity, _ in entries)
    return [(actor, entity, json.loads(after or "{}")) for actor, entity, after in entries]


def test_an_import_takes_due_times_from_the_installed_service_levels(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "team.yaml"
    config.write_text(TEAM, encoding="utf-8")
    team_config.install(db, config, by="hana", at=NOW)
    reads: list[object] = []
    in_effect = team_config.in_effect

    def counted(database: Any) -> team_config.TeamConfig:
        reads.append(database)
        return in_effect(database)

    monkeypatch.setattr(team_config, "in_effect", counted)
    lines = [
        CUSTOMER,
        _ticket("T-1"),
        _ticket("T-2", channel="email", priority="normal"),
        _ticket("T-3", sla_due_at=_at(7)),
    ]
    import_file(db, write_lines(tmp_path / "tickets.jsonl", lines))

    tickets = _tickets(db)
    assert tickets["T-1"].sla_due_at == NOW + timedelta(minutes=30)  # the team's, not 5m
    assert tickets["T-2"].sla_due_at == NOW + timedelta(days=1)  # a target it left as it was
    assert tickets["T-3"].sla_due_at == NOW + timedelta(minutes=7)  # the file's own
    assert len(reads) == 1  # once for the whole file


def test_a_new_message_from_the_customer_unparks_and_a_reimport_does_not(
    db: Database, tmp_path: Path
) -> None:
    parked = {"status": "pending", "sla_due_at": _at(30), "parked_at": _at(10)}
    first = write_lines(
        tmp_path / "tickets.jsonl",
        [CUSTOMER, _ticket("T-1", **parked), _ticket("T-2", **parked)],
    )
    import_file(db, first)
    messages = [
        _message("I-1", "T-1", 60),  # 50 minutes after it was parked
        _message("I-2", "T-1", 90),
        _message("I-3", "T-2", 60, direction="outbound"),  # not from the customer
        _message("I-4", "T-2", 5),  # written before it was parked
    ]
    second = write_lines(tmp_path / "messages.jsonl", messages)

    summary = import_file(db, second)

    tickets = _tickets(db)
    t1, t2 = tickets["T-1"], tickets["T-2"]
    assert (t1.status, t1.active, t1.parked_at) == ("open", True, None)
    assert t1.sla_due_at == NOW + timedelta(minutes=30 + 50)  # the clock stood still
    assert (t2.status, t2.active, t2.parked_at) == ("pending", False, NOW + timedelta(minutes=10))
    after = {"status": "open", "sla_due_at": (NOW + timedelta(minutes=80)).isoformat()}
    assert _unparks(db) == [("import", "T-1", after)]
    assert summary.unparked == 1

    # Parked again by the source, then the same messages once more: nothing moves.
    import_file(db, first)
    again = import_file(db, second)

    t1 = _tickets(db)["T-1"]
    assert (t1.status, t1.active, t1.parked_at) == ("pending", False, NOW + timedelta(minutes=10))
    assert len(_unparks(db)) == 1
    assert again.unparked == 0


def test_a_message_in_the_same_file_as_its_parked_ticket_unparks_it(
    db: Database, tmp_path: Path
) -> None:
    lines = [
        CUSTOMER,
        _ticket("T-1", status="pending", sla_due_at=_at(30), parked_at=_at(10)),
        _message("I-1", "T-1", 20),
    ]
    summary = import_file(db, write_lines(tmp_path / "one.jsonl", lines), actor="hana")

    t1 = _tickets(db)["T-1"]
    assert (t1.status, t1.sla_due_at) == ("open", NOW + timedelta(minutes=40))
    assert [(actor, entity) for actor, entity, _ in _unparks(db)] == [("hana", "T-1")]
    assert summary.unparked == 1


def test_a_pending_ticket_without_parked_at_is_parked_at_its_latest_moment(
    db: Database, tmp_path: Path
) -> None:
    lines = [
        CUSTOMER,
        _ticket("T-1", status="pending", first_response_at=_at(20), claimed_at=_at(5)),
        _ticket("T-2", status="pending", first_response_at=_at(3), claimed_at=_at(8)),
        _ticket("T-3", status="pending"),
        _ticket("T-4", status="pending", claimed_at=_at(8), parked_at=_at(12)),
        _ticket("T-5", first_response_at=_at(20)),
    ]
    import_file(db, write_lines(tmp_path / "pending.jsonl", lines))

    parked = {tid: t.parked_at for tid, t in _tickets(db).items()}
    assert parked == {
        "T-1": NOW + timedelta(minutes=20),  # first answered
        "T-2": NOW + timedelta(minutes=8),  # claimed
        "T-3": NOW,  # opened
        "T-4": NOW + timedelta(minutes=12),  # the file's own
        "T-5": None,  # open: not parked
    }


def test_the_demos_pending_contacts_are_parked(db: Database) -> None:
    build_demo(db, customers=60, contacts=80, now=NOW)

    tickets = list(_tickets(db).values())
    pending = [t for t in tickets if t.status == "pending"]
    assert pending
    assert any(t.first_response_at for t in pending)
    for t in pending:  # when the agent asked, else when the customer wrote
        assert t.parked_at == (t.first_response_at or t.opened_at)
    assert all(t.parked_at is None for t in tickets if t.status != "pending")
