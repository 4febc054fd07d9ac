"""Open workspaces, holds that lapse, a supervisor's moves and the live feed, on both
databases."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlmodel import col, select

from storage.engine import Database
from storage.models import AuditEntry, Ticket
from storage.uow import read_session
from tests.factories import NOW, add_agents, add_customer, add_ticket
from workspace.desk import Desk
from workspace.errors import NotAllowed, NotHeld
from workspace.live import LiveFeed
from workspace.presence import Presence
from workspace.queue import QueueFilter
from workspace.supervision import Supervision
from workspace.vocabulary import ChangeKind


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):
        return self.now


def _holder(db: Database, ticket_id: str) -> int | None:
    with read_session(db) as s:
        t = s.get(Ticket, ticket_id)
        assert t is not None
        return t.assigned_agent_id


def _audit(db: Database, action: str) -> list[AuditEntry]:
    with read_session(db) as s:
        stmt = select(AuditEntry).where(col(AuditEntry.action) == action)
        found = [a for (a,) in s.execute(stmt.order_by(col(AuditEntry.id)))]
        s.expunge_all()
    return found


@pytest.fixture
def team(db: Database):
    add_customer(db)
    for n in range(1, 5):
        add_ticket(db, f"T-{n}", due_in=10 * n)
    return add_agents(db, "alex", "sam") + add_agents(db, "hana", role="supervisor")


def test_a_silent_workspace_lapses_and_its_holds_return(db: Database, team) -> None:
    alex, sam, _hana = team
    clock = Clock()
    gone = Presence(db, alex, clock=clock, lapse_after=timedelta(minutes=3))
    gone.begin()
    desk = Desk(db, alex, clock=clock)
    assert desk.claim("T-1").claimed and desk.claim("T-2").claimed
    alive = Presence(db, sam, clock=clock, lapse_after=timedelta(minutes=3))
    alive.begin()

    clock.now = NOW + timedelta(minutes=2)
    assert alive.beat() == []  # not silent long enough
    assert _holder(db, "T-1") == alex.id

    clock.now = NOW + timedelta(minutes=4)
    (lapsed,) = alive.beat()
    assert lapsed.agent_id == alex.id and lapsed.tickets == ("T-1", "T-2")
    assert _holder(db, "T-1") is None and _holder(db, "T-2") is None
    entries = _audit(db, "lapse")
    assert [e.entity_id for e in entries] == ["T-1", "T-2"]
    assert "silent for 240s" in (entries[0].after or "")
    assert alive.beat() == []  # told once
    # The lapsed holder is fenced: their reply stores nothing.
    with pytest.raises(NotHeld):
        desk.write("T-1", "are you still there?")


def test_an_agent_with_another_workspace_open_keeps_their_holds(db: Database, team) -> None:
    alex, sam, _ = team
    clock = Clock()
    old = Presence(db, alex, clock=clock)
    old.begin()
    assert Desk(db, alex, clock=clock).claim("T-1").claimed
    clock.now = NOW + timedelta(minutes=10)
    other = Presence(db, alex, clock=clock)
    other.begin()
    assert Presence(db, sam, clock=clock).lapse(clock.now) == []
    assert _holder(db, "T-1") == alex.id


def test_a_workspace_taken_for_gone_comes_back_on_its_next_beat(db: Database, team) -> None:
    alex, sam, _ = team
    clock = Clock()
    mine = Presence(db, alex, clock=clock)
    mine.begin()
    mine.view("T-3")
    clock.now = NOW + timedelta(minutes=5)
    Presence(db, sam, clock=clock).lapse(clock.now)
    assert mine.beat() == []
    watcher = Presence(db, sam, clock=clock)
    assert watcher.viewers(["T-3"]) == {"T-3": ("Alex",)}


def test_quitting_keeps_or_releases_holds(db: Database, team) -> None:
    alex = team[0]
    desk = Desk(db, alex, clock=Clock())
    desk.claim("T-1")
    keep = Presence(db, alex, clock=Clock())
    keep.begin()
    assert keep.held() == ["T-1"]
    assert keep.end(release=False) == []
    assert _holder(db, "T-1") == alex.id
    leave = Presence(db, alex, clock=Clock())
    leave.begin()
    assert leave.end(release=True) == ["T-1"]
    assert _holder(db, "T-1") is None
    assert "released on quitting" in (_audit(db, "release")[-1].after or "")


def test_viewers_are_other_workspaces(db: Database, team) -> None:
    alex, sam, _ = team
    a, s = Presence(db, alex), Presence(db, sam)
    a.begin()
    s.begin()
    a.view("T-2")
    s.view("T-2")
    assert a.viewers(["T-1", "T-2"]) == {"T-2": ("Sam",)}
    s.view(None)
    assert a.viewers(["T-2"]) == {}


def test_a_supervisor_frees_and_reassigns(db: Database, team) -> None:
    alex, sam, hana = team
    Desk(db, alex).claim("T-1")
    boss = Supervision(db, hana, clock=Clock())
    moved = boss.assign("T-1", "sam", reason="Alex is off sick")
    assert moved.sentence == "Contact T-1 is now Sam's"
    assert _holder(db, "T-1") == sam.id
    assert boss.release("T-1").sentence == "Contact T-1 is back in the queue from Sam"
    assert _holder(db, "T-1") is None
    entries = _audit(db, "assign")
    assert [(e.actor, e.entity_id) for e in entries] == [("hana", "T-1"), ("hana", "T-1")]
    assert "Alex is off sick" in (entries[0].after or "")
    with pytest.raises(NotAllowed, match="only a supervisor"):
        Supervision(db, alex).release("T-2")


def test_next_never_hands_out_a_held_contact_and_refuses_who_left(db: Database, team) -> None:
    alex, sam, _ = team
    a, s = Desk(db, alex), Desk(db, sam)
    got = [a.claim_next(QueueFilter()), s.claim_next(QueueFilter())]
    assert [r.id for r in got if r] == ["T-1", "T-2"]
    assert s.claim_next(QueueFilter(agent_id=sam.id)).id == "T-3"  # "mine" view: still next


def test_the_feed_hands_out_changes_after_it_started(db: Database, team) -> None:
    alex, sam, _ = team
    Desk(db, alex).claim("T-4")  # before the feed starts: not handed out
    feed = LiveFeed(db)
    feed.start()
    assert not feed.wait(0.05)

    def later() -> None:
        time.sleep(0.2)
        Desk(db, sam).claim("T-1")

    writer = threading.Thread(target=later)
    started = time.monotonic()
    writer.start()
    got = feed.wait(5.0)
    waited = time.monotonic() - started
    writer.join()
    feed.close()
    assert [(r.kind, r.ticket_id, r.agent_id) for r in got.records] == [
        (ChangeKind.CLAIM, "T-1", sam.id)
    ]
    assert got.queue and got.tickets == {"T-1"} and not got.requests
    assert waited < 4.0  # woken by the commit, not by the timeout


def test_a_next_claim_reaches_the_feed_and_an_empty_one_does_not(db: Database, team) -> None:
    alex, sam, _ = team
    feed = LiveFeed(db)
    feed.start()
    got = Desk(db, sam).claim_next(QueueFilter())
    assert got is not None and got.id == "T-1" and got.holder_id == sam.id
    started = time.monotonic()
    woken = feed.wait(5.0)  # the NOTIFY rides in the claim's own statement on PostgreSQL
    assert time.monotonic() - started < 4.0  # woken by the commit, not by the timeout
    assert [(r.kind, r.ticket_id, r.agent_id) for r in woken.records] == [
        (ChangeKind.CLAIM, "T-1", sam.id)
    ]
    for tid in ("T-2", "T-3", "T-4"):
        Desk(db, alex).claim(tid)
    feed.read()
    assert Desk(db, sam).claim_next(QueueFilter()) is None
    assert not feed.wait(0.2).records
    feed.close()


def test_requests_and_decisions_reach_the_feed(db: Database, team) -> None:
    from tests.factories import add_order
    from workspace.action_view import ActionRequest
    from workspace.actions import Actions
    from workspace.approvals import Approvals
    from workspace.policy_file import default_policy

    alex, _sam, hana = team
    add_order(db, "W-1", "C-1", placed=NOW - timedelta(days=3), price="300.00")
    feed = LiveFeed(db)
    feed.start()
    asked = Actions(db, alex, default_policy(), lambda: NOW).take(
        ActionRequest(kind="refund", customer_id="C-1", order_id="W-1", amount="250", reason="r")
    )
    assert asked.record.status == "requested"
    assert [r.kind for r in feed.read().records] == [ChangeKind.REQUEST]
    Approvals(db, hana, lambda: NOW).deny(asked.record.id, "too much")
    got = feed.read()
    feed.close()
    assert [r.kind for r in got.records] == [ChangeKind.DECISION] and got.requests


def test_opening_a_contact_changes_who_views_it_not_the_queue() -> None:
    from workspace.live import ChangeRecord, Changes

    view = ChangeRecord(1, NOW, ChangeKind.VIEW, "T-1", 2)
    claim = ChangeRecord(2, NOW, ChangeKind.CLAIM, "T-2", 2)
    only_viewed = Changes((view,))
    assert not only_viewed.queue and only_viewed.viewed == {"T-1"} and not only_viewed.tickets
    both = Changes((view, claim))
    assert both.queue and both.tickets == {"T-2"} and both.viewed == {"T-1"}
