"""The audit chain verifies when untouched and names the first entry a hand has changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from storage.audit import (
    GENESIS,
    BrokenLink,
    ChainReport,
    append_audit,
    entry_hash,
    entry_hash_at,
    head,
    verify_chain,
)
from storage.engine import Database
from storage.models import AuditEntry
from storage.uow import read_session, unit_of_work
from workspace.audit_check import (
    ChainBroken,
    Checkpoint,
    audit_key,
    checkpoint,
    describe,
    load_checkpoint,
    verify_against,
    verify_audit,
)
from workspace.errors import CareDeskError

START = datetime(2026, 11, 20, 14, 3, 11, 123456, tzinfo=UTC)
CHANGED = "its contents were changed: the stored hash does not match"


def _append(db: Database, n: int) -> list[int]:
    """`n` entries by alex, a minute apart, with microseconds; their ids in order."""
    ids = []
    with unit_of_work(db) as s:
        for i in range(n):
            entry_id = append_audit(
                s,
                at=START + timedelta(minutes=i),
                actor="alex",
                action="claim",
                entity="ticket",
                entity_id=f"T-{i + 1}",
                before={"holder": None},
                after={"holder": "alex", "n": i},
            )
            ids.append(entry_id)
    return ids


def _verify(db: Database, batch: int = 1000) -> ChainReport:
    with read_session(db) as s:
        return verify_chain(s, batch=batch)


def _sql(db: Database, statement: str, **params: object) -> None:
    """Tamper with the log by hand; on PostgreSQL as a superuser who first switched off the
    triggers that keep it append-only (what its hash chain is there to catch)."""
    with unit_of_work(db) as s:
        if not db.is_sqlite:
            s.execute(text("SET LOCAL session_replication_role = replica"))
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
    assert describe(verify_audit(db).chain) == "audit log intact: 0 entries checked"
    _append(db, 1)
    assert describe(verify_audit(db).chain) == "audit log intact: 1 entry checked"
    assert describe(ChainReport(entries=1234, broken=None)) == (
        "audit log intact: 1,234 entries checked"
    )


def test_describe_says_where_the_log_broke_and_what_holds_before_it(db: Database) -> None:
    ids = _append(db, 4)
    _sql(db, "UPDATE audit_entry SET \"after\" = '{}' WHERE id = :id", id=ids[2])
    assert describe(verify_audit(db).chain) == (
        f"audit log broken at entry #{ids[2]} (2026-11-20 14:05:11 UTC, alex, claim ticket T-3): "
        "its contents were changed: the stored hash does not match; "
        "2 entries before it are intact"
    )


# -- the head, and checkpoints of it --------------------------------------------------------


def test_the_head_is_the_count_and_the_last_entry(db: Database) -> None:
    with read_session(db) as s:
        assert head(s) is None
    ids = _append(db, 4)
    with read_session(db) as s:
        assert head(s) == (4, ids[3], _stored_hash(db, ids[3]))
        assert head(s, up_to=ids[1]) == (2, ids[1], _stored_hash(db, ids[1]))
        assert head(s, up_to=ids[0] - 1) is None
        assert entry_hash_at(s, ids[2]) == _stored_hash(db, ids[2])
        assert entry_hash_at(s, ids[3] + 1) is None


def test_the_head_counts_only_what_remains(db: Database) -> None:
    ids = _append(db, 4)
    _sql(db, "DELETE FROM audit_entry WHERE id IN (:a, :b)", a=ids[1], b=ids[3])
    with read_session(db) as s:
        assert head(s) == (2, ids[2], _stored_hash(db, ids[2]))
        assert entry_hash_at(s, ids[3]) is None


def test_a_checkpoint_records_the_head_and_survives_its_file(db: Database, tmp_path) -> None:
    ids = _append(db, 3)
    taken = checkpoint(db)
    assert taken == Checkpoint(
        entries=3,
        head_id=ids[2],
        head_hash=_stored_hash(db, ids[2]),
        at=START + timedelta(minutes=2),
    )
    path = tmp_path / "cp.json"
    path.write_text(taken.to_json(), encoding="utf-8")
    assert load_checkpoint(path) == taken
    assert verify_against(db, taken) is None


def test_a_checkpoint_still_holds_after_more_entries(db: Database) -> None:
    _append(db, 3)
    taken = checkpoint(db)
    _append(db, 2)
    assert verify_against(db, taken) is None
    assert checkpoint(db).entries == 5


def test_entries_deleted_from_the_end_pass_the_chain_but_not_the_checkpoint(
    db: Database,
) -> None:
    ids = _append(db, 5)
    taken = checkpoint(db)
    _sql(db, "DELETE FROM audit_entry WHERE id >= :id", id=ids[3])
    # The reason checkpoints exist: what remains of the chain still holds.
    assert _verify(db) == ChainReport(entries=3, broken=None)
    assert verify_against(db, taken) == (
        f"audit log broken: entries after #{ids[2]} are missing or were replaced: "
        f"the checkpoint (taken at 2026-11-20 14:07:11 UTC) recorded #{ids[4]} "
        f"with hash {taken.head_hash[:12]}…, which is gone"
    )


def test_a_whole_log_deleted_is_found_by_the_checkpoint(db: Database) -> None:
    ids = _append(db, 2)
    taken = checkpoint(db)
    _sql(db, "DELETE FROM audit_entry")
    problem = verify_against(db, taken)
    assert problem is not None
    assert problem.startswith(f"audit log broken: entries up to #{ids[1]} are missing")


def test_a_forged_tail_with_a_recomputed_chain_is_found(db: Database) -> None:
    ids = _append(db, 4)
    taken = checkpoint(db)
    with read_session(db) as s:
        last = s.get(AuditEntry, ids[3])
        assert last is not None
        s.expunge(last)
    forged_after = '{"holder": "mallory"}'
    forged = entry_hash(
        last.prev_hash,
        last.at,
        last.actor,
        last.action,
        last.entity,
        last.entity_id,
        last.before,
        forged_after,
    )
    _sql(
        db,
        'UPDATE audit_entry SET "after" = :after, hash = :hash WHERE id = :id',
        after=forged_after,
        hash=forged,
        id=ids[3],
    )
    assert _verify(db) == ChainReport(entries=4, broken=None)
    assert verify_against(db, taken) == (
        f"audit log broken: entry #{ids[3]} was replaced, perhaps with entries before it: "
        f"the checkpoint (taken at 2026-11-20 14:06:11 UTC) recorded #{ids[3]} "
        f"with hash {taken.head_hash[:12]}…, which is gone (#{ids[3]} now has hash {forged[:12]}…)"
    )


def test_a_checkpoint_counting_more_entries_than_lead_to_its_head_fails(db: Database) -> None:
    ids = _append(db, 3)
    taken = checkpoint(db)
    inflated = Checkpoint(taken.entries + 2, taken.head_id, taken.head_hash, taken.at)
    inflated = inflated.signed(audit_key(db))  # as one taken with the key would be
    assert verify_against(db, inflated) == (
        f"audit log broken: entries before #{ids[2]} are missing: the checkpoint "
        f"(taken at 2026-11-20 14:05:11 UTC) recorded #{ids[2]} as entry 5 of the log, "
        "but only 3 entries lead up to it now"
    )


def test_a_broken_log_is_not_checkpointed(db: Database) -> None:
    ids = _append(db, 3)
    _sql(db, "UPDATE audit_entry SET actor = 'mallory' WHERE id = :id", id=ids[1])
    with pytest.raises(ChainBroken) as refused:
        checkpoint(db)
    assert refused.value.report.broken is not None
    assert refused.value.report.broken.entry_id == ids[1]


def test_an_empty_log_has_no_head_to_checkpoint(db: Database) -> None:
    with pytest.raises(CareDeskError, match="empty"):
        checkpoint(db)


def test_any_text_in_an_entry_is_hashed_as_the_verifier_hashes_it(db: Database) -> None:
    # PostgreSQL chains an entry in one statement, hashing in SQL; the verifier hashes in
    # Python. Whatever the fields hold, both must agree.
    odd = [
        'quote " backslash \\ slash / [bold]x[/]',
        "tab\tnewline\ncontrol \x01\x1b[31m del \x7f",
        "é e\u0301 ß 中文 👩\u200d🔧 \u202eevil",
        "",
    ]
    with unit_of_work(db) as s:
        for n, value in enumerate(odd):
            append_audit(
                s,
                at=START + timedelta(seconds=n),
                actor=value or "nobody",
                action="note",
                entity="ticket",
                entity_id=value[:60] or "T-0",
                before={"text": value, value: [value, 1.5, None]},
                after=None if n % 2 else {"n": n},
            )
    assert _verify(db) == ChainReport(entries=len(odd), broken=None)


def test_writers_appending_at_once_build_one_unbroken_chain(db: Database) -> None:
    import threading

    barrier = threading.Barrier(4)
    failures: list[BaseException] = []

    def writer(w: int) -> None:
        try:
            barrier.wait(10)
            for i in range(15):
                with unit_of_work(db) as s:
                    append_audit(
                        s,
                        at=START + timedelta(minutes=i),
                        actor=f"agent{w}",
                        action="claim",
                        entity="ticket",
                        entity_id=f"T-{w}-{i}",
                    )
        except BaseException as error:  # noqa: BLE001 - reported below, not lost in the thread
            failures.append(error)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert _verify(db) == ChainReport(entries=60, broken=None)
    with read_session(db) as s:
        prevs = s.execute(text("SELECT prev_hash FROM audit_entry")).scalars().all()
    assert len(set(prevs)) == 60  # no two entries chained to the same one
