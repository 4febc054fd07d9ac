"""The database as the monitor opens it, for tests: read-only, with no engine that writes.

On PostgreSQL the monitor logs in as a login of the schema's `monitor` group whose search
path is set on the role, as a team would set one up: the test schemas' URLs name their
schema in `options`, which the read-only engine's own options replace.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote

from sqlalchemy.engine import make_url

from storage.engine import Database, Reader, make_reader
from storage.security import MONITOR, group, stored_prefix


def _schema(db: Database) -> str:
    options = unquote(str(make_url(db.url).query.get("options", "")))
    assert options.startswith("-csearch_path="), options
    return options.removeprefix("-csearch_path=")


@contextmanager
def monitor_reader(db: Database) -> Iterator[Reader]:
    """`db` opened as `caredesk monitor` opens it; on PostgreSQL as a monitor login, dropped
    afterwards."""
    if db.is_sqlite:
        reader = make_reader(db.url)
        try:
            yield reader
        finally:
            reader.dispose()
        return
    name = f"cdmon{uuid.uuid4().hex[:8]}"
    with db.write.begin() as conn:
        prefix = stored_prefix(conn)
        assert prefix is not None
        conn.exec_driver_sql(f'CREATE ROLE "{name}" LOGIN')
        conn.exec_driver_sql(f'GRANT "{group(prefix, MONITOR)}" TO "{name}"')
        conn.exec_driver_sql(f'ALTER ROLE "{name}" SET search_path = "{_schema(db)}"')
    url = make_url(db.url).set(username=name, query={})
    reader = make_reader(url)
    try:
        yield reader
    finally:
        reader.dispose()
        with db.write.begin() as conn:
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{name}"')
