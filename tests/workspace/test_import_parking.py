"""Importing against the team's service levels and parked contacts; the demo's parked ones."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from storage.engine import Database
from storage.models import Ticket
from storage.uow import read_session
from workspace.demo import build_demo

NOW = datetime(2026, 11, 7, 9, 0, tzinfo=UTC)


def _tickets(db: Database) -> dict[str, Ticket]:
    with read_session(db) as s:
        found = s.execute(select(Ticket)).scalars().all()
        s.expunge_all()
    return {t.id: t for t in found}


def test_the_demos_pending_contacts_are_parked(db: Database) -> None:
    build_demo(db, customers=60, contacts=80, now=NOW)

    tickets = list(_tickets(db).values())
    pending = [t for t in tickets if t.status == "pending"]
    assert pending
    assert any(t.first_response_at for t in pending)
    for t in pending:  # when the agent asked, else when the customer wrote
        assert t.parked_at == (t.first_response_at or t.opened_at)
    assert all(t.parked_at is None for t in tickets if t.status != "pending")
