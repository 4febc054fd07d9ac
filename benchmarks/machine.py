"""The machine the figures were taken on: CPU, cores, memory, OS, Python, database server."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

from sqlalchemy import text

from storage.engine import Database


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")  # Linux; elsewhere platform's answer below
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _ram_gb() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


def database_version(db: Database) -> str:
    """The database engine and its version, as the server reports it."""
    with db.read.connect() as conn:
        if db.is_sqlite:
            return "SQLite " + str(conn.execute(text("SELECT sqlite_version()")).scalar_one())
        return "PostgreSQL " + str(conn.execute(text("SHOW server_version")).scalar_one())


def describe_machine(db: Database) -> dict[str, Any]:
    """CPU model, cores, RAM (GiB), OS, Python and the database server's version."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gb": _ram_gb(),
        "os": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "database": database_version(db),
    }
