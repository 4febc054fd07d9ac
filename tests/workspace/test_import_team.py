"""Importing a team: agents, surveys, the new ticket fields, known tiers, audited moves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from storage.engine import Database
from storage.uow import read_session
from tests.workspace.test_import_export import SPEC_EXAMPLE, write_lines
from workspace import importer
from workspace.agents import resolve_agent
from workspace.audit_check import verify_audit
from workspace.cli import main
from workspace.desk import Desk
from workspace.errors import InputRejected
from workspace.importer import import_file
from workspace.policy_store import install
from workspace.timefmt import utcnow

SPEC_AGENT = {
    "type": "agent",
    "id": "hana",
    "name": "Hana Kowalski",
    "role": "supervisor",
    "email": "hana@example.com",
}
SPEC_SURVEY = {
    "type": "survey",
    "id": "S-1",
    "ticket": "T-1",
    "at": "2026-11-07T12:00:00Z",
    "csat": 5,
    "ces": 6,
    "nps": 9,
    "comment": "Quick and kind.",  # as specs/metrics.md gives it
}
CUSTOMER, ORDER, INTERACTION, TICKET = (json.loads(line) for line in SPEC_EXAMPLE.splitlines())
AGENTS = [
    {"type": "agent", "id": "alex", "name": "Alex Morgan", "role": "agent"},
    {"type": "agent", "id": "sam", "name": "Sam Okafor", "role": "senior"},
]

TEAM_POLICY = """\
version: 1
currency: USD
actions:
  discount:
    limit: {amount: 25.00}
tiers:
  diamond:
    discount: {limit: {amount: 60.00}}
