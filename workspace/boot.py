"""Opening a workspace: migrate the database, fill it on first run, and find the agent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.exc import ArgumentError, OperationalError

from storage.bulk import is_empty
from storage.engine import Database, UnsupportedDatabase
from storage.migrate import current_revision, head_revision, is_known, upgrade
from workspace.desk import Desk, resolve_agent
from workspace.errors import CareDeskError
from workspace.policy import Policy
from workspace.policy_store import effective_policy
from workspace.timefmt import utcnow

if TYPE_CHECKING:
    from workspace.demo import DemoSummary


class DatabaseUnavailable(CareDeskError):
    """The database could not be opened, migrated or read."""


@dataclass(frozen=True)
class BootResult:
    """What opening the workspace produced."""

    desk: Desk
    """The agent's desk on the database."""
    demo: DemoSummary | None
    """What was generated, when an empty database was just filled with demo data."""
    upgraded_from: str | None
    """The schema revision the database was upgraded from, if it was upgraded."""


def migrate(db: Database) -> str | None:
    """Bring the schema to the newest revision; returns the old revision when it moved."""
    before = current_revision(db.read)
    if before is not None and not is_known(before):
        raise DatabaseUnavailable(
            f"the database schema {before} is newer than this CareDesk knows "
            f"({head_revision()}): upgrade CareDesk"
        )
    if before != head_revision():
        upgrade(db.read)
        return before or "empty"
    return None


def open_database(factory: Callable[[], Database]) -> Database:
    """Build the database from `factory`, turning any reason it cannot be used into one line."""
    try:
        return factory()
    except (ArgumentError, UnsupportedDatabase, OSError) as error:
        raise DatabaseUnavailable(f"cannot use the database: {error}") from error


def open_workspace(
    db: Database,
    agent_name: str | None,
    *,
    fill_demo: bool = True,
    clock: Callable[[], datetime] = utcnow,
    policy: Policy | None = None,
) -> BootResult:
    """Everything the workspace needs before its first query; runs in a worker.

    A database that cannot be used (unreachable server, unwritable file, bad URL) raises
    DatabaseUnavailable with the reason in one line.
    """
    try:
        return _open(db, agent_name, fill_demo=fill_demo, clock=clock, policy=policy)
    except (OperationalError, ArgumentError, UnsupportedDatabase, OSError) as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise DatabaseUnavailable(f"cannot use the database {db.safe_url}: {reason}") from error


def _open(
    db: Database,
    agent_name: str | None,
    *,
    fill_demo: bool,
    clock: Callable[[], datetime],
    policy: Policy | None,
) -> BootResult:
    upgraded = migrate(db)
    demo = None
    if fill_demo and is_empty(db):
        from workspace.demo import DemoDatabaseNotEmpty, build_demo  # only for a new database

        try:
            demo = build_demo(db, now=clock())
        except DemoDatabaseNotEmpty:
            demo = None  # another workspace filled it first: use what it made
    agent = resolve_agent(db, agent_name)
    policy = effective_policy(db, policy)  # the team's installed policy, where there is one
    return BootResult(desk=Desk(db, agent, clock, policy), demo=demo, upgraded_from=upgraded)
