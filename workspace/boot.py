"""Starting a session: each kind opens the database with its own steps, and only those.

The agent's workspace migrates the schema, fills an empty database with demo data and finds
the agent; a read-only viewer opens the database read-only and changes nothing, not even
the schema.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from storage.engine import Database, Reader, UnsupportedDatabase
from storage.logins import refusal, usable_schema
from storage.migrate import current_revision, head_revision, is_known, upgrade
from workspace.errors import CareDeskError
from workspace.policy import Policy
from workspace.policy_store import effective_policy
from workspace.reading import Reading
from workspace.timefmt import utcnow

if TYPE_CHECKING:
    from workspace.context import CustomerContext
    from workspace.demo import DemoSummary
    from workspace.queue import QueueFilter, QueueRow
    from workspace.workbench import Workbench

FIRST_ROWS = 160
"""Queue rows read in the boot: a page and a tall terminal's screenful."""


@dataclass(frozen=True)
class FirstLook:
    """The queue's first rows and the first contact's customer, read in the boot so the
    workspace's first frame shows them: read after the frame, one worker waiting on another,
    they came a third of a second later."""

    flt: QueueFilter
    """The view they were read for (the queue's own at start)."""
    total: int
    """How many contacts the view holds."""
    rows: list[QueueRow]
    """Its first rows, with who else has each open."""
    context: CustomerContext | None
    """The first row's customer, if there is a row."""


def first_look(bench: Workbench) -> FirstLook:
    """What the workspace shows first, read in one go."""
    from workspace.queue import QueueFilter, seen_by

    flt = QueueFilter()
    reading = bench.reading
    total = reading.queue_count(flt)
    rows = reading.queue_page(flt, offset=0, limit=FIRST_ROWS)
    rows = seen_by(rows, bench.presence.viewers(row.id for row in rows))
    context = reading.customer_context(rows[0].customer_id, rows[0]) if rows else None
    return FirstLook(flt, total, rows, context)


_Opened = TypeVar("_Opened", bound=Reader)


class DatabaseUnavailable(CareDeskError):
    """The database could not be opened, migrated or read."""


@dataclass(frozen=True)
class BootResult:
    """What opening the workspace produced."""

    bench: Workbench
    """The agent's use cases on the database."""
    demo: DemoSummary | None
    """What was generated, when an empty database was just filled with demo data."""
    upgraded_from: str | None
    """The schema revision the database was upgraded from, if it was upgraded."""
    notice: str | None = None
    """What to tell the agent once: why they work as whom they do, when it was chosen for
    them (their user or login is not an agent of this database)."""
    first: FirstLook | None = None
    """The queue's first rows and customer, when the boot read them."""


def migrate(db: Database) -> str | None:
    """Bring the schema to the newest revision; returns the old revision when it moved."""
    if not db.is_sqlite:
        login, schema = usable_schema(db.read)
        if schema is None:
            raise DatabaseUnavailable(
                f"the database login {login!r} can use no schema of {db.safe_url}: it is in "
                "none of CareDesk's groups there (an administrator adds people with "
                "`caredesk agent add`), or the schema on its search path does not exist"
            )
    before = current_revision(db.read)
    if before is not None and not is_known(before):
        raise DatabaseUnavailable(
            f"the database schema {before} is newer than this CareDesk knows "
            f"({head_revision()}): upgrade CareDesk"
        )
    if before != head_revision():
        try:
            upgrade(db.read)
        except DBAPIError as error:
            if refusal(error) is None:
                raise
            raise DatabaseUnavailable(
                f"the database schema is {before or 'empty'} and this CareDesk needs "
                f"{head_revision()}, but your login may not upgrade it: the database's owner "
                "runs `caredesk db upgrade`"
            ) from None
        return before or "empty"
    return None


def open_database(factory: Callable[[], _Opened]) -> _Opened:
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
    lapse_after: timedelta | None = None,
) -> BootResult:
    """Everything the workspace needs before its first query; runs in a worker.
    `lapse_after` is how long a silent workspace keeps its holds (default the team's).

    A database that cannot be used (unreachable server, unwritable file, bad URL) raises
    DatabaseUnavailable with the reason in one line.
    """
    try:
        return _open(
            db,
            agent_name,
            fill_demo=fill_demo,
            clock=clock,
            policy=policy,
            lapse_after=lapse_after,
        )
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
    lapse_after: timedelta | None = None,
) -> BootResult:
    upgraded = migrate(db)
    demo = None
    # The agent's own steps: a read-only viewer (the monitor) never loads them.
    from storage.bulk import is_empty
    from workspace.agents import sign_in
    from workspace.workbench import Workbench

    if fill_demo and is_empty(db):
        from workspace.demo import DemoDatabaseNotEmpty, build_demo  # only for a new database

        try:
            demo = build_demo(db, now=clock())
        except DemoDatabaseNotEmpty:
            demo = None  # another workspace filled it first: use what it made
    identity = sign_in(db, agent_name)
    # Every audit entry is sealed: a workspace without the team's key is told before it
    # works, not at its first reply (`workspace.audit_seal`).
    from workspace.audit_seal import key_for

    key_for(db.write)
    policy = effective_policy(db, policy)  # the team's installed policy, where there is one
    bench = Workbench.open(db, identity.agent, policy, clock, lapse_after)
    return BootResult(
        bench=bench,
        demo=demo,
        upgraded_from=upgraded,
        notice=identity.notice,
        first=first_look(bench),
    )


def open_viewer(
    reader: Reader, *, clock: Callable[[], datetime] = utcnow, policy: Policy | None = None
) -> Reading:
    """Reading for a read-only viewer: the schema must already be current (a viewer never
    migrates), and nothing is written, not even a mark of who looked."""
    try:
        revision = current_revision(reader.read)
        if revision != head_revision():
            now = f"schema {revision}" if revision else "no CareDesk schema"
            raise DatabaseUnavailable(
                f"{reader.safe_url} has {now}; this CareDesk reads {head_revision()}: "
                "run `caredesk db upgrade` first"
            )
        currency = effective_policy(reader, policy).currency
    except (OperationalError, ArgumentError, UnsupportedDatabase, OSError) as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        where = reader.safe_url
        raise DatabaseUnavailable(f"cannot read the database {where}: {reason}") from error
    return Reading(reader, currency, clock)
