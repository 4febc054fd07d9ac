"""PostgreSQL roles made by tests, dropped by tests.

Roles are cluster-wide: every schema migrated to 0007 gets group roles of its own (see
storage/security.py), which outlive the schema. `sweep_groups` drops those whose schema is
gone; the test folders that make PostgreSQL schemas run it after every test.
"""

from __future__ import annotations

from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import DBAPIError

from storage.engine import normalise_url
from storage.security import drop_orphan_groups
from tests.conftest import PG_URL, postgres_unavailable

_engine: list[Engine] = []


def sweep_groups() -> None:
    """Drop the group roles of test schemas already dropped (nothing without a server)."""
    if postgres_unavailable() is not None:
        return
    if not _engine:
        _engine.append(create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT"))
    try:
        with _engine[0].connect() as conn:
            drop_orphan_groups(conn)
    except DBAPIError:
        pass  # another test run swept the same roles first; the next sweep finishes
