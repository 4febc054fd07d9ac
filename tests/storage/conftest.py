"""The PostgreSQL group roles a test's schema left behind are dropped after the test; a
database of each kind that a module's read-only tests share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.engine import Database
from tests.conftest import fresh_database
from tests.pg_roles import sweep_groups


@pytest.fixture(autouse=True)
def _drop_left_groups() -> Iterator[None]:
    yield
    sweep_groups()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_db(
    request: pytest.FixtureRequest,
    migrated_sqlite: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Database]:
    """A fresh, migrated database of each kind, made once for a module whose tests only read
    it (in read sessions, which roll back): a PostgreSQL schema takes seconds to migrate."""
    folder = tmp_path_factory.mktemp("module")
    with fresh_database(request.param, migrated_sqlite, folder) as database:
        yield database
