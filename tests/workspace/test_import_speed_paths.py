"""The import's fast paths: files over many chunks, the deferred text index, the plain parser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from storage.bulk_upsert import BulkUpserter
from storage.engine import Database
from storage.uow import read_session
from tests.workspace.test_import_export import dump, export_text, write_lines
from workspace import importer
from workspace.errors import InputRejected
from workspace.import_records import _fast_interaction, _interaction_fields
from workspace.importer import import_file

CHUNK = 50


def feed(count: int, text_of: str = "message {n}") -> list[dict[str, Any]]:
    """Customers, tickets and `count` interactions, parents first."""
    lines: list[dict[str, Any]] = []
    for n in range(20):
        lines.append({"type": "customer", "id": f"C-{n}", "name": f"Customer {n}"})
        lines.append(
            {
                "type": "ticket",
                "id": f"T-{n}",
                "customer": f"C-{n}",
                "channel": "chat",
                "subject": f"Case {n}",
                "opened_at": "2026-11-06T08:40:00Z",
                "priority": "high",
                "status": "open",
            }
        )
    for n in range(count):
        lines.append(
            {
                "type": "interaction",
                "id": f"I-{n}",
                "customer": f"C-{n % 20}",
                "ticket": f"T-{n % 20}" if n % 2 else None,
                "at": f"2026-11-04T10:{n % 60:02d}:00+02:00",
                "channel": "chat",
                "direction": "inbound",
                "text": text_of.format(n=n),
            }
        )
    return lines


@pytest.fixture(autouse=True)
def _small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "CHUNK", CHUNK)


def search(db: Database, word: str) -> int:
    """Interactions the history text index finds for `word` (straight from the index)."""
    with read_session(db) as session:
        if db.is_sqlite:
            sql = "SELECT count(*) FROM interaction_search WHERE interaction_search MATCH :w"
        else:
            sql = (
                "SELECT count(*) FROM interaction WHERE to_tsvector('caredesk_search', "
                "coalesce(subject, '') || ' ' || text) @@ plainto_tsquery('caredesk_search', :w)"
            )
        return int(session.execute(text(sql), {"w": word}).scalar_one())


def test_a_file_of_many_chunks_imports_and_reimports_as_a_no_op(
    db: Database, tmp_path: Path
) -> None:
    path = write_lines(tmp_path / "feed.jsonl", feed(500))
    summary = import_file(db, path)
    assert (summary.customers, summary.tickets, summary.interactions) == (20, 20, 500)
    before, exported = dump(db), export_text(db)
    assert search(db, "message") == 500

    import_file(db, path)

    assert dump(db) == before
    assert export_text(db) == exported
    assert search(db, "message") == 500


def test_a_bad_line_in_a_late_chunk_writes_nothing(db: Database, tmp_path: Path) -> None:
    lines: list[Any] = feed(500)
    lines[-3] = {**lines[-3], "channel": "pigeon"}
    path = write_lines(tmp_path / "feed.jsonl", lines)

    with pytest.raises(InputRejected) as caught:
        import_file(db, path)

    assert [p.where for p in caught.value.problems] == [f"feed.jsonl:{len(lines) - 2}"]
    assert all(not rows for rows in dump(db).values())


def test_a_write_that_fails_part_way_is_raised_and_writes_nothing(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The file is read once and written chunk by chunk as it is read: a failure after the
    # first chunk must reach the caller and roll back what was already written.
    path = write_lines(tmp_path / "feed.jsonl", feed(500))
    real = BulkUpserter.interactions
    written: list[int] = []

    def failing(self: BulkUpserter, rows: Any) -> None:
        if written:
            raise RuntimeError("the disk is full")
        written.append(len(rows))
        real(self, rows)

    monkeypatch.setattr(BulkUpserter, "interactions", failing)
    with pytest.raises(RuntimeError, match="the disk is full"):
        import_file(db, path)

    assert written  # one chunk was written before the failure...
    assert all(not rows for rows in dump(db).values())  # ...and rolled back with the rest
    assert search(db, "message") == 0


def test_changed_and_repeated_lines_keep_the_text_index_in_step(
    db: Database, tmp_path: Path
) -> None:
    import_file(db, write_lines(tmp_path / "one.jsonl", feed(200, "first {n}")))
    # Every line again with new text, and a second copy of each in a later chunk.
    lines = feed(200, "second {n}") + feed(200, "third {n}")[40:]
    import_file(db, write_lines(tmp_path / "two.jsonl", lines))
    # New interactions, changed within the same import.
    fresh = [{**ln, "id": "N" + ln["id"]} for ln in feed(120, "fourth {n}")[40:]]
    again = [{**ln, "text": f"fifth {ln['id']}"} for ln in fresh]
    import_file(db, write_lines(tmp_path / "three.jsonl", feed(0) + fresh + again))

    assert (search(db, "first"), search(db, "second"), search(db, "third")) == (0, 0, 200)
    assert (search(db, "fourth"), search(db, "fifth")) == (0, 120)
    if db.is_sqlite:
        with read_session(db) as session:
            check = (
                "INSERT INTO interaction_search(interaction_search, rank) "
                "VALUES ('integrity-check', 0)"
            )
            session.execute(text(check))
            names = session.execute(text("SELECT name FROM sqlite_master WHERE type='trigger'"))
            assert sorted(names.scalars()) == [
                "interaction_search_delete",
                "interaction_search_insert",
                "interaction_search_update",
            ]


GOOD = {
    "type": "interaction",
    "id": "I-1",
    "customer": "C-1",
    "at": "2026-11-04T10:02:00.5-05:00",
    "channel": "chat",
    "direction": "inbound",
    "text": "Where is my blender?",
}


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"ticket": "T-1", "subject": "s", "author": "a", "kind": "note"},
        {"kind": None, "ticket": None},
        {"id": ""},
        {"id": "x" * 65},
        {"customer": 7},
        {"at": "2026-11-04T10:02:00"},
        {"at": "yesterday"},
        {"channel": ["chat"]},
        {"direction": "sideways"},
        {"kind": True},
        {"text": "nul\x00"},
        {"subject": "\ud800"},
        {"author": 1},
        {"extra": 1},
        {"text": None},
    ],
)
def test_the_plain_interaction_parser_agrees_with_the_field_by_field_one(
    change: dict[str, Any],
) -> None:
    obj = {**GOOD, **change}
    fast, full = _fast_interaction(obj), _interaction_fields(obj)
    if isinstance(full, list):
        assert fast is None
    else:
        assert fast == full
