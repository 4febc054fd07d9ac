"""Fresh, migrated databases for tests and benchmarks (SQLite files, PostgreSQL schemas)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from storage import security
from storage.engine import Database, make_database, normalise_url
from storage.migrate import upgrade


def fresh_sqlite(directory: Path, revision: str = "head", name: str = "caredesk.db") -> Database:
    """A new SQLite database file `name` in `directory`, migrated to `revision`."""
    path = directory / name
    if path.exists():
        raise FileExistsError(f"{path} exists: a fresh database needs a new file name")
    db = make_database(f"sqlite:///{path}")
    upgrade(db.read, revision)
    return db


@contextmanager
def fresh_postgres_schema(server_url: str, revision: str = "head") -> Iterator[Database]:
    """A new schema on the PostgreSQL server, migrated to `revision`; dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = normalise_url(server_url).update_query_dict({"options": f"-csearch_path={schema}"})
    db = make_database(url)
    prefix = None
    try:
        upgrade(db.read, revision)
        with db.read.connect() as conn:
            prefix = security.stored_prefix(conn)
        yield db
    finally:
        db.dispose()
        with admin.connect() as conn:
            # The schema's group roles are cluster-wide: drop them too, and first. Once the
            # schema is gone they are orphans, which a sweep by a test running beside this
            # one may drop between our check and our drop.
            if prefix is not None:
                security.drop_groups(conn, prefix)
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
