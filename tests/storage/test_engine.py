"""Pooled PostgreSQL connections: checked before use only after they lay idle."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

import storage.engine
from storage.engine import Database
from storage.uow import read_session

_PID = text("SELECT pg_backend_pid()")


def _pid(db: Database) -> int:
    with read_session(db) as s:
        return int(s.execute(_PID).scalar_one())


def _kill(db: Database, pid: int) -> None:
    # A second engine on the same server ends the pooled connection behind the pool's back.
    other = create_engine(db.read.url, isolation_level="AUTOCOMMIT")
    try:
        with other.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        other.dispose()


def test_an_idle_connection_that_died_is_replaced_unseen(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _pid(pg_db)
    _kill(pg_db, first)
    monkeypatch.setattr(storage.engine, "PING_AFTER", 0.0)  # it has lain idle long enough
    assert _pid(pg_db) != first


def test_a_connection_used_a_moment_ago_is_not_pinged_again(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without the ping a dead connection fails the caller's statement, as a server that
    # goes away mid-transaction would: proof that no round trip was spent on it.
    monkeypatch.setattr(storage.engine, "PING_AFTER", 3600.0)
    first = _pid(pg_db)
    _kill(pg_db, first)
    with pytest.raises(OperationalError):
        _pid(pg_db)
    assert _pid(pg_db) != first  # the pool threw the dead one away


def test_a_reader_keeps_the_urls_own_options_and_cannot_write(pg_db: Database) -> None:
    """A URL naming its schema in `options` (as the tests' and a team's may) is read in that
    schema by a reader too, and every transaction of the reader is read-only."""
    from storage.engine import make_reader
    from storage.models import Agent

    with pg_db.write.begin() as conn:
        conn.execute(
            Agent.__table__.insert().values(name="hana", display_name="Hana", role="agent")
        )  # type: ignore[attr-defined]
    reader = make_reader(pg_db.url)
    try:
        with reader.read.connect() as conn:
            names = conn.execute(text("SELECT name FROM agent")).scalars().all()
            assert names == ["hana"]
            assert conn.execute(text("SHOW default_transaction_read_only")).scalar_one() == "on"
        with pytest.raises(Exception, match="read-only transaction"), reader.read.begin() as conn:
            conn.execute(text("DELETE FROM agent"))
    finally:
        reader.dispose()
