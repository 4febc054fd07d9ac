"""Claims are atomic: however many agents race for a contact, exactly one holds it."""

from __future__ import annotations

import threading

import pytest

from storage.engine import Database
from tests.factories import NOW, add_agents, add_customer, add_ticket, reading
from workspace.desk import Desk
from workspace.errors import NotHeld


def _desks(db: Database, n: int) -> list[Desk]:
    agents = add_agents(db, *(f"agent{i}" for i in range(n)))
    return [Desk(db, a, clock=lambda: NOW) for a in agents]


def test_two_claimants_get_exactly_one_success(db: Database) -> None:
    add_customer(db)
    add_ticket(db, "T-1")
    desks = _desks(db, 2)
    barrier = threading.Barrier(2)
    results = {}

    def race(desk: Desk) -> None:
        barrier.wait()
        results[desk.agent.name] = desk.claim("T-1")

    threads = [threading.Thread(target=race, args=(d,)) for d in desks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wins = [r for r in results.values() if r.claimed]
    losses = [r for r in results.values() if not r.claimed]
    assert len(wins) == 1 and len(losses) == 1
    winner = next(name for name, r in results.items() if r.claimed)
    assert losses[0].holder_name == winner.title()
    assert f"{winner.title()} already holds contact T-1" == losses[0].reason
    row = reading(desks[0]).contact("T-1")
    assert row is not None and row.holder_name == winner.title()


def test_many_claimants_many_contacts_each_claimed_once(db: Database) -> None:
    add_customer(db)
    for i in range(10):
        add_ticket(db, f"T-{i}", due_in=i)
    desks = _desks(db, 6)
    barrier = threading.Barrier(len(desks))
    won: list[tuple[str, str]] = []
    lock = threading.Lock()

    def race(desk: Desk) -> None:
        barrier.wait()
        for i in range(10):
            if desk.claim(f"T-{i}").claimed:
                with lock:
                    won.append((desk.agent.name, f"T-{i}"))

    threads = [threading.Thread(target=race, args=(d,)) for d in desks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(t for _, t in won) == sorted(f"T-{i}" for i in range(10))


def test_a_released_claim_cannot_act(sqlite_db: Database) -> None:
    add_customer(sqlite_db)
    add_ticket(sqlite_db, "T-1")
    alice, bob = _desks(sqlite_db, 2)
    assert alice.claim("T-1").claimed
    alice.release("T-1")
    assert bob.claim("T-1").claimed
    with pytest.raises(NotHeld):
        alice.write("T-1", "hello from a stale screen")
    with pytest.raises(NotHeld):
        alice.resolve("T-1", "resolved")
    with pytest.raises(NotHeld):
        alice.release("T-1")


def test_claiming_again_is_harmless_and_resolved_cannot_be_claimed(sqlite_db: Database) -> None:
    add_customer(sqlite_db)
    add_ticket(sqlite_db, "T-1")
    add_ticket(sqlite_db, "T-2", status="resolved")
    (alice,) = _desks(sqlite_db, 1)
    assert alice.claim("T-1").claimed
    again = alice.claim("T-1")
    assert again.claimed and again.reason == "already yours"
    done = alice.claim("T-2")
    assert not done.claimed and "already resolved" in done.reason
    missing = alice.claim("T-404")
    assert not missing.claimed and "does not exist" in missing.reason
