"""The benchmark sets: their shape, and building one or reusing the one already built.

A set is reused when its build record matches what would be built now (the same arguments
to `build_demo`) and the database still holds the rows it recorded. Building is timed
(`build_demo` alone, schema creation excluded); that figure is stored with the set and
reported by every later run that reuses it.
"""

from __future__ import annotations

import inspect
import json
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import desc, func, select, text, true
from sqlmodel import SQLModel, col

from benchmarks.common import BenchmarkError, say
from benchmarks.stores import Store
from storage.engine import Database, make_database
from storage.models import Interaction, Ticket

#: The contact the benchmark gives the heavy customer when the demo gave them none open.
HEAVY_CONTACT = "T-BENCH-HEAVY"


@dataclass(frozen=True)
class SetSpec:
    """The shape of one benchmark set, and how much of it the measurements use."""

    name: str
    """`demo`, `large`, or a name of the caller's (tests use a tiny set)."""
    customers: int
    """Customers."""
    contacts: int
    """Open and pending contacts (the queue)."""
    interactions: int | None = None
    """Past interactions in all; None: the demo's own spread (about 25 a customer)."""
    agents: int | None = None
    """Agents; None: the demo team (passed only where `build_demo` takes it)."""
    heavy_interactions: int | None = None
    """One customer with this many interactions (passed only where `build_demo` takes it)."""
    seed: int = 7
    """The demo's random seed."""
    import_records: int | None = None
    """Records in the import file; None: the whole export of the set."""
    claim_contacts: int | None = None
    """Contacts the claim processes share out; None: every contact nobody holds."""

    def build_args(self) -> dict[str, int]:
        """The arguments to `build_demo`, leaving out those this version does not take."""
        from workspace.demo import build_demo

        params = inspect.signature(build_demo).parameters
        args = {"customers": self.customers, "contacts": self.contacts, "seed": self.seed}
        if self.interactions is not None:
            args["interactions"] = self.interactions
        for name, value in (
            ("agents", self.agents),
            ("heavy_interactions", self.heavy_interactions),
        ):
            if value is not None and name in params:
                args[name] = value
        return args


PRESETS: dict[str, SetSpec] = {
    # The set a first run builds: what one agent's desk looks like on day one.
    "demo": SetSpec("demo", customers=300, contacts=400),
    "large": SetSpec(
        "large",
        customers=100_000,
        contacts=50_000,
        interactions=2_000_000,
        agents=200,
        heavy_interactions=10_000,
        import_records=1_000_000,
        claim_contacts=10_000,
    ),
}


@dataclass(frozen=True)
class PreparedSet:
    """A set ready to measure, and what is known about it."""

    url: str
    """Its database URL."""
    reused: bool
    """Whether an earlier run built it."""
    counts: dict[str, int]
    """Rows per table."""
    build: dict[str, Any]
    """When and how it was built: arguments, seconds, records, records per second."""
    heavy_customer: str
    """The customer with the most interactions."""
    heavy_interactions: int
    """How many interactions they have."""
    heavy_contact: str
    """An open contact of theirs."""
    build_id: str
    """Changes with every build: names the files made from this build (the import file)."""


#: Tables any open workspace writes to (its session, the live feed's log): not the set's.
TRANSIENT = frozenset({"desk_session", "change"})


def count_rows(db: Database) -> dict[str, int]:
    """Rows in every table of the schema that holds the set (not the transient ones)."""
    import storage.models  # noqa: F401 - registers the tables

    with db.read.connect() as conn:
        return {
            name: int(conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one())
            for name in sorted(SQLModel.metadata.tables)
            if name not in TRANSIENT
        }


def heaviest_customer(db: Database) -> tuple[str, int]:
    """The customer with the most interactions, and how many (one query)."""
    n = func.count().label("n")
    stmt = (
        select(col(Interaction.customer_id), n)
        .group_by(col(Interaction.customer_id))
        .order_by(desc(n), col(Interaction.customer_id))
        .limit(1)
    )
    with db.read.connect() as conn:
        row = conn.execute(stmt).first()
    if row is None:
        raise BenchmarkError("the set has no interactions")
    return str(row[0]), int(row[1])


