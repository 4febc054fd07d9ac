"""Fresh, migrated databases for tests and benchmarks (SQLite files, PostgreSQL schemas)."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.exc import DBAPIError

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


def sqlite_template(directory: Path, revision: str = "head") -> Path:
    """A SQLite file in `directory` migrated to `revision`, to copy for each test: running
    the migrations takes most of a second, copying their result a millisecond."""
    fresh_sqlite(directory, revision, name="template.db").dispose()
    path = directory / "template.db"
    with closing(sqlite3.connect(path)) as conn:  # fold the WAL in: one file is the copy
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def copied_sqlite(template: Path, directory: Path, name: str = "caredesk.db") -> Database:
    """A new SQLite database file `name` in `directory`, a copy of a migrated `template`
    (see `sqlite_template`): the same database `fresh_sqlite` would make."""
    path = directory / name
    if path.exists():
        raise FileExistsError(f"{path} exists: a fresh database needs a new file name")
    shutil.copyfile(template, path)
    return make_database(f"sqlite:///{path}")


#: Schemas made (in this process) between two cleanings of the server's catalogue.
VACUUM_EVERY = 60

#: Schemas made so far in this process; the first one cleans too.
_made = [0]

#: The system catalogues every schema made and dropped leaves dead rows in.
_CATALOGUES = (
    "pg_class",
    "pg_attribute",
    "pg_type",
    "pg_depend",
    "pg_shdepend",
    "pg_index",
    "pg_constraint",
    "pg_attrdef",
    "pg_namespace",
    "pg_proc",
    "pg_trigger",
    "pg_description",
    "pg_shdescription",
    "pg_authid",
    "pg_auth_members",
    "pg_statistic",
)


def _clean_catalogues(admin: Engine) -> None:
    """VACUUM ANALYZE the system catalogues. A test run makes and drops thousands of
    schemas, and autovacuum falls behind on the catalogues: each schema's migration then
    took 2.7 s instead of 0.2 s. Only the server's superuser may; anyone else skips it."""
    with admin.connect() as conn:
        for name in _CATALOGUES:
            try:
                conn.exec_driver_sql(f"VACUUM ANALYZE pg_catalog.{name}")
            except DBAPIError:
                return


@contextmanager
def fresh_postgres_schema(server_url: str, revision: str = "head") -> Iterator[Database]:
    """A new schema on the PostgreSQL server, migrated to `revision`; dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(server_url), isolation_level="AUTOCOMMIT")
    if _made[0] % VACUUM_EVERY == 0:
        _clean_catalogues(admin)
    _made[0] += 1
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


def file_digest(path: Path) -> str:
    """A SQLite file's bytes, hashed, once its write-ahead log is checkpointed into it."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def table_sums(db: Database) -> dict[str, tuple[object, ...]]:
    """Each PostgreSQL table's row count and a checksum of its rows in order: what a
    read-only visitor must leave as it found it."""
    with db.read.connect() as conn:
        tables = inspect(conn).get_table_names()
        return {
            t: tuple(
                conn.execute(
                    text(
                        f"SELECT count(*), coalesce(md5(string_agg(t::text, ',' "
                        f"ORDER BY t::text)), '') FROM \"{t}\" t"
                    )
                ).one()
            )
            for t in tables
        }