"""


def rows(db: Database, sql: str) -> list[tuple[Any, ...]]:
    with read_session(db) as session:
        return [tuple(r) for r in session.execute(text(sql))]


def problems(db: Database, path: Path, **options: Any) -> list[tuple[str, str | None]]:
    with pytest.raises(InputRejected) as caught:
        import_file(db, path, **options)
    return [(p.where, p.field) for p in caught.value.problems]


def test_the_spec_example_with_its_agent_and_survey_imports(db: Database, tmp_path: Path) -> None:
    lines = [SPEC_AGENT, *SPEC_EXAMPLE.splitlines(), SPEC_SURVEY]
    path = write_lines(tmp_path / "example.jsonl", lines)
    summary = import_file(db, path)
    assert (summary.agents, summary.surveys, summary.tickets, summary.lines) == (1, 1, 1, 6)
    assert rows(db, "SELECT name, display_name, role, email FROM agent") == [
        ("hana", "Hana Kowalski", "supervisor", "hana@example.com")
    ]
    assert rows(db, "SELECT id, ticket_id, csat, ces, nps, comment FROM survey") == [
        ("S-1", "T-1", 5, 6, 9, "Quick and kind.")
    ]
    before = rows(db, "SELECT * FROM agent ORDER BY id")
    import_file(db, path)
    assert rows(db, "SELECT * FROM agent ORDER BY id") == before


def test_agents_are_upserted_by_login_name_and_may_leave(db: Database, tmp_path: Path) -> None:
    import_file(db, write_lines(tmp_path / "team.jsonl", AGENTS))
    (alex_id,) = rows(db, "SELECT id FROM agent WHERE name = 'alex'")[0]
    later = [
        {**AGENTS[0], "name": "Alex M.", "role": "senior", "active": False},
        {**AGENTS[0], "name": "Alex Morgan-Lee", "email": "alex@example.com", "active": False},
    ]
    summary = import_file(db, write_lines(tmp_path / "left.jsonl", later))
    assert summary.agents == 2  # lines; the later one wins
    found = rows(db, "SELECT id, display_name, role, email, active FROM agent ORDER BY name")
    assert [(r[0], r[1], r[2], r[3], bool(r[4])) for r in found] == [
        (alex_id, "Alex Morgan-Lee", "agent", "alex@example.com", False),
        (alex_id + 1, "Sam Okafor", "senior", None, True),
    ]


def test_a_ticket_names_an_agent_of_the_same_chunk_or_an_earlier_one(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "CHUNK", 3)
    tickets = [
        {**TICKET, "id": f"T-{n}", "assigned_to": name, "claimed_at": "2026-11-06T09:00:00Z"}
        for n, name in enumerate(["alex", "sam", "alex", "sam"])
    ]
    lines = [*AGENTS, CUSTOMER, *tickets]
    import_file(db, write_lines(tmp_path / "team.jsonl", lines))
    held = rows(db, "SELECT t.id, a.name FROM ticket t JOIN agent a ON a.id = t.assigned_agent_id")
    assert sorted(held) == [("T-0", "alex"), ("T-1", "sam"), ("T-2", "alex"), ("T-3", "sam")]


def test_bad_agent_lines_name_the_field_and_what_was_expected(
    sqlite_db: Database, tmp_path: Path
) -> None:
    lines: list[Any] = [
        {**SPEC_AGENT, "role": "manager"},
        {"type": "agent", "id": "kim", "role": "agent"},
        {**SPEC_AGENT, "active": "yes"},
        {**SPEC_AGENT, "id": "x" * 65},
        {**SPEC_AGENT, "name": "n" * 201},
        {**SPEC_AGENT, "password": "secret"},
        {**CUSTOMER},
        {**TICKET, "assigned_to": "kim"},  # kim's line was bad: nobody is called kim
    ]
    path = write_lines(tmp_path / "team.jsonl", lines)
    with pytest.raises(InputRejected) as caught:
        import_file(sqlite_db, path)
    said = [str(p) for p in caught.value.problems]
    assert said == [
        'team.jsonl:1: role: expected one of agent, senior, supervisor, trainer, got "manager"',
        "team.jsonl:2: name: required field is missing",
        'team.jsonl:3: active: expected true or false, got "yes"',
        "team.jsonl:4: id: expected a non-empty string of at most 64 characters, got "
        + json.dumps("x" * 40 + "…", ensure_ascii=False),
        "team.jsonl:5: name: expected a non-empty string of at most 200 characters, got "
        + json.dumps("n" * 40 + "…", ensure_ascii=False),
        "team.jsonl:6: password: unknown field (an agent has active, email, id, name, role)",
        'team.jsonl:8: assigned_to: no agent "kim" earlier in the file or in the database',
    ]
    assert rows(sqlite_db, "SELECT count(*) FROM agent") == [(0,)]


def test_surveys_are_checked_against_their_scales(sqlite_db: Database, tmp_path: Path) -> None:
    good = [
        {**SPEC_SURVEY, "id": "S-low", "csat": 1, "ces": 1, "nps": 0},
        {"type": "survey", "id": "S-nps", "ticket": "T-1", "at": SPEC_SURVEY["at"], "nps": 10},
    ]
    bad: list[tuple[dict[str, Any] | str, str | None]] = [
        ({**SPEC_SURVEY, "csat": 0}, "csat"),
        ({**SPEC_SURVEY, "csat": 6}, "csat"),
        ({**SPEC_SURVEY, "ces": 8}, "ces"),
        ({**SPEC_SURVEY, "nps": -1}, "nps"),
        ({**SPEC_SURVEY, "nps": 11}, "nps"),
        (json.dumps(SPEC_SURVEY).replace('"csat": 5', '"csat": 4.5'), "csat"),
        ({**SPEC_SURVEY, "ces": True}, "ces"),
        ({**SPEC_SURVEY, "nps": "9"}, "nps"),
        ({"type": "survey", "id": "S-0", "ticket": "T-1", "at": SPEC_SURVEY["at"]}, None),
        ({**SPEC_SURVEY, "ticket": "T-404"}, "ticket"),
        ({**SPEC_SURVEY, "at": "2026-11-07"}, "at"),
    ]
    path = write_lines(
        tmp_path / "surveys.jsonl", [CUSTOMER, TICKET, *good, *(line for line, _ in bad)]
    )
    assert problems(sqlite_db, path) == [
        (f"surveys.jsonl:{n}", field) for n, (_, field) in enumerate(bad, start=5)
    ]
    with pytest.raises(InputRejected, match="at least one answer: csat"):
        import_file(sqlite_db, path)

    import_file(sqlite_db, write_lines(tmp_path / "good.jsonl", [CUSTOMER, TICKET, *good]))
    later = [{**SPEC_SURVEY, "id": "S-later", "csat": 2}]  # its ticket is in the database
    import_file(sqlite_db, write_lines(tmp_path / "later.jsonl", later))
    assert rows(sqlite_db, "SELECT id, csat, ces, nps FROM survey ORDER BY id") == [
        ("S-later", 2, 6, 9),
        ("S-low", 1, 1, 0),
        ("S-nps", None, None, 10),
    ]


def test_tickets_take_reopened_handle_seconds_and_a_known_disposition(
    sqlite_db: Database, tmp_path: Path
) -> None:
    closed = {
        **TICKET,
        "status": "resolved",
        "resolved_at": "2026-11-07T08:40:00Z",
        "disposition": "escalated",
        "reopened": 2,
        "handle_seconds": 540,
    }
    bad: list[tuple[dict[str, Any], str]] = [
        ({**closed, "disposition": "solved"}, "disposition"),
        ({**closed, "reopened": -1}, "reopened"),
        ({**closed, "reopened": "2"}, "reopened"),
        ({**closed, "handle_seconds": 1.5}, "handle_seconds"),
        ({**closed, "handle_seconds": 2**31}, "handle_seconds"),
    ]
    path = write_lines(tmp_path / "bad.jsonl", [CUSTOMER, *(line for line, _ in bad)])
    assert problems(sqlite_db, path) == [
        (f"bad.jsonl:{n}", field) for n, (_, field) in enumerate(bad, start=2)
    ]
    import_file(sqlite_db, write_lines(tmp_path / "ok.jsonl", [CUSTOMER, TICKET]))
    assert rows(sqlite_db, "SELECT reopened, handle_seconds, disposition FROM ticket") == [
        (0, None, None)
    ]
    import_file(sqlite_db, write_lines(tmp_path / "closed.jsonl", [closed]))
    assert rows(sqlite_db, "SELECT reopened, handle_seconds, disposition FROM ticket") == [
        (2, 540, "escalated")
    ]


def test_a_tier_the_policy_does_not_know_is_a_bad_line(db: Database, tmp_path: Path) -> None:
    customers = [
        {**CUSTOMER, "id": "C-1", "tier": "standard"},
        {**CUSTOMER, "id": "C-2", "tier": "diamond"},
        {k: v for k, v in CUSTOMER.items() if k != "tier"} | {"id": "C-3"},  # standard
        {**CUSTOMER, "id": "C-4", "tier": "gold"},
    ]
    path = write_lines(tmp_path / "tiers.jsonl", customers)
    with pytest.raises(InputRejected) as caught:
        import_file(db, path, tiers={"diamond"})
    assert [str(p) for p in caught.value.problems] == [
        'tiers.jsonl:4: tier: expected a tier the policy knows (diamond, standard), got "gold"'
    ]
    # By default: the policy CareDesk ships with, which knows gold and not diamond...
    assert problems(db, path) == [("tiers.jsonl:2", "tier")]
    # ...until the team installs its own.
    policy = tmp_path / "team.yaml"
    policy.write_text(TEAM_POLICY.replace("diamond", "gold"), encoding="utf-8")
    install(db, policy, by="hana", at=utcnow())
    assert problems(db, path) == [("tiers.jsonl:2", "tier")]
    policy.write_text(TEAM_POLICY + "  gold:\n", encoding="utf-8")
    install(db, policy, by="hana", at=utcnow())
    assert import_file(db, path).customers == 4


def test_the_cli_checks_tiers_against_the_local_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    path = write_lines(tmp_path / "in.jsonl", [{**CUSTOMER, "tier": "diamond"}])
    assert main(["import", str(path), "--db", url]) == 2
    assert (
        "in.jsonl:1: tier: expected a tier the policy knows (gold, platinum, silver, standard), "
        'got "diamond"' in (capsys.readouterr().err)
    )
    policy = tmp_path / "team.yaml"
    policy.write_text(TEAM_POLICY, encoding="utf-8")
    assert main(["import", str(path), "--db", url, "--policy", str(policy)]) == 0
    assert "1 customer," in capsys.readouterr().out
    monkeypatch.setenv("CAREDESK_POLICY", str(policy))
    assert main(["import", str(path), "--db", url]) == 0


def holds_and_moves(db: Database) -> list[tuple[Any, ...]]:
    """The audit log: actor, action, entity, entity id, before, after."""
    return rows(
        db, "SELECT actor, action, entity, entity_id, before, after FROM audit_entry ORDER BY id"
    )


def test_an_import_moves_a_held_contact_only_with_an_audit_entry(
    db: Database, tmp_path: Path
) -> None:
    other = {**TICKET, "id": "T-2"}
    import_file(db, write_lines(tmp_path / "first.jsonl", [*AGENTS, CUSTOMER, TICKET, other]))
    alex = Desk(db, resolve_agent(db, "alex"))
    assert alex.claim("T-1").claimed and alex.claim("T-2").claimed
    claims = holds_and_moves(db)

    # A feed that names no holder, or the same one, moves nothing and audits nothing.
    same = [{**TICKET, "subject": "Cracked jug (again)"}, {**other, "assigned_to": "alex"}]
    assert import_file(db, write_lines(tmp_path / "same.jsonl", same)).moved == 0
    assert holds_and_moves(db) == claims

    moved = [{**TICKET, "assigned_to": "sam"}, {**other, "assigned_to": "alex"}]
    summary = import_file(db, write_lines(tmp_path / "feed.jsonl", moved), actor="hana")
    assert summary.moved == 1
    assert holds_and_moves(db)[len(claims) :] == [
        (
            "hana",
            "assign",
            "ticket",
            "T-1",
            '{"holder": "alex"}',
            '{"holder": "sam", "reason": "import feed.jsonl"}',
        )
    ]
    held = rows(db, "SELECT t.id, a.name FROM ticket t JOIN agent a ON a.id = t.assigned_agent_id")
    assert sorted(held) == [("T-1", "sam"), ("T-2", "alex")]
    assert verify_audit(db).broken is None

    # Moving it back is audited too; with no actor named, the entry says `import`.
    back = [{**TICKET, "assigned_to": "alex"}]
    assert import_file(db, write_lines(tmp_path / "back.jsonl", back)).moved == 1
    assert holds_and_moves(db)[-1][:5] == ("import", "assign", "ticket", "T-1", '{"holder": "sam"}')


def test_every_import_tells_open_workspaces_that_contacts_changed(
    db: Database, tmp_path: Path
) -> None:
    path = write_lines(tmp_path / "example.jsonl", SPEC_EXAMPLE.splitlines())
    import_file(db, path)
    with pytest.raises(InputRejected):
        import_file(db, write_lines(tmp_path / "bad.jsonl", [{"type": "nothing"}]))
    assert rows(db, "SELECT kind, ticket_id FROM change") == [("contacts", None)]
