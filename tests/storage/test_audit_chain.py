"""The audit chain verifies when untouched and names the first entry a hand has changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from storage.audit import GENESIS, BrokenLink, ChainReport, append_audit, entry_hash, verify_chain
from storage.engine import Database
from storage.models import AuditEntry
from storage.uow import read_session, unit_of_work
from workspace.audit_check import describe, verify_audit

START = datetime(2026, 11, 20, 14, 3, 11, 123456, tzinfo=UTC)
CHANGED = "its contents were changed: the stored hash does not match"


def _append(db: Database, n: int) -> list[int]:
    """`n` entries by alex, a minute apart, with microseconds; their ids in order."""
    ids = []
    with unit_of_work(db) as s:
        for i in range(n):
            entry = append_audit(
                s,
                at=START + timedelta(minutes=i),
                actor="alex",
                action="claim",
                entity="ticket",
                entity_id=f"T-{i + 1}",
                before={"holder": None},
                after={"holder": "alex", "n": i},
            )
            assert entry.id is not None
            ids.append(entry.id)
    return ids


def _verify(db: Database, batch: int = 1000) -> ChainReport:
    with read_session(db) as s:
        return verify_chain(s, batch=batch)


def _sql(db: Database, statement: str, **params: object) -> None:
    with unit_of_work(db) as s:
        s.execute(text(statement), params)


def _stored_hash(db: Database, entry_id: int) -> str:
    with read_session(db) as s:
        digest = s.execute(
            text("SELECT hash FROM audit_entry WHERE id = :id"), {"id": entry_id}
        ).scalar_one()
    assert isinstance(digest, str)
    return digest


def test_an_untouched_chain_is_intact_with_every_entry_counted(db: Database) -> None:
    _append(db, 5)
    assert _verify(db) == ChainReport(entries=5, broken=None)


def test_an_empty_log_is_intact_with_nothing_checked(db: Database) -> None:
    assert _verify(db) == ChainReport(entries=0, broken=None)


def test_times_in_any_zone_and_to_the_microsecond_verify_after_the_round_trip(
    db: Database,
) -> None:
    moments = [
        datetime(2026, 11, 20, 14, 3, 11, tzinfo=UTC),
        datetime(2026, 11, 20, 14, 3, 11, 1, tzinfo=UTC),
        datetime(2026, 11, 20, 16, 3, 11, 999999, tzinfo=timezone(timedelta(hours=2))),
        datetime(2026, 11, 20, 9, 3, 11, 500000, tzinfo=timezone(timedelta(hours=-5))),
    ]
    with unit_of_work(db) as s:
        for at in moments:
            append_audit(s, at=at, actor="alex", action="note", entity="ticket", entity_id="T-1")
    assert _verify(db) == ChainReport(entries=4, broken=None)


@pytest.mark.parametrize(
    ("column", "value"),
    [("after", '{"holder": "mallory", "n": 2}'), ("actor", "mallory"), ("before", None)],
)
def test_an_entry_changed_by_hand_is_named(db: Database, column: str, value: str | None) -> None:
    ids = _append(db, 5)
    _sql(db, f'UPDATE audit_entry SET "{column}" = :v WHERE id = :id', v=value, id=ids[2])
    report = _verify(db)
    assert report.entries == 2
    assert report.broken is not None
    assert report.broken.entry_id == ids[2]
    assert report.broken.problem == CHANGED


def test_the_broken_link_reports_the_entry_as_stored(db: Database) -> None:
    ids = _append(db, 3)
    _sql(db, "UPDATE audit_entry SET actor = 'mallory' WHERE id = :id", id=ids[1])
    assert _verify(db).broken == BrokenLink(
        entry_id=ids[1],
        at=START + timedelta(minutes=1),
        actor="mallory",
        action="claim",
        entity="ticket",
        entity_id="T-2",
        problem=CHANGED,
    )


def test_a_deleted_entry_is_found_at_the_entry_after_the_gap(db: Database) -> None:
    ids = _append(db, 5)
    gone, before_gap = _stored_hash(db, ids[2]), _stored_hash(db, ids[1])
    _sql(db, "DELETE FROM audit_entry WHERE id = :id", id=ids[2])
    report = _verify(db)
    assert report.entries == 2
    assert report.broken is not None
    assert report.broken.entry_id == ids[3]
    assert report.broken.problem == (
        f"the entry before it is missing or was changed: it points to {gone[:12]}…, "
        f"but the entry before it (#{ids[1]}) has hash {before_gap[:12]}…"
    )


def test_a_deleted_first_entry_is_found_at_the_new_first_entry(db: Database) -> None:
    ids = _append(db, 3)
    gone = _stored_hash(db, ids[0])
    _sql(db, "DELETE FROM audit_entry WHERE id = :id", id=ids[0])
    report = _verify(db)
    assert report.entries == 0
    assert report.broken is not None
    assert report.broken.entry_id == ids[1]
    assert report.broken.problem == (
        f"the entry before it is missing or was changed: it points to {gone[:12]}…, "
        "but it is the first entry"
    )
    assert gone != GENESIS


def test_a_forger_who_recomputes_one_hash_is_caught_at_the_next_entry(db: Database) -> None:
    ids = _append(db, 5)
    with read_session(db) as s:
        entry = s.get(AuditEntry, ids[2])
        assert entry is not None
        s.expunge(entry)
    forged_after = '{"holder": "mallory", "n": 2}'
    forged = entry_hash(
        entry.prev_hash,
        entry.at,
        entry.actor,
        entry.action,
        entry.entity,
        entry.entity_id,
        entry.before,
        forged_after,
    )
    _sql(
        db,
        'UPDATE audit_entry SET "after" = :after, hash = :hash WHERE id = :id',
        after=forged_after,
        hash=forged,
        id=ids[2],
    )
    report = _verify(db)
    assert report.entries == 3
    assert report.broken is not None
    assert report.broken.entry_id == ids[3]
    assert report.broken.problem == (
        f"the entry before it is missing or was changed: it points to {entry.hash[:12]}…, "
        f"but the entry before it (#{ids[2]}) has hash {forged[:12]}…"
    )


@pytest.mark.parametrize("damaged", [None, 0, 1, 3, 4, 6])
def test_paging_two_at_a_time_finds_what_one_page_finds(db: Database, damaged: int | None) -> None:
    ids = _append(db, 7)
    if damaged is not None:
        _sql(db, "UPDATE audit_entry SET entity_id = 'T-99' WHERE id = :id", id=ids[damaged])
    paged = _verify(db, batch=2)
    assert paged == _verify(db, batch=1000)
    assert paged == _verify(db, batch=1)
    if damaged is None:
        assert paged == ChainReport(entries=7, broken=None)
    else:
        assert paged.entries == damaged
        assert paged.broken is not None and paged.broken.entry_id == ids[damaged]


def test_a_batch_below_one_is_refused(db: Database) -> None:
    with read_session(db) as s, pytest.raises(ValueError, match="at least 1"):
        verify_chain(s, batch=0)


def test_describe_says_how_many_entries_an_intact_log_holds(db: Database) -> None:
    assert describe(verify_audit(db)) == "audit log intact: 0 entries checked"
    _append(db, 1)
    assert describe(verify_audit(db)) == "audit log intact: 1 entry checked"
    assert describe(ChainReport(entries=1234, broken=None)) == (
        "audit log intact: 1,234 entries checked"
    )


def test_describe_says_where_the_log_broke_and_what_holds_before_it(db: Database) -> None:
    ids = _append(db, 4)
    _sql(db, "UPDATE audit_entry SET \"after\" = '{}' WHERE id = :id", id=ids[2])
    assert describe(verify_audit(db)) == (
        f"audit log broken at entry #{ids[2]} (2026-11-20 14:05:11 UTC, alex, claim ticket T-3): "
        "its contents were changed: the stored hash does not match; "
        "2 entries before it are intact"
    )
