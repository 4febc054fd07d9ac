"""Units of work: one session, one transaction, committed once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, literal, select, text
from sqlmodel import Session

from storage.engine import Database, Reader


@contextmanager
def unit_of_work(db: Database) -> Iterator[Session]:
    """A write transaction: commits when the block ends, rolls back if it raises.

    On SQLite it starts with BEGIN IMMEDIATE, so a read-then-write cannot fail with
    SQLITE_BUSY half-way; on PostgreSQL it runs at READ COMMITTED and the writers lock
    the rows they decide on.
    """
    with Session(db.write, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def one_statement(db: Database) -> Iterator[Connection]:
    """A connection whose every statement commits as it runs (PostgreSQL's autocommit):
    for a change made in one statement, with no BEGIN or COMMIT round trip, so the locks it
    takes are held only while it runs and commits."""
    with db.write.connect() as connection:
        yield connection.execution_options(isolation_level="AUTOCOMMIT")


@contextmanager
def read_session(db: Reader) -> Iterator[Session]:
    """A read-only session for queries; nothing it does is committed."""
    with Session(db.read) as session:
        try:
            yield session
        finally:
            session.rollback()


@contextmanager
def snapshot_session(db: Reader) -> Iterator[Session]:
    """A read-only session that sees the database as of one moment, for a reading that
    must agree with itself across many queries (verifying the audit log): on PostgreSQL a
    REPEATABLE READ transaction, where READ COMMITTED gives each query its own; SQLite's
    reader keeps one snapshot from its first read anyway."""
    with read_session(db) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        yield session


AUDIT_LOCK_KEY = 7317001
"""The PostgreSQL advisory lock that serialises appends to the audit chain."""
_AUDIT_LOCK = text(f"SELECT pg_advisory_xact_lock({AUDIT_LOCK_KEY})")


def lock_for_audit(session: Session) -> None:
    """Serialise appends to the audit chain (PostgreSQL; SQLite's IMMEDIATE already does)."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(_AUDIT_LOCK)


def ping(db: Reader) -> None:
    """One trivial round trip: raises when the database cannot be reached. A database opened
    for work is asked for its write lock too (SQLite's BEGIN IMMEDIATE), so a file another
    program keeps locked for writing is not taken for back while reads already answer."""
    if isinstance(db, Database):
        with unit_of_work(db) as session:
            session.execute(select(literal(1))).scalar_one()
        return
    with read_session(db) as session:
        session.execute(select(literal(1))).scalar_one()