def open_contact_of(db: Database, customer_id: str) -> str | None:
    """One of the customer's open or pending contacts (the most urgent), if any."""
    stmt = (
        select(col(Ticket.id))
        .where(col(Ticket.customer_id) == customer_id, col(Ticket.active) == true())
        .order_by(col(Ticket.sla_due_at), col(Ticket.id))
        .limit(1)
    )
    with db.read.connect() as conn:
        found = conn.execute(stmt).scalar()
    return str(found) if found is not None else None


def give_open_contact(db: Database, customer_id: str) -> str:
    """Open a contact for the customer through the import format (a one-line file)."""
    from workspace.importer import import_file

    opened = (datetime.now(UTC) - timedelta(minutes=5)).replace(microsecond=0)
    line = {
        "type": "ticket",
        "id": HEAVY_CONTACT,
        "customer": customer_id,
        "channel": "email",
        "subject": "Where is my order? (benchmark contact)",
        "opened_at": opened.isoformat().replace("+00:00", "Z"),
        "priority": "normal",
        "status": "open",
    }
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "contact.jsonl"
        path.write_text(json.dumps(line) + "\n", encoding="utf-8")
        import_file(db, path)
    return HEAVY_CONTACT


def _build(store: Store, spec: SetSpec, args: dict[str, int]) -> dict[str, Any]:
    from storage.migrate import upgrade
    from workspace.cli.progress import shown
    from workspace.demo import build_demo

    say(f"building the {spec.name} set in {store.safe_url} ({args})")
    store.create_empty()
    db = make_database(store.url)
    try:
        upgrade(db.read)
        started = time.perf_counter()
        with shown() as progress:
            build_demo(db, progress=progress, **args)  # type: ignore[arg-type]
        seconds = time.perf_counter() - started
        if not db.is_sqlite:
            # What autovacuum does within minutes of a load, before anyone would measure a
            # floor at work: statistics for the planner, and visibility maps so the counts
            # read indexes alone. Not part of the build's time.
            with db.read.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM (ANALYZE)"))
        records = sum(count_rows(db).values())
        customer, interactions = heaviest_customer(db)
        contact = open_contact_of(db, customer) or give_open_contact(db, customer)
        meta = {
            "build_args": args,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "build_id": uuid.uuid4().hex[:12],
            "build_s": round(seconds, 3),
            "records": records,
            "demo_build_records_per_s": round(records / seconds, 1),
            "heavy_customer": customer,
            "heavy_interactions": interactions,
            "heavy_contact": contact,
            "counts": count_rows(db),
        }
    finally:
        db.dispose()
    store.write_meta(meta)
    say(f"built {records:,} records in {seconds:.1f} s")
    return meta


def prepare_set(store: Store, spec: SetSpec, *, rebuild: bool = False) -> PreparedSet:
    """Reuse the set built earlier for `spec`, or build it (again)."""
    from workspace.boot import migrate

    args = spec.build_args()
    meta = None if rebuild else store.read_meta()
    reused = False
    if meta is not None and meta.get("build_args") == args and store.exists():
        db = make_database(store.url)
        try:
            migrate(db)  # an older set gets the newest schema, as the workspace would give it
            reused = count_rows(db) == meta.get("counts")
        finally:
            db.dispose()
        if not reused:
            say(f"the {spec.name} set in {store.safe_url} changed since it was built")
    elif meta is None and store.exists() and not store.owned and not rebuild:
        raise BenchmarkError(
            f"{store.safe_url} exists but the benchmark did not build it: pass --rebuild to "
            "replace it, or name another database"
        )
    if reused:
        assert meta is not None
        say(f"reusing the {spec.name} set in {store.safe_url} (built {meta['built_at']})")
    else:
        meta = _build(store, spec, args)
    return PreparedSet(
        url=store.url,
        reused=reused,
        counts=dict(meta["counts"]),
        build={
            k: meta[k]
            for k in ("build_args", "built_at", "build_s", "records", "demo_build_records_per_s")
        },
        heavy_customer=str(meta["heavy_customer"]),
        heavy_interactions=int(meta["heavy_interactions"]),
        heavy_contact=str(meta["heavy_contact"]),
        build_id=str(meta["build_id"]),
    )
