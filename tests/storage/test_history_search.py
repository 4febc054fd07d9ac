"""History search on both databases: what a word matches, whose, and in what order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from storage import text_index
from storage.customer_queries import search_history
from storage.engine import Database
from storage.text_index import Term, terms_of
from storage.uow import read_session, unit_of_work
from tests.factories import NOW, add_customer, add_message
from tests.hostile import load_hostile_cases


def refs(db: Database, query: str, customer: str | None = "C-1", limit: int = 200) -> list[str]:
    with read_session(db) as session:
        return [e.ref for e in search_history(session, customer, query, limit=limit)]


def test_words_are_runs_of_letters_and_digits_and_a_star_makes_a_prefix() -> None:
    assert terms_of('Refund* "late" order_42 -x NEAR(a b) {text}: *') == [
        Term("refund", True),
        Term("late", False),
        Term("order", False),
        Term("42", False),
        Term("x", False),
        Term("near", False),
        Term("a", False),
        Term("b", False),
        Term("text", False),
    ]
    assert terms_of("  ** ; ") == []
    assert len(terms_of(" ".join(f"w{n}" for n in range(40)))) == text_index.MAX_TERMS


def test_a_word_matches_its_other_forms_and_a_star_asks_for_a_prefix(db: Database) -> None:
    add_customer(db)
    add_message(db, "I-orders", at=NOW, text="Both orders arrived late")
    add_message(db, "I-refunded", at=NOW - timedelta(hours=1), text="We refunded the jug")
    add_message(db, "I-other", at=NOW - timedelta(hours=2), text="Thanks, all good")

    assert refs(db, "order") == ["I-orders"]
    assert refs(db, "ORDERED") == ["I-orders"]
    assert refs(db, "refunds") == ["I-refunded"]
    assert refs(db, "refu") == []  # a part of a word is not a word...
    assert refs(db, "refu*") == ["I-refunded"]  # ...unless it is asked for as a prefix
    assert refs(db, "late order") == ["I-orders"]  # every word must match
    assert refs(db, "late refund") == []


def test_the_subject_is_searched_too(db: Database) -> None:
    add_customer(db)
    add_message(db, "I-1", at=NOW, subject="Blender warranty", text="see attached")
    assert refs(db, "warranty") == ["I-1"]


def test_only_the_customers_own_history_is_searched(db: Database) -> None:
    for cid in ("C-1", "C-10", "C-1x"):
        add_customer(db, cid)
        add_message(db, f"I-{cid}", cid, at=NOW, text=f"parcel for {cid}")

    assert refs(db, "parcel", "C-1") == ["I-C-1"]
    assert refs(db, "parcel", "C-10") == ["I-C-10"]
    assert sorted(refs(db, "parcel", None)) == ["I-C-1", "I-C-10", "I-C-1x"]
    assert refs(db, "parcel", "C-2") == []
    # The customer's token is not a word of anyone's history.
    token = b"C-1".hex()
    assert refs(db, token, None) == refs(db, f"{token}*", None) == []


def test_the_newest_matches_come_first_by_time_whatever_order_they_were_written(
    db: Database,
) -> None:
    add_customer(db)
    # Written newest first, so ids run against time.
    for n in range(30):
        add_message(db, f"I-{n:02d}", at=NOW - timedelta(days=n), text=f"courier note {n}")
    add_message(db, "I-old", at=datetime(1965, 1, 1, tzinfo=UTC), text="courier of old")

    assert refs(db, "courier", limit=5) == ["I-00", "I-01", "I-02", "I-03", "I-04"]
    assert refs(db, "courier", None, limit=3) == ["I-00", "I-01", "I-02"]
    assert refs(db, "courier")[-1] == "I-old"


def test_changing_or_deleting_an_interaction_keeps_the_index_in_step(db: Database) -> None:
    add_customer(db)
    add_customer(db, "C-2")
    add_message(db, "I-1", at=NOW, text="kettle leaking")
    add_message(db, "I-2", at=NOW - timedelta(hours=1), text="kettle fine")

    with unit_of_work(db) as s:
        s.execute(text("UPDATE interaction SET text = 'toaster leaking' WHERE ref = 'I-1'"))
        s.execute(text("UPDATE interaction SET customer_id = 'C-2' WHERE ref = 'I-2'"))
    assert refs(db, "kettle") == []
    assert refs(db, "toaster") == ["I-1"]
    assert refs(db, "kettle", "C-2") == ["I-2"]

    with unit_of_work(db) as s:  # moving it in time moves it in the results
        s.execute(
            text("UPDATE interaction SET at = :at WHERE ref = 'I-2'"),
            {"at": NOW + timedelta(days=1)},
        )
        s.execute(text("UPDATE interaction SET customer_id = 'C-1' WHERE ref = 'I-2'"))
        s.execute(text("UPDATE interaction SET text = 'toaster ok' WHERE ref = 'I-2'"))
    assert refs(db, "toaster") == ["I-2", "I-1"]

    with unit_of_work(db) as s:
        s.execute(text("DELETE FROM interaction WHERE ref = 'I-1'"))
    assert refs(db, "toaster") == ["I-2"]
    assert refs(db, "leaking") == []


def test_dates_far_from_now_are_indexed(db: Database) -> None:
    add_customer(db)
    add_message(db, "I-far", at=datetime(9999, 12, 31, tzinfo=UTC), text="timeless teapot")
    add_message(db, "I-near", at=NOW, text="modern teapot")
    assert refs(db, "teapot") == ["I-far", "I-near"]


def test_query_syntax_in_a_search_is_only_words(db: Database) -> None:
    add_customer(db)
    add_message(db, "I-1", at=NOW, text="refund and not or near")
    for query in ('"', "refund AND", "NOT refund", 'refund" OR "x', "near(refund", "a:b", "{}:(*"):
        refs(db, query)  # no error from either database's query syntax
    assert refs(db, "refund AND not") == ["I-1"]
    assert refs(db, "OR") == ["I-1"]


def test_hostile_text_is_searchable_and_hostile_queries_are_harmless(db: Database) -> None:
    cases = load_hostile_cases()
    if cases is None:
        pytest.skip("the shared hostile-text corpus is not next to the repository")
    add_customer(db)
    for n, (_, hostile) in enumerate(cases):
        # NUL never reaches storage (PostgreSQL cannot hold it; the importer refuses it).
        stored = hostile.replace("\x00", "")
        add_message(db, f"I-{n}", at=NOW - timedelta(minutes=n), text=f"{stored} zebra{n}")
    for n, (kind, hostile) in enumerate(cases):
        assert f"I-{n}" in refs(db, f"zebra{n}"), kind
        refs(db, hostile)  # whatever it matches, it is a search like any other


def test_sqlite_refuses_an_id_the_search_key_cannot_hold(sqlite_db: Database) -> None:
    add_customer(sqlite_db)
    insert = text(
        "INSERT INTO interaction (id, ref, customer_id, at, channel, direction, kind, text) "
        "VALUES (:id, 'I-big', 'C-1', :at, 'chat', 'inbound', 'message', 'x')"
    )
    with (
        pytest.raises(Exception, match="move this database to PostgreSQL"),
        unit_of_work(sqlite_db) as s,
    ):
        s.execute(insert, {"id": text_index.ID_LIMIT, "at": NOW})
    assert refs(sqlite_db, "x") == []
