"""Schema migrations: every database is brought to the newest schema, never recreated.

Alembic is imported only when a migration has to run: opening a database that is already
at `HEAD` reads its revision with one query.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"

#: The newest revision in `migrations/versions` (a test keeps the two in step).
HEAD = "0021"


def alembic_config() -> Config:
    """The Alembic configuration, built in code (CareDesk ships no alembic.ini)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest schema revision this version of CareDesk knows."""
    return HEAD


def script_head() -> str | None:
    """The head revision as Alembic finds it in the migration scripts."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at, or None when it is empty."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
        return str(row[0]) if row else None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision` (the newest by default), keeping all data."""
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def is_known(revision: str) -> bool:
    """Whether this version of CareDesk knows `revision` (False for a newer database)."""
    if revision == HEAD:
        return True
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return revision in {r.revision for r in script.walk_revisions()}
