"""The tamper suite: single changes made by hand to a database with actions, approvals,
deliveries and follow-ups, each found by `caredesk audit verify` at its first bad entry.

Every run of the suite makes 400 mutations (`CAREDESK_TAMPER_MUTATIONS`) of a log of 2,000
entries (`CAREDESK_TAMPER_ENTRIES`) on SQLite, every kind among them, and 150 on PostgreSQL.
`python -m benchmarks` makes 1,000 of a log of 10,000 and measures how fast verification
reads it; `CAREDESK_TAMPER_MUTATIONS=1000 CAREDESK_TAMPER_ENTRIES=10000` does the same here.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session

from benchmarks.tamper import Expect, Mutation, Tamperer, World, build_world, run_tamper
from storage.engine import Database
from storage.testing import fresh_sqlite
from storage.uow import read_session
from workspace.audit_check import verify_audit

MUTATIONS = int(os.environ.get("CAREDESK_TAMPER_MUTATIONS", "400"))
ENTRIES = int(os.environ.get("CAREDESK_TAMPER_ENTRIES", "2000"))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, World]]:
    db = fresh_sqlite(Path(tmp_path_factory.mktemp("tamper")))
    try:
        yield db, build_world(db, entries=ENTRIES)
    finally:
        db.dispose()


def test_the_world_is_intact_and_has_every_kind_of_record(world: tuple[Database, World]) -> None:
    db, built = world
    assert built.entries >= ENTRIES
    assert built.actions > 100 and built.deliveries > 20 and built.follow_ups == 60
    with read_session(db) as s:
        statuses = Counter(r[0] for r in s.execute(text("SELECT status FROM action")).all())
        delivered = Counter(r[0] for r in s.execute(text("SELECT status FROM delivery")).all())
        shipments = s.execute(text("SELECT count(*) FROM shipment")).scalar_one()
        follow_ups = Counter(r[0] for r in s.execute(text("SELECT status FROM follow_up")).all())
    assert {"executed", "requested", "denied", "withdrawn"} <= set(statuses)
    assert {"delivered", "failed"} <= set(delivered) and shipments > 0
    assert {"scheduled", "due", "done"} <= set(follow_ups)
    assert verify_audit(db).ok


def test_every_mutation_is_named_at_its_first_bad_entry(world: tuple[Database, World]) -> None:
    db, _ = world
    result = run_tamper(db, MUTATIONS)
    assert result.missed == []
    assert result.caught == result.mutations == MUTATIONS


def test_the_mix_has_every_kind_of_mutation(world: tuple[Database, World]) -> None:
    db, _ = world
    kinds = Counter(m.kind for m in Tamperer(db).mutations(MUTATIONS))
    assert set(kinds) == {
        "flip-entry",
        "flip-row",
        "delete-entry",
        "delete-head",
        "swap-entries",
        "duplicate-entry",
        "forge-entry",
        "forge-after-checkpoint",
        "delete-row",
        "insert-row",
        "swap-rows",
        "empty-log",
        "forge-claim",
        "retype-time",
        "change-refunded",
    }


def test_a_mutation_that_is_not_found_is_reported(world: tuple[Database, World]) -> None:
    # The suite itself can fail: a change verification cannot see (a deliverer's lease,
    # which is not covered) is reported as missed.
    db, _ = world
    tamperer = Tamperer(db)

    def attempts(s: Session) -> Expect:
        s.execute(text("UPDATE delivery SET attempts = attempts + 7"))
        return Expect(row=("delivery", tamperer.rows["delivery"][0]))

    assert tamperer.check(Mutation("attempts", "a delivery's attempts changed", attempts)) == (
        f"expected ('delivery', '{tamperer.rows['delivery'][0]}'), got nothing"
    )


def test_postgresql_catches_them_too(pg_db: Database) -> None:
    build_world(pg_db, entries=1200, actions=80)
    result = run_tamper(pg_db, 150)
    assert result.missed == []
