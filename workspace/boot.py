"""Opening a workspace: migrate the database, fill it on first run, and find the agent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from storage.bulk import is_empty
from storage.engine import Database
from storage.migrate import current_revision, head_revision, upgrade
from workspace.demo import DemoSummary, build_demo
from workspace.desk import Desk, resolve_agent, utcnow


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
    if before != head_revision():
        upgrade(db.read)
        return before or "empty"
    return None


def open_workspace(
    db: Database,
    agent_name: str | None,
    *,
    fill_demo: bool = True,
    clock: Callable[[], datetime] = utcnow,
) -> BootResult:
    """Everything the workspace needs before its first query; runs in a worker."""
    upgraded = migrate(db)
    demo = None
    if fill_demo and is_empty(db):
        demo = build_demo(db, now=clock())
    agent = resolve_agent(db, agent_name)
    return BootResult(desk=Desk(db, agent, clock), demo=demo, upgraded_from=upgraded)
