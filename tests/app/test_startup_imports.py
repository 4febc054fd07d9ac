"""The first frame never waits on the database stack: importing the app loads none of it."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "yaml", "psycopg", "httpx")


def test_importing_the_app_does_not_import_the_database_stack() -> None:
    script = (
        "import sys, workspace.app, workspace.cli\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
