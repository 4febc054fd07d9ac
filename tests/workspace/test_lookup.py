"""Find anything: customers, orders and contacts by what an agent types, ranked, bounded."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from storage.engine import Database
from storage.models import Customer
from storage.testing import fresh_sqlite
from storage.uow import unit_of_work
from tests.factories import NOW, add_customer, add_order, add_ticket
from tests.hostile import INLINE_CASES, load_hostile_cases
from workspace.demo import build_demo
from workspace.importer import import_file
from workspace.lookup import MAX_RESULTS, Found, FoundKind, Lookup, Rank


def _add(db: Database, cid: str, name: str, email: str | None = None, phone: str | None = None):
    with unit_of_work(db) as s:
        s.add(Customer(id=cid, name=name, tier="gold", email=email, phone=phone))


def _shown(found: list[Found]) -> list[tuple[str, str, str, Rank]]:
    return [(f.kind.value, f.ref, f.label, f.rank) for f in found]


def test_a_name_is_found_by_the_start_of_its_first_or_a_later_word(db: Database) -> None:
    add_customer(db)  # Dana Whitfield
    _add(db, "C-2", "Whitney Ola Berg")
    _add(db, "C-3", "Zoë Anne-Marie")
    _add(db, "C-4", "Olaf Dahl")
    lookup = Lookup(db)

    assert _shown(lookup.find("whit")) == [
        ("customer", "C-2", "Whitney Ola Berg", Rank.NAME),
        ("customer", "C-1", "Dana Whitfield", Rank.LATER_WORD),
    ]
    assert [f.ref for f in lookup.find("WHITNEY o")] == ["C-2"]
    assert [(f.ref, f.rank) for f in lookup.find("ola")] == [
        ("C-4", Rank.NAME),
        ("C-2", Rank.LATER_WORD),
    ]
    assert [f.ref for f in lookup.find("berg")] == ["C-2"]  # the last of three words
    assert [f.ref for f in lookup.find("zoe")] == ["C-3"]  # accents need not be typed
    assert [f.ref for f in lookup.find("anne-m")] == ["C-3"]
    assert [f.ref for f in lookup.find("marie")] == ["C-3"]  # a hyphen starts a word
    assert lookup.find("hitfield") == []  # inside a word is no start
    (dana,) = lookup.find("Dana  Whit")
    assert (dana.kind, dana.customer_id, dana.customer_name) == (
        FoundKind.CUSTOMER,
        "C-1",
        "Dana Whitfield",
    )


def test_an_email_is_found_whole_or_by_its_start_in_any_case(db: Database) -> None:
    _add(db, "C-1", "Dana Whitfield", email="Dana.W@Example.com")
    _add(db, "C-2", "Ola Berg", email="dana.whit@example.net")
    lookup = Lookup(db)

    assert _shown(lookup.find("DANA.W@example.COM")) == [
        ("customer", "C-1", "Dana.W@Example.com", Rank.EXACT_ADDRESS),
    ]
    assert _shown(lookup.find("dana.w")) == [
        ("customer", "C-1", "Dana.W@Example.com", Rank.EMAIL_PREFIX),
        ("customer", "C-2", "dana.whit@example.net", Rank.EMAIL_PREFIX),
    ]
    assert [(f.ref, f.rank) for f in lookup.find("dana")] == [
        ("C-1", Rank.NAME),
        ("C-2", Rank.EMAIL_PREFIX),
    ]


@pytest.mark.parametrize(
    "typed", ["+1 (555) 010-2030", "555-010-2030", "5550102030", "(555) 010 2030", "+15550102030"]
)
def test_a_phone_number_is_found_however_it_is_punctuated(db: Database, typed: str) -> None:
    _add(db, "C-1", "Dana Whitfield", phone="5550102030")
    _add(db, "C-2", "Ola Berg", phone="+1 555 010 2031")

    assert _shown(Lookup(db).find(typed)) == [
        ("customer", "C-1", "5550102030", Rank.EXACT_ADDRESS),
    ]


def test_ids_are_found_whole_in_any_case_even_one_character_long(db: Database) -> None:
    add_customer(db)
    _add(db, "X", "Ola Berg")
    add_order(db, "W1001", placed=NOW - timedelta(days=3), status="shipped")
    add_ticket(db, "T-77", subject="Cracked jug")
    lookup = Lookup(db)

    assert _shown(lookup.find("w1001")) == [("order", "W1001", "order W1001 · shipped", 0)]
    assert _shown(lookup.find(" t-77 ")) == [("contact", "T-77", "T-77 · Cracked jug · open", 0)]
    assert [(f.kind, f.customer_id, f.customer_name) for f in lookup.find("T-77")] == [
        (FoundKind.CONTACT, "C-1", "Dana Whitfield")
    ]
    assert _shown(lookup.find("c-1")) == [("customer", "C-1", "C-1", Rank.EXACT_ID)]
    assert _shown(lookup.find("x")) == [("customer", "X", "X", Rank.EXACT_ID)]
    assert lookup.find("w100") == []  # ids match whole, not by their start


def test_one_character_or_nothing_finds_nothing_but_an_id(db: Database) -> None:
    add_customer(db)
    lookup = Lookup(db)
    assert lookup.find("") == [] and lookup.find("   ") == []
    assert lookup.find("d") == []
    assert [f.ref for f in lookup.find("da")] == ["C-1"]


def test_results_are_ranked_id_then_address_then_name_then_later_word_then_email(
    db: Database,
) -> None:
    _add(db, "C-1", "Zed Ann", email="ann@example.com")  # later word, and exact email below
    _add(db, "C-2", "Ann Lee")
    _add(db, "C-3", "Anne Alder")
    _add(db, "C-4", "Bo Lind", email="anneli@example.com")
    _add(db, "ann", "Cy Moe")  # a customer whose id is what is typed
    lookup = Lookup(db)

    assert [(f.ref, f.rank) for f in lookup.find("ann")] == [
        ("ann", Rank.EXACT_ID),
        ("C-2", Rank.NAME),  # ties by name: "Ann Lee" before "Anne Alder"
        ("C-3", Rank.NAME),
        ("C-1", Rank.LATER_WORD),
        ("C-4", Rank.EMAIL_PREFIX),
    ]
    # A customer found twice is listed once, at the better rank.
    assert [(f.ref, f.rank) for f in lookup.find("ann@example.com")] == [
        ("C-1", Rank.EXACT_ADDRESS)
    ]


def test_results_are_bounded(db: Database) -> None:
    with unit_of_work(db) as s:
        for n in range(MAX_RESULTS + 30):
            s.add(Customer(id=f"C-{n:03d}", name=f"Mara Smith{n:03d}", tier="gold"))
    lookup = Lookup(db)

    assert [f.ref for f in lookup.find("mara", limit=5)] == [f"C-{n:03d}" for n in range(5)]
    assert len(lookup.find("smith", limit=20)) == 20
    assert len(lookup.find("mar", limit=10_000)) == MAX_RESULTS
    assert lookup.find("mar", limit=0) == []


def test_hostile_text_finds_nothing_and_does_not_fail(db: Database) -> None:
    add_customer(db)
    add_order(db, "W1001", placed=NOW - timedelta(days=3))
    add_ticket(db, "T-1")
    lookup = Lookup(db)
    for kind, text in load_hostile_cases() or INLINE_CASES:
        assert lookup.find(text) == [], kind


def test_hostile_names_are_found_and_kept_as_stored(db: Database) -> None:
    name = "Mallory [bold]\x1b[2J\u202e Evans"
    _add(db, "C-1", name, email="\x1b]52;c;x\x07@example.com")
    (found,) = Lookup(db).find("mallory")
    assert (found.customer_name, found.label) == (name, name)
    assert [f.ref for f in Lookup(db).find("evans")] == ["C-1"]


def test_imported_and_demo_customers_are_found(sqlite_db: Database, tmp_path: Path) -> None:
    lines = [
        {"type": "customer", "id": "C-9", "name": "Ingrid Lindqvist", "phone": "+46 70 123 4567"}
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    import_file(sqlite_db, path)
    assert [f.ref for f in Lookup(sqlite_db).find("lindq")] == ["C-9"]
    assert [f.ref for f in Lookup(sqlite_db).find("070-123 45 67")] == ["C-9"]

    demo = fresh_sqlite(tmp_path, name="demo.db")
    try:
        build_demo(demo, customers=5, contacts=3, now=NOW)
        with unit_of_work(demo) as s:
            first = s.get(Customer, "C-10001")
            assert first is not None
            name, email = first.name, first.email
        assert "C-10001" in [f.ref for f in Lookup(demo).find(name.split()[-1][:4])]
        if email:
            assert [f.ref for f in Lookup(demo).find(email.upper())] == ["C-10001"]
    finally:
        demo.dispose()
