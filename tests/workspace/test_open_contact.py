"""An agent opens a new contact for a customer who called or walked in: held by them at once,
due by the team's service levels, audited and announced in the same unit of work."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select, update

from storage import changes
from storage.engine import Database
from storage.models import Agent, AuditEntry, Ticket
from storage.uow import read_session, unit_of_work
from tests.factories import NOW, add_agents, add_customer
from tests.pg_roles import server
from workspace.desk import Desk
from workspace.errors import AgentInactive, CareDeskError
from workspace.team_config import install

#: Calls at normal priority are due in 7 minutes for this team (CareDesk's own say 10).
TEAM = """\
version: 1
service_levels:
  call:
    normal: {first_response: 2m, resolution: 7m}
"""


def _desk(db: Database, tmp_path: Path) -> Desk:
    add_customer(db)
    path = tmp_path / "team.yaml"
    path.write_text(TEAM, encoding="utf-8")
    install(db, path, by="jordan", at=NOW)
    (alex,) = add_agents(db, "alex")
    return Desk(db, alex, clock=lambda: NOW)


def _opening_entries(db: Database) -> list[AuditEntry]:
    with read_session(db) as s:
        found = s.execute(
            select(AuditEntry).where(col(AuditEntry.action) == "open").order_by(col(AuditEntry.id))
        )
        entries = [a for (a,) in found]
        s.expunge_all()
    return entries


def test_a_new_contact_is_held_due_by_the_teams_levels_audited_and_announced(
    db: Database, tmp_path: Path
) -> None:
    desk = _desk(db, tmp_path)
    with read_session(db) as s:
        seen = changes.last_seq(s)

    row = desk.open_contact("C-1", "call", "  Card declined at checkout ")

    assert row.id.startswith("T-") and row.customer_id == "C-1"
    assert (row.customer_name, row.channel, row.subject) == (
        "Dana Whitfield",
        "call",
        "Card declined at checkout",
    )
    assert (row.status, row.priority, row.holder_id) == ("open", "normal", desk.agent.id)
    assert row.opened_at == NOW and row.claimed_at == NOW
    assert row.sla_due_at == NOW + timedelta(minutes=7)
    with read_session(db) as s:
        stored = s.get(Ticket, row.id)
        assert stored is not None
        assert (stored.active, stored.assigned_agent_id) == (True, desk.agent.id)
        feed = changes.since(s, seen)
    assert [(c.kind, c.ticket_id, c.agent_id) for c in feed] == [("open", row.id, desk.agent.id)]
    (entry,) = _opening_entries(db)
    assert (entry.actor, entry.entity, entry.entity_id, entry.at) == ("alex", "ticket", row.id, NOW)
    assert json.loads(entry.after or "{}") == {
        "customer": "C-1",
        "channel": "call",
        "status": "open",
        "holder": "alex",
        "sla_due_at": (NOW + timedelta(minutes=7)).isoformat(),
    }


def test_each_contact_opened_has_an_id_of_its_own(db: Database, tmp_path: Path) -> None:
    desk = _desk(db, tmp_path)
    ids = {desk.open_contact("C-1", "email", "Walk-in").id for _ in range(5)}
    assert len(ids) == 5
    assert desk.claim(next(iter(ids))).reason == "already yours"


@pytest.mark.parametrize(
    ("customer", "channel", "subject", "says"),
    [
        ("C-404", "call", "Lost parcel", "there is no customer 'C-404'"),
        ("C-1", "pigeon", "Lost parcel", "there is no channel called 'pigeon'"),
        ("C-1", "call", "   ", "a new contact needs a subject"),
    ],
)
def test_an_unknown_customer_or_channel_is_refused_and_nothing_is_written(
    db: Database, tmp_path: Path, customer: str, channel: str, subject: str, says: str
) -> None:
    desk = _desk(db, tmp_path)
    with read_session(db) as s:
        seen = changes.last_seq(s)

    with pytest.raises(CareDeskError) as refused:
        desk.open_contact(customer, channel, subject)

    assert str(refused.value).startswith(says)
    with read_session(db) as s:
        assert s.execute(select(Ticket.id)).all() == []
        assert changes.since(s, seen) == []
    assert _opening_entries(db) == []


def test_someone_who_left_opens_nothing(db: Database, tmp_path: Path) -> None:
    desk = _desk(db, tmp_path)
    with unit_of_work(db) as s:
        s.execute(update(Agent).where(col(Agent.id) == desk.agent.id).values(active=False))

    with pytest.raises(AgentInactive):
        desk.open_contact("C-1", "call", "Lost parcel")

    with read_session(db) as s:
        assert s.execute(select(Ticket.id)).all() == []


def test_an_agents_own_login_may_open_a_contact_on_postgresql() -> None:
    with server() as pg:
        add_customer(pg.db)
        sam = pg.agent("sam", "agent")
        as_sam = pg.open(sam.name)

        row = Desk(as_sam, sam, clock=lambda: NOW).open_contact("C-1", "chat", "Walked in")

        assert row.holder_id == sam.id
        assert [e.actor for e in _opening_entries(pg.db)] == [sam.name]
