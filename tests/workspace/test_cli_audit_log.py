"""`caredesk audit log`: entries written by real use cases, read back by agent, customer and
period, as lines safe for a terminal and as JSON Lines, on a read-only connection."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, text
from sqlmodel import Session

from storage import audit
from storage.audit import LogScope, append_audit
from storage.engine import Database
from storage.models import Agent
from storage.uow import read_session, unit_of_work
from tests.factories import NOW, add_agents, add_customer, add_order, add_ticket
from tests.hostile import INLINE_CASES, load_hostile_cases
from tests.storage import test_query_plans as plans
from tests.storage.test_query_plans import Case, Seed
from workspace.action_view import ActionRequest
from workspace.agents import AgentRecord
from workspace.audit_log import LogQuery, changes, read_log
from workspace.cli import main
from workspace.policy_file import default_policy
from workspace.workbench import Workbench

HOSTILE = INLINE_CASES + (load_hostile_cases() or [])


class Clock:
    """A clock the test moves on by hand."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now

    def tick(self, minutes: int = 10) -> None:
        self.now += timedelta(minutes=minutes)


def _run(capsys: pytest.CaptureFixture[str], db: Database, *argv: str) -> tuple[int, str, str]:
    code = main(["audit", "log", "--db", db.url, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _bench(db: Database, agent: AgentRecord, clock: Clock) -> Workbench:
    return Workbench.open(db, agent, default_policy(), clock=clock)


def _day(db: Database, reason: str = "late parcel") -> Clock:
    """A morning's work: alex claims Dana's contact and asks a discount over his limit,
    jordan denies it, then alex claims and releases Sam's contact."""
    add_customer(db, "C-1", "Dana Whitfield", "standard")
    add_customer(db, "C-2", "Sam Reyes", "standard")
    add_order(db, "W1", placed=NOW - timedelta(days=10), delivered=NOW - timedelta(days=5))
    add_ticket(db, "T-1", "C-1")
    add_ticket(db, "T-2", "C-2")
    alex, jordan = add_agents(db, "alex") + add_agents(db, "jordan", role="supervisor")
    clock = Clock()
    mine, theirs = _bench(db, alex, clock), _bench(db, jordan, clock)
    mine.desk.claim("T-1")
    clock.tick()
    asked = ActionRequest(
        kind="discount",
        customer_id="C-1",
        order_id="W1",
        amount="30",
        reason=reason,
        ticket_id="T-1",
    )
    record = mine.actions.take(asked).record
    assert record.status == "requested"
    clock.tick()
    theirs.approvals.deny(record.id, "not on a first delay")
    clock.tick()
    mine.desk.claim("T-2")
    clock.tick()
    mine.desk.release("T-2")
    return clock


def _events(out: str) -> list[str]:
    return [json.loads(line)["event"] for line in out.splitlines()]


def test_the_log_says_who_did_what_oldest_first(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    _day(db)
    code, out, err = _run(capsys, db)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert len(lines) == 6
    assert lines[0].startswith("2026-11-07 09:00:00Z  #")
    assert "alex (Alex)  claim  ticket T-1  holder: none → alex" in lines[0]
    assert "alex (Alex)  action request  action " in lines[1]
    assert "reason: late parcel" in lines[1] and "amount: " in lines[1]
    assert "action verdict" in lines[2] and "verdict: needs_approval" in lines[2]
    assert "jordan (Jordan)  action deny" in lines[3]
    assert "status: requested → denied" in lines[3]
    assert "not on a first delay" in lines[3]
    assert "alex (Alex)  release  ticket T-2  holder: alex → none" in lines[5]


def test_the_log_is_narrowed_by_agent_customer_and_period(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    _day(db)
    code, out, _ = _run(capsys, db, "--json", "--agent", "jordan")
    assert code == 0 and _events(out) == ["action.deny"]
    # An agent by their number in the database too.
    with read_session(db) as s:
        number = s.execute(text("SELECT id FROM agent WHERE name = 'jordan'")).scalar_one()
    assert _events(_run(capsys, db, "--json", "--agent", str(number))[1]) == ["action.deny"]

    code, out, _ = _run(capsys, db, "--json", "--customer", "C-2")
    assert code == 0 and _events(out) == ["claim", "release"]
    code, out, _ = _run(capsys, db, "--json", "--customer", "C-1")
    assert _events(out) == ["claim", "action.request", "action.verdict", "action.deny"]
    code, out, _ = _run(capsys, db, "--json", "--customer", "C-1", "--agent", "alex")
    assert _events(out) == ["claim", "action.request", "action.verdict"]

    # [09:10, 09:30): the request, its verdict and the denial; a date alone is its midnight.
    code, out, _ = _run(
        capsys, db, "--json", "--since", "2026-11-07T09:10", "--until", "2026-11-07 09:30Z"
    )
    assert _events(out) == ["action.request", "action.verdict", "action.deny"]
    assert _events(_run(capsys, db, "--json", "--until", "2026-11-07")[1]) == []
    assert len(_run(capsys, db, "--json", "--since", "2026-11-07")[1].splitlines()) == 6
    code, out, _ = _run(capsys, db, "--json", "--limit", "2")
    assert _events(out) == ["claim", "action.request"]


def test_json_lines_carry_every_stored_field(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    _day(db, reason="Dana's \x1b]52;c;ZXZpbA==\x07 parcel \u202egnp.exe")
    code, out, _ = _run(capsys, db, "--json")
    assert code == 0
    assert all(line.isascii() for line in out.splitlines())
    printed = [json.loads(line) for line in out.splitlines()]
    with read_session(db) as s:
        rows = s.execute(text("SELECT * FROM audit_entry ORDER BY id")).mappings().all()
    assert len(printed) == len(rows)
    for shown, row in zip(printed, rows, strict=True):
        stored = dict(row)
        at = stored.pop("at")
        at = at.replace(tzinfo=UTC) if isinstance(at, datetime) else at
        assert datetime.fromisoformat(shown.pop("at")) == (
            at if isinstance(at, datetime) else datetime.fromisoformat(at).replace(tzinfo=UTC)
        )
        assert shown.pop("event") == stored.pop("action")
        for key in ("before", "after"):
            value = stored.pop(key)
            assert shown.pop(key) == (None if value is None else json.loads(value))
        assert shown == stored
    # Every stored hash is reproduced from what was printed: nothing was lost on the way.
    for entry in map(json.loads, out.splitlines()):
        before, after = entry["before"], entry["after"]
        assert (
            audit.entry_hash(
                entry["prev_hash"],
                datetime.fromisoformat(entry["at"]),
                entry["actor"],
                entry["event"],
                entry["entity"],
                entry["entity_id"],
                None if before is None else audit._canonical(before),
                None if after is None else audit._canonical(after),
            )
            == entry["hash"]
        )


@pytest.mark.parametrize(("kind", "hostile"), HOSTILE, ids=[k for k, _ in HOSTILE])
def test_hostile_text_reaches_the_terminal_inert(
    sqlite_db: Database, capsys: pytest.CaptureFixture[str], kind: str, hostile: str
) -> None:
    with unit_of_work(sqlite_db) as s:
        s.add(Agent(name="mallory", display_name=hostile, role="agent"))
        append_audit(
            s,
            at=NOW,
            actor="mallory",
            action="release",
            entity="ticket",
            entity_id=hostile[:64],
            before={"holder": "mallory", hostile[:20]: hostile},
            after={"holder": None, "reason": hostile},
        )
    code, out, _ = _run(capsys, sqlite_db)
    assert code == 0 and out.count("\n") == 1
    for bad in ("\x1b", "\x07", "\x9b", "\x9d", "\u202e", "\r"):
        assert bad not in out, f"{kind}: {bad!r} reached the terminal"
    assert all(ord(ch) >= 0x20 or ch == "\n" for ch in out)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--since", "yesterday"], "--since: expected a date (2026-11-07) or a time"),
        (["--until", "2026-13-01"], "--until: expected a date (2026-11-07) or a time"),
        (["--since", "2026-11-08", "--until", "2026-11-07"], "--until (2026-11-07T00:00:00Z)"),
        (["--agent", "nobody"], "--agent: no agent has the id or number 'nobody'"),
        (["--customer", "C-404"], "--customer: there is no customer with the id 'C-404'"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(
    sqlite_db: Database, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = _run(capsys, sqlite_db, *argv)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("limit", ["0", "ten"])
def test_a_bad_limit_is_refused_by_name(
    sqlite_db: Database, capsys: pytest.CaptureFixture[str], limit: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        _run(capsys, sqlite_db, "--limit", limit)
    assert exit_.value.code == 2
    assert "argument --limit: expected" in capsys.readouterr().err


def test_it_reads_on_a_read_only_connection(
    db: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _day(db)

    def no_writer(*args: object, **kwargs: object) -> None:
        raise AssertionError("audit log opened the database for writing")

    monkeypatch.setattr("storage.engine.make_database", no_writer)
    code, out, _ = _run(capsys, db, "--customer", "C-2")
    assert code == 0 and len(out.splitlines()) == 2
    if db.is_sqlite:
        # The file itself refuses writes to what the log command opened.
        from storage.engine import make_reader

        reader = make_reader(db.url)
        try:
            with reader.read.connect() as conn, pytest.raises(Exception, match=r"readonly"):
                conn.exec_driver_sql("DELETE FROM audit_entry")
        finally:
            reader.dispose()


def _many(db: Database, actors: list[str], n: int) -> None:
    """`n` entries round the actors, two at each moment (so the id breaks ties)."""
    with unit_of_work(db) as s:
        for i in range(n):
            append_audit(
                s,
                at=NOW + timedelta(seconds=i // 2),
                actor=actors[i % len(actors)],
                action="claim",
                entity="ticket",
                entity_id=f"T-{i % 3}",
                after={"holder": actors[i % len(actors)]},
            )


def test_paging_reads_every_entry_once_in_order(db: Database) -> None:
    add_customer(db, "C-1")
    add_ticket(db, "T-0", "C-1")
    add_ticket(db, "T-2", "C-1")
    add_agents(db, "alex")
    _many(db, ["alex", "postgres for alex", "caredesk"], 31)
    everything = list(read_log(db, LogQuery(), page=1000))
    assert [e.id for e in everything] == sorted(e.id for e in everything)
    assert len(everything) == 31
    assert list(read_log(db, LogQuery(), page=2)) == everything
    assert list(read_log(db, LogQuery(limit=7), page=3)) == everything[:7]
    # Two ways in (alex, and an administrator for alex), merged page by page.
    theirs = [e for e in everything if e.actor in ("alex", "postgres for alex")]
    assert list(read_log(db, LogQuery(agent="alex"), page=2)) == theirs
    system = [e for e in everything if e.actor == "caredesk"]
    assert list(read_log(db, LogQuery(agent="system"), page=4)) == system
    # The customer's two contacts, merged page by page.
    about = [e for e in everything if e.entity_id in ("T-0", "T-2")]
    assert list(read_log(db, LogQuery(customer="C-1"), page=3)) == about
    since = NOW + timedelta(seconds=5)
    later = [e for e in everything if e.at >= since]
    assert list(read_log(db, LogQuery(since=since), page=2)) == later


def test_more_than_a_page_streams_through_the_command(
    sqlite_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    _many(sqlite_db, ["alex"], 1203)
    code, out, _ = _run(capsys, sqlite_db, "--json")
    ids = [json.loads(line)["id"] for line in out.splitlines()]
    assert code == 0 and ids == list(range(1, 1204))
    assert len(_run(capsys, sqlite_db, "--limit", "501")[1].splitlines()) == 501


def test_changes_show_only_what_changed() -> None:
    assert changes({"holder": None, "status": "open"}, {"holder": "hana", "status": "open"}) == (
        "holder: none → hana"
    )
    assert changes(None, {"items": ["BL-200"], "n": 2}) == 'items: ["BL-200"]; n: 2'
    assert changes({"reason": "x"}, {}) == "reason: x → gone"
    assert changes(None, None) == ""


def test_help_explains_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["audit", "log", "--help"])
    shown = capsys.readouterr().out
    assert "oldest first" in shown and "exit status:" in shown and "--customer" in shown


# -- every reading goes through an index --------------------------------------------------

LATER = audit.LogKey(NOW, 3)
SCOPES = {
    "all": LogScope(),
    "period": LogScope(since=NOW - timedelta(hours=1), until=NOW),
    "agent": LogScope(actors=("sam",)),
    "agents": LogScope(actors=("sam", "postgres for sam"), since=NOW),
    "customer": LogScope(customer="C-1"),
    "customer+agent": LogScope(customer="C-1", actors=("sam",), until=NOW),
}


def _page_case(name: str, scope: LogScope, after: audit.LogKey | None) -> Case:
    def run(s: Session, _seed: Seed) -> object:
        return audit.log_page(s, scope, after=after, limit=5)

    return Case(
        f"log_page/{name}{'/after' if after else ''}",
        run,
        # The first page of the whole log starts at the beginning of `ix_audit_at`.
        walks=frozenset({"audit_entry"} if name == "all" and after is None else ()),
        # Several ways in (two actors, a customer's contacts and actions) are merged: a
        # b-tree of a page from each. One way in comes in order from its index.
        sorts=len(audit._branches(scope)) > 1,
    )


PLAN_CASES = [
    _page_case(name, scope, after) for name, scope in SCOPES.items() for after in (None, LATER)
]


def _seed(db: Database) -> Seed:
    add_customer(db)
    (sam,) = add_agents(db, "sam")
    add_ticket(db, "T-1")
    _many(db, ["sam", "caredesk"], 6)
    return Seed(agent_id=sam.id, key=None, closed_key=None)  # type: ignore[arg-type]


def _needs_the_log_indexes(db: Database) -> None:
    """The log's own indexes (by time, by actor, by entity and time) come with the schema
    revision that adds them; until then its readings are only as fast as a scan."""
    have = {i["name"] for i in inspect(db.read).get_indexes("audit_entry")}
    if not {"ix_audit_at", "ix_audit_actor"} <= have:
        pytest.skip("the schema has no ix_audit_at / ix_audit_actor yet")


@pytest.mark.parametrize("case", PLAN_CASES, ids=lambda case: case.name)
def test_the_log_is_read_through_an_index(
    db: Database, case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    _needs_the_log_indexes(db)
    monkeypatch.setattr(plans, "_seed", _seed)
    plans.test_big_tables_are_read_through_an_index(db, case)


def test_the_actors_are_found_by_seeks(db: Database) -> None:
    _needs_the_log_indexes(db)
    _seed(db)
    statement = audit._ACTORS.text
    with db.read.connect() as conn:
        if db.is_sqlite:
            problems, used = plans._sqlite_plan(conn, statement, (), Case("actors", print))
            assert "ix_audit_actor" in used
        else:
            problems = plans._pg_plan(conn, statement, {}, Case("actors", print))
    assert problems == []
    with read_session(db) as s:
        assert audit.actors(s) == ["caredesk", "sam"]
