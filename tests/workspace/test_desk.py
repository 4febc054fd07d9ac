"""The agent's use cases against a real database: each writes its audit entry, chained."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import col, select

from storage.audit import GENESIS, entry_hash
from storage.engine import Database
from storage.models import AuditEntry, Interaction, Ticket
from storage.uow import read_session
from tests.factories import (
    NOW,
    add_agents,
    add_customer,
    add_message,
    add_order,
    add_ticket,
    reading,
)
from workspace.desk import Desk
from workspace.errors import CareDeskError, NotHeld
from workspace.queue import QueueFilter


@pytest.fixture
def desk(db: Database) -> Desk:
    add_customer(db)
    add_ticket(db, "T-1", channel="call")
    (alex,) = add_agents(db, "alex")
    return Desk(db, alex, clock=lambda: NOW)


def _audit(db: Database) -> list[AuditEntry]:
    with read_session(db) as s:
        entries = [a for (a,) in s.execute(select(AuditEntry).order_by(col(AuditEntry.id)))]
        s.expunge_all()
    return entries


def test_claim_reply_note_resolve_is_stored_and_audited(desk: Desk) -> None:
    assert desk.claim("T-1").claimed
    reply = desk.write("T-1", "So sorry about the jug [bold]!")
    note = desk.write("T-1", "customer is upset", note=True)
    desk.resolve("T-1", "resolved")
    with read_session(desk.db) as s:
        t = s.get(Ticket, "T-1")
        assert t is not None
        assert (t.status, t.active, t.disposition) == ("resolved", False, "resolved")
        assert t.resolved_at == NOW and t.first_response_at == NOW
        rows = {
            i.ref: (i.text, i.direction, i.kind, i.channel, i.author)
            for (i,) in s.execute(select(Interaction))
        }
    assert rows[reply] == ("So sorry about the jug [bold]!", "outbound", "message", "call", "Alex")
    assert rows[note][1:3] == ("internal", "note")
    actions = [a.action for a in _audit(desk.db)]
    assert actions == ["claim", "reply", "note", "resolve"]


def test_audit_entries_chain_by_hash(desk: Desk) -> None:
    desk.claim("T-1")
    desk.release("T-1")
    desk.claim("T-1")
    prev = GENESIS
    for a in _audit(desk.db):
        assert a.prev_hash == prev
        assert a.hash == entry_hash(
            prev, a.at, a.actor, a.action, a.entity, a.entity_id, a.before, a.after
        )
        prev = a.hash


def test_pending_goes_back_to_the_queue_unheld(desk: Desk) -> None:
    desk.claim("T-1")
    desk.resolve("T-1", "pending")
    row = reading(desk).contact("T-1")
    assert row is not None and row.status == "pending" and row.holder_id is None
    assert reading(desk).queue_count(QueueFilter(status="pending")) == 1
    with pytest.raises(CareDeskError):
        desk.resolve("T-1", "vanished")


def test_cannot_write_without_holding_or_write_nothing(desk: Desk) -> None:
    with pytest.raises(NotHeld):
        desk.write("T-1", "hello")
    desk.claim("T-1")
    with pytest.raises(CareDeskError):
        desk.write("T-1", "   \n")
    assert [a.action for a in _audit(desk.db)] == ["claim"]


def test_claim_next_takes_the_most_urgent_unheld(db: Database) -> None:
    add_customer(db)
    alex, sam = add_agents(db, "alex", "sam")
    add_ticket(db, "T-late", due_in=-10, holder=sam.id)
    add_ticket(db, "T-soon", due_in=2)
    add_ticket(db, "T-later", due_in=20)
    desk = Desk(db, alex, clock=lambda: NOW)
    got = desk.claim_next(QueueFilter())
    assert got is not None and got.id == "T-soon" and got.holder_id == alex.id
    assert desk.claim_next(QueueFilter()).id == "T-later"
    assert desk.claim_next(QueueFilter()) is None


def test_customer_context_digest_and_timeline(desk: Desk) -> None:
    db = desk.db
    add_order(
        db,
        "W1",
        placed=NOW - timedelta(days=6),
        promised=date(2026, 11, 3),
        delivered=NOW - timedelta(days=2),
    )
    for i in range(60):
        add_message(db, f"I-{i}", at=NOW - timedelta(days=30, minutes=i), text=f"old {i}")
    add_message(db, "I-mail", at=NOW - timedelta(days=1), channel="email", text="cracked jug")
    row = reading(desk).contact("T-1")
    ctx = reading(desk).customer_context("C-1", row)
    d = ctx.digest
    assert d.interactions == 61
    assert d.repeat is not None and d.repeat.channels == ("email",)
    assert [o.id for o in d.late_orders] == ["W1"]
    assert ctx.timeline[0].ref == "I-mail"
    assert (
        ctx.timeline[1].kind == "order_delivered" and "after the promised" in ctx.timeline[1].text
    )
    assert ctx.has_more and len(ctx.timeline) == 50
    older, more = reading(desk).timeline_page("C-1", ctx.timeline[-1].key)
    refs = [e.ref for e in ctx.timeline] + [e.ref for e in older]
    assert not more and len(refs) == 63 and len(set(e.key for e in older)) == len(older)
    assert refs[-1] == "I-59"
    assert [e.ref for e in reading(desk).search_history("C-1", "crack")] == ["I-mail"]
    assert reading(desk).search_history("C-1", "   ") == []


def test_the_same_draft_sent_twice_is_stored_once(desk: Desk) -> None:
    desk.claim("T-1")
    first = desk.write("T-1", "Sorry!", key="abc123")
    again = desk.write("T-1", "Sorry!", key="abc123")
    assert first == again == "I-abc123"
    with read_session(desk.db) as s:
        texts = s.execute(select(Interaction.text).where(Interaction.ticket_id == "T-1")).all()
    assert texts == [("Sorry!",)]
    assert [a.action for a in _audit(desk.db)] == ["claim", "reply"]


def test_concurrent_sends_of_one_draft_store_it_once(desk: Desk) -> None:
    import threading

    desk.claim("T-1")
    barrier = threading.Barrier(4)

    def send() -> None:
        barrier.wait()
        desk.write("T-1", "once", key="same-key")

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with read_session(desk.db) as s:
        texts = s.execute(select(Interaction.text).where(Interaction.ticket_id == "T-1")).all()
    assert texts == [("once",)]


def test_a_resolved_contact_cannot_be_released(desk: Desk) -> None:
    desk.claim("T-1")
    desk.resolve("T-1", "resolved")
    with pytest.raises(NotHeld):
        desk.release("T-1")
    row = reading(desk).contact("T-1")
    assert row is not None and row.holder_name == "Alex"  # who resolved it is kept
    assert [a.action for a in _audit(desk.db)] == ["claim", "resolve"]


#: Ids an import may give contacts: the claim's statement writes them into the entry's
#: hash itself on PostgreSQL, as the JSON the chain is checked against.
ODD_IDS = ['T-"quoted"', "T-back\\slash", "T-tab\tnew\nline\x1b[2J", "T-ünï/çødé\u2028"]


def test_claim_next_audits_in_the_chain_whatever_the_id(db: Database) -> None:
    from storage.logins import mark_acting
    from workspace.audit_check import verify_audit

    add_customer(db)
    (alex,) = add_agents(db, "alex")
    for n, ticket in enumerate(ODD_IDS):
        add_ticket(db, ticket, due_in=n + 1)
    desk = Desk(db, alex, clock=lambda: NOW)
    got = [desk.claim_next(QueueFilter()) for _ in ODD_IDS[:-1]]
    mark_acting(db, "boss", "alex")  # an administrator working as alex
    got.append(desk.claim_next(QueueFilter()))
    assert [row.id for row in got if row is not None] == ODD_IDS
    claims = [e for e in _audit(db) if e.action == "claim"]
    assert [(e.entity_id, e.after) for e in claims] == [
        (ticket, '{"holder": "alex"}') for ticket in ODD_IDS
    ]
    assert [e.actor for e in claims] == ["alex"] * 3 + ["boss for alex"]
    assert verify_audit(db).broken is None
    assert desk.claim_next(QueueFilter()) is None  # nothing appended for no claim
    assert len(_audit(db)) == len(ODD_IDS)
