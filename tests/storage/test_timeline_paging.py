"""The timeline pages exactly: interactions, order events, actions and decisions, many at one
moment, come page after page in one order with nothing lost and nothing shown twice.

Each source is a keyset of its own, and entries of one moment sort by source; a page is
merged from each source's next page. A few moments shared by hundreds of entries make every
page boundary fall inside a tie, between sources and within one, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest

from storage import action_queries
from storage.engine import Database
from storage.models import Interaction
from storage.uow import unit_of_work
from tests.factories import NOW, add_agents, add_customer, add_order
from workspace.reading import TIMELINE_PAGE, Reading
from workspace.timeline import ACTION, DECISION, INTERACTION, ORDER_EVENT, TimelineKey

#: The few moments every entry happens at.
MOMENTS = [NOW - timedelta(hours=h) for h in (0, 1, 2, 5)]

#: How an action stands, as stored: (verdict, status, decided by the supervisor, by the
#: requester withdrawing, or nobody).
STANDINGS = [
    ("allow", "executed", None),
    ("deny", "denied", None),
    ("needs_approval", "requested", None),
    ("needs_approval", "executed", "supervisor"),
    ("needs_approval", "denied", "supervisor"),
    ("needs_approval", "withdrawn", "requester"),
]


def _fill(db: Database, seed: int) -> list[TimelineKey]:
    """C-1's history at a few moments, and C-2's beside it; C-1's timeline, newest first."""
    rng = random.Random(seed)
    alex, jordan = add_agents(db, "alex"), add_agents(db, "jordan", role="supervisor")
    agent, supervisor = alex[0], jordan[0]
    add_customer(db, "C-1")
    add_customer(db, "C-2", name="Ola Berg")
    keys: list[TimelineKey] = []
    for n in range(8):
        placed, delivered = rng.choice(MOMENTS), rng.choice([None, *MOMENTS])
        add_order(db, f"W{n}", "C-1", placed=placed, delivered=delivered)
        keys.append(TimelineKey(placed, ORDER_EVENT, f"W{n}/placed"))
        if delivered is not None:
            keys.append(TimelineKey(delivered, ORDER_EVENT, f"W{n}/delivered"))
    add_order(db, "W-other", "C-2", placed=MOMENTS[0])
    with unit_of_work(db) as s:
        for n in range(rng.randint(60, 90)):
            customer = "C-1" if rng.random() < 0.8 else "C-2"
            at = rng.choice(MOMENTS)
            message = Interaction(
                ref=f"I-{n}",
                customer_id=customer,
                at=at,
                channel="chat",
                direction="inbound",
                kind="message",
                text="hello",
            )
            s.add(message)
            s.flush()
            assert message.id is not None
            if customer == "C-1":
                keys.append(TimelineKey(at, INTERACTION, message.id))
        for n in range(rng.randint(70, 110)):
            customer = "C-1" if rng.random() < 0.8 else "C-2"
            verdict, status, decider = rng.choice(STANDINGS)
            asked = rng.choice(MOMENTS)
            decided = rng.choice(MOMENTS) if decider else (asked if status == "denied" else None)
            by = {"supervisor": supervisor.id, "requester": agent.id}.get(decider or "")
            action_id = action_queries.insert_action(
                s,
                {
                    "ref": f"R-{n}",
                    "kind": "refund",
                    "customer_id": customer,
                    "agent_id": agent.id,
                    "amount": Decimal("5.00"),
                    "currency": "USD",
                    "reason": "Jug cracked",
                    "verdict": verdict,
                    "rule": "tiers.gold.refund.limit.amount",
                    "verdict_reason": "over the agent's limit",
                    "policy_hash": "0123456789abcdef",
                    "status": status,
                    "requested_at": asked,
                    "decided_at": decided,
                    "decided_by": by,
                    "decision_reason": "checked" if decider == "supervisor" else None,
                    "executed_at": asked if status == "executed" else None,
                },
            )
            if customer == "C-1":
                keys.append(TimelineKey(asked, ACTION, action_id))
                if by is not None and decided is not None:
                    keys.append(TimelineKey(decided, DECISION, action_id))
    return sorted(keys, key=lambda k: (k.at, k.source, k.id), reverse=True)


def _reading(db: Database) -> Reading:
    return Reading(db, "USD", lambda: NOW)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pages_of_any_size_meet_exactly(db: Database, seed: int) -> None:
    expected = _fill(db, seed)
    assert len(expected) > 3 * TIMELINE_PAGE  # ties at every boundary: 4 moments, 4 sources
    reading = _reading(db)
    rng = random.Random(seed)
    # From above everything, pages of 1 to 7: boundaries fall everywhere in the ties.
    shown: list[TimelineKey] = []
    before = TimelineKey(NOW + timedelta(days=1), INTERACTION, 0)
    more = True
    while more:
        page, more = reading.timeline_page("C-1", before, limit=rng.randint(1, 7))
        assert page, "a page that says more is coming came empty"
        shown += [e.key for e in page]
        before = page[-1].key
    assert shown == expected


@pytest.mark.parametrize("seed", [4])
def test_the_first_page_and_the_next_meet_exactly(db: Database, seed: int) -> None:
    expected = _fill(db, seed)
    reading = _reading(db)
    context = reading.customer_context("C-1", None)
    assert len(context.timeline) == TIMELINE_PAGE and context.has_more
    shown = [e.key for e in context.timeline]
    more = context.has_more
    while more:
        page, more = reading.timeline_page("C-1", shown[-1])
        shown += [e.key for e in page]
    assert shown == expected
    assert len(set(shown)) == len(shown)


def test_a_key_of_each_source_resumes_after_itself(db: Database) -> None:
    """Resuming from any entry's key gives exactly the entries after it, whatever its source."""
    expected = _fill(db, 5)
    reading = _reading(db)
    sources_seen: set[int] = set()
    for index, key in enumerate(expected[:-1]):
        if key.source in sources_seen and index % 9:
            continue  # every source once, and every ninth entry: enough, and quick
        sources_seen.add(key.source)
        page, _more = reading.timeline_page("C-1", key, limit=4)
        assert [e.key for e in page] == expected[index + 1 : index + 5], key
    assert sources_seen == {INTERACTION, ORDER_EVENT, ACTION, DECISION}
