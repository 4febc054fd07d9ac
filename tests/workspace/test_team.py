"""The team's people on SQLite: added, changed and let go, each audited and announced; and
who works when nothing is proven (the operating-system user, else the first agent)."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.engine import Database, make_database
from storage.models import AuditEntry, Change, Ticket
from storage.uow import read_session
from tests.factories import NOW, add_agents, add_customer, add_ticket
from workspace.agents import Identity, add_line, sign_in
from workspace.audit_trail import MAX_ACTOR, acting_actor
from workspace.boot import open_workspace
from workspace.desk import Desk
from workspace.errors import AgentInactive, AgentInputError, NoAgents, UnknownAgent
from workspace.team import Team, check_email, check_id, check_name
from workspace.vocabulary import Role


def _as_user(monkeypatch: pytest.MonkeyPatch, name: str | None) -> None:
    """The operating-system user is `name` (None: the system cannot say)."""

    def getuser() -> str:
        if name is None:
            raise OSError("no user name")
        return name

    monkeypatch.setattr(getpass, "getuser", getuser)


def _audit(db: Database) -> list[tuple[str, str, str, dict[str, object], dict[str, object]]]:
    with read_session(db) as s:
        rows = s.execute(
            select(
                AuditEntry.actor,
                AuditEntry.action,
                AuditEntry.entity_id,
                AuditEntry.before,
                AuditEntry.after,
            ).order_by(AuditEntry.id)  # type: ignore[arg-type]
        ).all()
    return [(a, b, c, json.loads(d or "{}"), json.loads(e or "{}")) for a, b, c, d, e in rows]


def _changes(db: Database) -> list[tuple[str, str | None, int | None]]:
    with read_session(db) as s:
        rows = s.execute(
            select(Change.kind, Change.ticket_id, Change.agent_id).order_by(Change.seq)  # type: ignore[arg-type]
        ).all()
    return [(k, t, a) for k, t, a in rows]


# -- checks -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "1 to 63"),
        ("x" * 64, "1 to 63"),
        ("two words", "no spaces"),
        ("tab\there", "no spaces"),
        ("esc\x1b]52", "control"),
        ("pg_monitor", "keeps for itself"),
        ("PUBLIC", "keeps for itself"),
    ],
)
def test_an_id_must_be_a_login_postgresql_would_take(text: str, why: str) -> None:
    with pytest.raises(AgentInputError, match=why) as caught:
        check_id(text)
    assert caught.value.field == "id"


def test_names_and_emails_are_trimmed_and_checked() -> None:
    assert check_id("hana.k") == "hana.k"
    assert check_name("  Hana Kowalski ") == "Hana Kowalski"
    assert check_email(" hana@example.com ") == "hana@example.com"
    assert check_email("") is None and check_email(None) is None
    for bad in ("hana", "@example.com", "hana@example", "ha na@example.com"):
        with pytest.raises(AgentInputError, match="not an email address"):
            check_email(bad)
    with pytest.raises(AgentInputError, match="give the name"):
        check_name("   ")
    with pytest.raises(AgentInputError, match="one line"):
        check_name("Hana\nKowalski")


def test_the_actor_of_someone_acting_for_another_fits_the_log() -> None:
    assert acting_actor("postgres", "hana") == "postgres for hana"
    for login, agent in (("l" * 63, "a" * 63), ("l" * 10, "a" * 63), ("l" * 63, "hana")):
        actor = acting_actor(login, agent)
        assert len(actor) <= MAX_ACTOR and " for " in actor
    assert acting_actor("l" * 63, "hana").endswith("… for hana")
    assert acting_actor("postgres", "a" * 63).startswith("postgres for aaa")


# -- adding, changing, letting go ---------------------------------------------------------


def test_adding_someone_is_audited_and_announced(sqlite_db: Database) -> None:
    team = Team(sqlite_db, actor="jordan", clock=lambda: NOW)
    done = team.add("hana", " Hana Kowalski ", "supervisor", "hana@example.com")
    hana = done.agent
    assert (hana.name, hana.display_name, hana.role, hana.email, hana.active) == (
        "hana",
        "Hana Kowalski",
        "supervisor",
        "hana@example.com",
        True,
    )
    assert done.login is None  # SQLite has no logins
    assert [a.name for a in team.members()] == ["hana"]
    assert _audit(sqlite_db) == [
        (
            "jordan",
            "agent.add",
            "hana",
            {},
            {
                "name": "hana",
                "display_name": "Hana Kowalski",
                "role": "supervisor",
                "email": "hana@example.com",
                "active": True,
            },
        )
    ]
    assert _changes(sqlite_db) == [("agent", None, hana.id)]


def test_an_id_is_taken_once_and_nobody_is_changed_who_is_not_there(sqlite_db: Database) -> None:
    team = Team(sqlite_db, actor="jordan")
    team.add("hana", "Hana", "supervisor")
    with pytest.raises(AgentInputError, match="already on the team"):
        team.add("hana", "Another Hana", "agent")
    with pytest.raises(UnknownAgent, match="no agent called 'zoe'"):
        team.change("zoe", role="senior")
    with pytest.raises(AgentInputError, match="unknown role 'boss'"):
        team.change("hana", role="boss")
    assert len(_audit(sqlite_db)) == 1


def test_a_change_records_what_changed_and_nothing_else(sqlite_db: Database) -> None:
    team = Team(sqlite_db, actor="jordan", clock=lambda: NOW)
    sam = team.add("sam", "Sam", "agent").agent
    done = team.change("sam", role="senior", name="Sam Rivera", email="sam@example.com")
    assert done.changed == {
        "role": ("agent", "senior"),
        "display_name": ("Sam", "Sam Rivera"),
        "email": (None, "sam@example.com"),
    }
    assert done.agent.role == "senior" and done.released == ()
    *_, last = _audit(sqlite_db)
    assert last == (
        "jordan",
        "agent.set",
        "sam",
        {"role": "agent", "display_name": "Sam", "email": None},
        {"role": "senior", "display_name": "Sam Rivera", "email": "sam@example.com"},
    )
    unchanged = team.change("sam", role="senior", email="sam@example.com")
    assert unchanged.changed == {} and len(_audit(sqlite_db)) == 2
    assert team.change("sam", email="").changed == {"email": ("sam@example.com", None)}
    assert _changes(sqlite_db) == [("agent", None, sam.id)] * 3


def test_someone_let_go_gives_back_every_contact_they_held(sqlite_db: Database) -> None:
    sam, alex = add_agents(sqlite_db, "sam", "alex")
    add_customer(sqlite_db)
    add_ticket(sqlite_db, "T-1", holder=sam.id)
    add_ticket(sqlite_db, "T-2", holder=sam.id)
    add_ticket(sqlite_db, "T-3", holder=sam.id, status="resolved")  # says who resolved it
    add_ticket(sqlite_db, "T-4", holder=alex.id)
    done = Team(sqlite_db, actor="jordan", clock=lambda: NOW).change("sam", active=False)
    assert done.released == ("T-1", "T-2") and done.agent.active is False
    with read_session(sqlite_db) as s:
        holders = dict(s.execute(select(Ticket.id, Ticket.assigned_agent_id)).all())
    assert holders == {"T-1": None, "T-2": None, "T-3": sam.id, "T-4": alex.id}
    releases = [e for e in _audit(sqlite_db) if e[1] == "release"]
    why = {"holder": None, "reason": "sam was let go by jordan"}
    assert releases == [
        ("jordan", "release", "T-1", {"holder": "sam"}, why),
        ("jordan", "release", "T-2", {"holder": "sam"}, why),
    ]
    assert _audit(sqlite_db)[-1][1:] == ("agent.set", "sam", {"active": True}, {"active": False})
    assert _changes(sqlite_db) == [
        ("release", "T-1", None),
        ("release", "T-2", None),
        ("agent", None, sam.id),
    ]


def test_someone_let_go_cannot_open_the_workspace_until_brought_back(
    sqlite_db: Database,
) -> None:
    add_agents(sqlite_db, "alex", "sam")
    team = Team(sqlite_db, actor="jordan")
    team.change("sam", active=False)
    with pytest.raises(AgentInactive) as caught:
        open_workspace(sqlite_db, "sam", fill_demo=False, clock=lambda: NOW)
    assert str(caught.value) == (
        "'sam' no longer works here (deactivated): an administrator can bring them back "
        "with `caredesk agent set sam --active yes`"
    )
    team.change("sam", active=True)
    booted = open_workspace(sqlite_db, "sam", fill_demo=False, clock=lambda: NOW)
    assert booted.bench.agent.name == "sam"


# -- who works, when nothing is proven ----------------------------------------------------


def test_an_empty_database_names_the_line_that_adds_its_first_agent(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _as_user(monkeypatch, "dana.w")
    with pytest.raises(NoAgents) as caught:
        open_workspace(sqlite_db, None, fill_demo=False, clock=lambda: NOW)
    assert str(caught.value) == (
        "this database has no agents yet: add yourself with "
        "`caredesk agent add dana.w --name 'Dana W' --role supervisor`"
    )
    assert add_line("o'neil", Role.AGENT) == (
        "caredesk agent add 'o'\"'\"'neil' --name 'O'\"'\"'Neil' --role agent"
    )


def test_the_operating_system_user_is_their_own_agent(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_agents(sqlite_db, "alex", "sam")
    _as_user(monkeypatch, "sam")
    me = sign_in(sqlite_db, None)
    assert (me.agent.name, me.login, me.proven, me.acting_for, me.notice) == (
        "sam",
        "sam",
        False,
        False,
        None,
    )
    # Nothing is proven on SQLite: --agent names anyone, and the log names them alone.
    assert sign_in(sqlite_db, "alex").agent.name == "alex"
    with pytest.raises(UnknownAgent, match="no agent called 'zoe'"):
        sign_in(sqlite_db, "zoe")


@pytest.mark.parametrize("user", ["zoe", None])
def test_a_user_who_is_not_an_agent_works_as_the_first_one_and_is_told(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch, user: str | None
) -> None:
    alex, _ = add_agents(sqlite_db, "alex", "sam")
    _as_user(monkeypatch, user)
    me = sign_in(sqlite_db, None)
    assert me.agent == alex
    assert me.notice is not None and "working as Alex (alex), the first agent" in me.notice
    if user:
        assert me.notice.startswith("your user 'zoe' is not an agent here")
        assert me.notice.endswith("`caredesk agent add zoe --name Zoe --role agent`")
    Team(sqlite_db, actor="jordan").change("alex", active=False)
    assert sign_in(sqlite_db, None).agent.name == "sam"  # the first one still working here


def test_a_user_whose_agent_was_let_go_is_refused_not_given_another(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_agents(sqlite_db, "alex", "sam")
    Team(sqlite_db, actor="jordan").change("sam", active=False)
    _as_user(monkeypatch, "sam")
    with pytest.raises(AgentInactive):
        sign_in(sqlite_db, None)


def test_a_fresh_machine_opens_the_demo_with_no_flags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _as_user(monkeypatch, "someone")
    db = make_database(f"sqlite:///{tmp_path / 'caredesk.db'}")
    try:
        booted = open_workspace(db, None, clock=lambda: NOW)
    finally:
        db.dispose()
    assert booted.demo is not None
    assert booted.bench.agent.name == "alex"
    assert booted.notice is not None and booted.notice.startswith(
        "your user 'someone' is not an agent here: working as"
    )


def test_the_audit_log_names_the_agent_alone_on_sqlite(sqlite_db: Database) -> None:
    add_agents(sqlite_db, "sam")
    add_customer(sqlite_db)
    add_ticket(sqlite_db, "T-1")
    me = sign_in(sqlite_db, "sam")
    assert isinstance(me, Identity) and not me.acting_for
    Desk(sqlite_db, me.agent, clock=lambda: NOW).claim("T-1")
    assert [e[0] for e in _audit(sqlite_db)] == ["sam"]
