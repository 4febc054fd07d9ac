"""Where benchmark sets live: a SQLite file in the cache, or a database per size on a server.

A built set is reused by later runs, so anything that writes (claims, heartbeats, the live
feed, imports) runs on a copy or a scratch database made here and dropped afterwards. The
build's own figures are kept with the set: a JSON file beside the SQLite file, the
database's COMMENT on PostgreSQL.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from storage.engine import normalise_url

_NAME = re.compile(r"^[a-z0-9_]{1,60}$")


def default_cache() -> Path:
    """The user's cache directory for built sets (`~/.cache/caredesk-bench` on Linux)."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("caredesk-bench", appauthor=False))


class SqliteStore:
    """A set in one SQLite file; its build record in `<file>.json` beside it."""

    backend = "sqlite"

    def __init__(self, path: Path, *, owned: bool = True) -> None:
        self.path = path
        self.owned = owned
        """Whether the file is the benchmark's own (in its cache), to replace at will."""
        self.key = f"sqlite-{path.stem}"
        """Names this set's cached files (import file, results)."""

    @property
    def url(self) -> str:
        """The set's database URL."""
        return f"sqlite:///{self.path}"

    @property
    def safe_url(self) -> str:
        """The URL, for messages."""
        return self.url

    @property
    def _meta_path(self) -> Path:
        return self.path.with_name(self.path.name + ".json")

    def exists(self) -> bool:
        """Whether the set's file is there."""
        return self.path.exists()

    def create_empty(self) -> None:
        """Remove any old set (and its record), leaving room for a new file."""
        for suffix in ("", "-wal", "-shm", "-journal", ".json"):
            self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def read_meta(self) -> dict[str, Any] | None:
        """The build record, or None when the set was never finished."""
        try:
            meta = json.loads(self._meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return meta if isinstance(meta, dict) else None

    def write_meta(self, meta: dict[str, Any]) -> None:
        """Record the build; written last, so an interrupted build is never reused."""
        partial = self._meta_path.with_suffix(".partial")
        partial.write_text(json.dumps(meta, indent=2), encoding="utf-8")
        partial.replace(self._meta_path)

    @contextmanager
    def scratch(self) -> Iterator[str]:
        """A new, empty database beside the set (same disk), removed afterwards."""
        directory = Path(tempfile.mkdtemp(prefix="scratch-", dir=self.path.parent))
        try:
            yield f"sqlite:///{directory / 'scratch.db'}"
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    @contextmanager
    def copy(self) -> Iterator[str]:
        """A copy of the set beside it (SQLite's online backup, and its audit key), removed
        afterwards."""
        directory = Path(tempfile.mkdtemp(prefix="copy-", dir=self.path.parent))
        try:
            target = directory / self.path.name
            source = sqlite3.connect(self.path)
            copied = sqlite3.connect(target)
            try:
                source.backup(copied)
            finally:
                copied.close()
                source.close()
            key = self.path.with_name(self.path.name + ".key")
            if key.exists():  # the set's audit key goes with it: its entries are sealed
                shutil.copy2(key, target.with_name(target.name + ".key"))
            yield f"sqlite:///{target}"
        finally:
            shutil.rmtree(directory, ignore_errors=True)


class PostgresStore:
    """A set in its own database (`caredesk_bench_<size>`) on a PostgreSQL server.

    The server is reached through the URL's own database (the admin connection), where
    the set's database is created if missing.
    """

    backend = "postgresql"
    owned = True  # the database's name is the benchmark's own

    def __init__(self, server_url: str, name: str) -> None:
        if not _NAME.match(name):
            raise ValueError(f"{name!r} is not a plain database name")
        self.server = normalise_url(server_url)
        self.name = name
        self.key = f"pg-{name}"
        """Names this set's cached files (import file, results)."""

    def _url_of(self, database: str) -> str:
        return self.server.set(database=database).render_as_string(hide_password=False)

    @property
    def url(self) -> str:
        """The set's database URL."""
        return self._url_of(self.name)

    @property
    def safe_url(self) -> str:
        """The URL with any password hidden, for messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    @contextmanager
    def _admin(self) -> Iterator[Engine]:
        engine = create_engine(self.server, isolation_level="AUTOCOMMIT")
        try:
            yield engine
        finally:
            engine.dispose()

    def _database_exists(self, admin: Engine, name: str) -> bool:
        with admin.connect() as conn:
            found = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).first()
        return found is not None

    def exists(self) -> bool:
        """Whether the set's database is on the server."""
        with self._admin() as admin:
            return self._database_exists(admin, self.name)

    def create_empty(self) -> None:
        """Drop any old set and create its database afresh."""
        with self._admin() as admin, admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))

    def read_meta(self) -> dict[str, Any] | None:
        """The build record kept in the database's COMMENT, or None."""
        with self._admin() as admin, admin.connect() as conn:
            comment = conn.execute(
                text(
                    "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                    "WHERE datname = :n"
                ),
                {"n": self.name},
            ).scalar()
        try:
            meta = json.loads(comment) if comment else None
        except ValueError:
            return None
        return meta if isinstance(meta, dict) else None

    def write_meta(self, meta: dict[str, Any]) -> None:
        """Keep the build record as the database's COMMENT (set last, as on SQLite)."""
        with self._admin() as admin, admin.connect() as conn:
            literal = conn.execute(text("SELECT quote_literal(:s)"), {"s": json.dumps(meta)})
            conn.execute(text(f'COMMENT ON DATABASE "{self.name}" IS {literal.scalar_one()}'))

    @contextmanager
    def _temporary(self, template: str | None) -> Iterator[str]:
        name = f"caredesk_bench_tmp_{uuid.uuid4().hex[:10]}"
        with self._admin() as admin:
            with admin.connect() as conn:
                if template is None:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
                else:
                    version = int(conn.execute(text("SHOW server_version_num")).scalar_one())
                    # FILE_COPY copies the files at once; WAL_LOG (15's default) is far slower.
                    strategy = " STRATEGY = FILE_COPY" if version >= 150000 else ""
                    conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"{strategy}'))
            try:
                yield self._url_of(name)
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    @contextmanager
    def scratch(self) -> Iterator[str]:
        """A new, empty database on the server, dropped afterwards."""
        with self._temporary(None) as url:
            yield url

    @contextmanager
    def copy(self) -> Iterator[str]:
        """A copy of the set (CREATE DATABASE ... TEMPLATE), dropped afterwards.

        Nothing may be connected to the set while it is copied.
        """
        with self._temporary(self.name) as url:
            yield url


Store = SqliteStore | PostgresStore


def open_store(db_url: str | None, size: str, cache: Path) -> Store:
    """The store for `size`: a file in `cache` by default, the file a SQLite URL names, or
    `caredesk_bench_<size>` on the server a PostgreSQL URL names."""
    if db_url is None:
        return SqliteStore(cache / f"{size}.db")
    parsed = normalise_url(db_url)
    if parsed.get_backend_name() == "sqlite":
        assert parsed.database is not None  # normalise_url refuses a file-less SQLite URL
        return SqliteStore(Path(parsed.database).expanduser().resolve(), owned=False)
    return PostgresStore(db_url, f"caredesk_bench_{size}")
