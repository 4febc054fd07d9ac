"""CPU time of a database's server process, where it can be read (a server on this machine).

Each connection of PostgreSQL is served by a process of its own (`pg_backend_pid()`);
Linux keeps what that process has used on the CPU in `/proc/<pid>`, readable by any user.
A connection used by one thread at a time stays on one server process, so the difference
between two readings is what the server spent on that connection's work.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import text

from storage.engine import Reader


def backend_pid(db: Reader) -> int | None:
    """The server process of the connection `db`'s pool hands out next (None on SQLite,
    which has no server)."""
    if db.is_sqlite:
        return None
    with db.read.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def backend_cpu_s(pid: int | None) -> float | None:
    """CPU seconds the server process `pid` has used, or None when it cannot be read here
    (no pid, not Linux, or a server on another machine)."""
    if pid is None:
        return None
    proc = Path(f"/proc/{pid}")
    try:
        if not proc.joinpath("cmdline").read_bytes().startswith(b"postgres"):
            return None  # some other process of this machine: the server is elsewhere
        try:  # nanoseconds on the CPU, where the kernel keeps them
            return int(proc.joinpath("schedstat").read_text().split()[0]) / 1e9
        except (OSError, ValueError, IndexError):
            fields = proc.joinpath("stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
