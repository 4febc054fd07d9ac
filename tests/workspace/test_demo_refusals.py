"""What the demo build refuses: a database that has data, and counts no demo set can meet."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from storage.bulk import insert_rows, is_empty
from storage.engine import Database
from storage.models import Agent, Customer
from storage.uow import read_session, unit_of_work
from workspace.demo import DemoArgumentError, DemoDatabaseNotEmpty, build_demo
from workspace.errors import CareDeskError

NOW = datetime(2026, 3, 10, 15, 30, 12, 345678, tzinfo=UTC)


def count(db: Database, model: type[Agent] | type[Customer]) -> int:
    """How many rows a model's table holds."""
    with read_session(db) as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_a_database_with_data_is_refused_with_its_own_error(db: Database) -> None:
    with unit_of_work(db) as session:
        insert_rows(session, "customer", [{"id": "C-1", "name": "Someone", "tier": "gold"}])

    with pytest.raises(DemoDatabaseNotEmpty, match="empty database") as caught:
        build_demo(db, customers=5, contacts=3, now=NOW)

    assert isinstance(caught.value, CareDeskError)
    assert count(db, Customer) == 1
    assert count(db, Agent) == 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"customers": -1}, "cannot be negative"),
        ({"contacts": -1}, "cannot be negative"),
        ({"orders": -1}, "cannot be negative"),
        ({"customers": 0, "contacts": 3}, "need customers"),
        ({"customers": 10, "contacts": 20, "interactions": 19}, "at least contacts"),
        ({"heavy_interactions": -1}, "cannot be negative"),
        ({"customers": 0, "contacts": 0, "heavy_interactions": 5}, "heavy customer needs"),
        ({"customers": 1, "contacts": 3, "heavy_interactions": 2}, "heavy >= 3"),
        ({"customers": 1, "contacts": 1, "interactions": 4, "heavy_interactions": 9}, "only"),
        ({"agents": 5}, "at least 6"),
    ],
)
def test_bad_arguments_raise_demo_argument_error(
    sqlite_db: Database, arguments: dict[str, Any], message: str
) -> None:
    with pytest.raises(DemoArgumentError, match=message) as caught:
        build_demo(sqlite_db, now=NOW, **arguments)

    assert isinstance(caught.value, CareDeskError)
    assert isinstance(caught.value, ValueError)  # what these were before they had a type
    assert is_empty(sqlite_db)


def test_a_naive_now_stays_a_plain_value_error(sqlite_db: Database) -> None:
    with pytest.raises(ValueError, match="timezone-aware") as caught:
        build_demo(sqlite_db, now=datetime(2026, 3, 10, 12, 0))

    assert not isinstance(caught.value, CareDeskError)
