"""The PostgreSQL group roles a test's schema left behind are dropped after the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pg_roles import sweep_groups


@pytest.fixture(autouse=True)
def _drop_left_groups() -> Iterator[None]:
    yield
    sweep_groups()
