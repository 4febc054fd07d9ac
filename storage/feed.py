"""Waiting for other processes' commits without polling the tables.

A `Watch` holds one connection of its own and wakes when another connection may have
committed a change: on PostgreSQL it LISTENs on the change channel (a NOTIFY sent in a
transaction is delivered when it commits); on SQLite it asks the file's change counter,
`PRAGMA data_version`, which moves whenever another connection commits and costs no read
of any table. What changed is then read from the change log (`storage.changes`).
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from storage.changes import CHANNEL

#: Seconds between looks at SQLite's change counter.
SQLITE_POLL = 0.02


class Watch:
    """One connection that waits for commits; not thread-safe (one worker owns it)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._raw: Any = None
        self._version: int | None = None

    @property
    def is_sqlite(self) -> bool:
        return self._engine.dialect.name == "sqlite"

    def _connect(self) -> Any:
        if self._raw is None:
            pooled = self._engine.raw_connection()
            raw: Any = pooled.driver_connection
            pooled.detach()  # ours alone, closed by `close`, never handed back to the pool
            if self.is_sqlite:
                self._version = int(raw.execute("PRAGMA data_version").fetchone()[0])
            else:
                raw.rollback()
                raw.autocommit = True
                raw.execute(f"LISTEN {CHANNEL}")
            self._raw = raw
        return self._raw

    def start(self) -> None:
        """Connect and begin listening (changes committed from now on wake `wait`)."""
        self._connect()

    def wait(self, timeout: float) -> bool:
        """Block until a commit may have changed something (True) or `timeout` passes
        (False). Raises the driver's error when the database goes away; the next call
        connects again."""
        dbapi_error = self._engine.dialect.loaded_dbapi.Error
        try:
            raw = self._connect()
            if self.is_sqlite:
                return self._wait_sqlite(raw, timeout)
            woke = False
            for _ in raw.notifies(timeout=timeout, stop_after=1):
                woke = True
            return woke
        except dbapi_error as error:
            self.close()
            # Said as SQLAlchemy says it for every other query, so callers see one kind.
            raise OperationalError("LISTEN", None, error) from error
        except BaseException:
            self.close()
            raise

    def _wait_sqlite(self, raw: Any, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            version = int(raw.execute("PRAGMA data_version").fetchone()[0])
            if version != self._version:
                self._version = version
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(SQLITE_POLL, left))

    def close(self) -> None:
        """Stop listening and close the connection."""
        raw, self._raw = self._raw, None
        if raw is not None:
            # A connection the server already dropped may fail to close in any driver's way.
            with contextlib.suppress(Exception):
                raw.close()
