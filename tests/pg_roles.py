"""PostgreSQL roles made by tests, dropped by tests.

Roles are cluster-wide: every schema migrated to 0007 gets group roles of its own (see
storage/security.py), which outlive the schema. `sweep_groups` drops those whose schema is
gone; the test folders that make PostgreSQL schemas run it after every test. `server`
gives a test a schema and logins of its own, and drops them all when it ends.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from storage.engine import Database, make_database, normalise_url
from storage.security import drop_groups, drop_orphan_groups, group, stored_prefix
from storage.testing import fresh_postgres_schema
from tests.conftest import PG_URL, postgres_unavailable, require_postgres
from workspace.agents import AgentRecord
from workspace.team import Team

_engine: list[Engine] = []


def sweep_groups() -> None:
    """Drop the group roles of test schemas already dropped (nothing without a server)."""
    if postgres_unavailable() is not None:
        return
    if not _engine:
        _engine.append(create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT"))
    with suppress(DBAPIError), _engine[0].connect() as conn:
        drop_orphan_groups(conn)  # another run may sweep the same roles first


def _drop_login(conn: Connection, name: str) -> None:
    """Drop a test's login; tried again once, since a sweep by another run changing the
    shared role catalogue at the same moment can make PostgreSQL refuse the first try."""
    for attempt in range(2):
        try:
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{name}"')
            return
        except DBAPIError:
            if attempt:
                raise
            time.sleep(0.2)


class Server:
    """A fresh PostgreSQL schema (migrated, so with its own groups) and the login roles a
    test makes on it, each named `cd<tag>_<word>` so no two tests (or runs) share one."""

    def __init__(self, db: Database) -> None:
        self.db = db
        """The schema, as its owner (the test server's superuser)."""
        with db.read.connect() as conn:
            prefix = stored_prefix(conn)
        assert prefix is not None
        self.prefix = prefix
        self.tag = uuid.uuid4().hex[:8]
        self.made: list[str] = []
        self.opened: list[Database] = []

    def name(self, word: str) -> str:
        """The unique login name of `word` in this test."""
        return f"cd{self.tag}_{word}"

    def group(self, word: str) -> str:
        """The schema's group role of `word` (a role, `monitor` or `admin`)."""
        return group(self.prefix, word)

    def agent(self, word: str, role: str) -> AgentRecord:
        """An agent added the way an administrator adds one, with a login in its group."""
        name = self.name(word)
        self.made.append(name)
        return Team(self.db).add(name, word.title(), role).agent

    def login(self, word: str, *groups: str) -> str:
        """A login that is no agent, in the schema's `groups` (e.g. `monitor`, `admin`)."""
        name = self.name(word)
        self.made.append(name)
        with self.db.write.begin() as conn:
            conn.exec_driver_sql(f'CREATE ROLE "{name}" LOGIN')
            for word_ in groups:
                conn.exec_driver_sql(f'GRANT "{self.group(word_)}" TO "{name}"')
        return name

    def url(self, login: str) -> str:
        """The schema's URL, logging in as `login` (the server trusts local logins)."""
        return make_url(self.db.url).set(username=login).render_as_string(hide_password=False)

    def open(self, login: str) -> Database:
        """The schema opened by `login`, closed when the test ends."""
        db = make_database(self.url(login))
        self.opened.append(db)
        return db


@contextmanager
def server() -> Iterator[Server]:
    """A `Server`; afterwards its schema, its groups and every login it made are dropped."""
    require_postgres()
    made: Server | None = None
    try:
        with fresh_postgres_schema(PG_URL) as db:
            made = Server(db)
            try:
                yield made
            finally:
                for opened in made.opened:
                    opened.dispose()
    finally:
        if made is not None:
            admin = create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                # Logins first: another test run's sweep may drop the groups under our feet.
                for name in made.made:
                    _drop_login(conn, name)
                with suppress(DBAPIError):  # swept meanwhile by another run: nothing left
                    drop_groups(conn, made.prefix)
            admin.dispose()
