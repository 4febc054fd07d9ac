"""`caredesk contact release|assign`: a supervisor's moves, headless, with their exit status."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from storage.engine import Database
from storage.models import AuditEntry, Ticket
from storage.uow import read_session
from tests.factories import add_agents, add_customer, add_ticket
from workspace.cli import main
from workspace.desk import Desk


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _holder(db: Database, ticket_id: str) -> int | None:
    with read_session(db) as s:
        ticket = s.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket.assigned_agent_id


def test_a_supervisor_reassigns_and_frees_a_contact(sqlite_db: Database, capsys) -> None:
    add_customer(sqlite_db)
    add_ticket(sqlite_db, "T-1")
    alex, sam = add_agents(sqlite_db, "alex", "sam")
    add_agents(sqlite_db, "hana", role="supervisor")
    Desk(sqlite_db, alex).claim("T-1")
    url = sqlite_db.url
    code, out, err = _run(
        capsys, "contact", "assign", "T-1", "sam", "--reason", "Alex went home",
        "--agent", "hana", "--db", url,
    )  # fmt: skip
    assert (code, out, err) == (0, "Contact T-1 is now Sam's\n", "")
    assert _holder(sqlite_db, "T-1") == sam.id
    code, out, _ = _run(capsys, "contact", "release", "T-1", "--agent", "hana", "--db", url)
    assert (code, out) == (0, "Contact T-1 is back in the queue from Sam\n")
    assert _holder(sqlite_db, "T-1") is None
    with read_session(sqlite_db) as s:
        stmt = select(AuditEntry.actor, AuditEntry.after).where(col(AuditEntry.action) == "assign")
        moves = s.execute(stmt).all()
    assert [m.actor for m in moves] == ["hana", "hana"]
    assert "Alex went home" in (moves[0].after or "")


def test_an_agent_is_refused_and_bad_names_are_bad_input(sqlite_db: Database, capsys) -> None:
    add_customer(sqlite_db)
    add_ticket(sqlite_db, "T-1")
    add_agents(sqlite_db, "alex")
    add_agents(sqlite_db, "hana", role="supervisor")
    url = sqlite_db.url
    code, out, err = _run(capsys, "contact", "release", "T-1", "--agent", "alex", "--db", url)
    assert (code, out) == (4, "")
    assert "only a supervisor can free or reassign contacts" in err
    code, _, err = _run(
        capsys, "contact", "assign", "T-1", "nobody", "--agent", "hana", "--db", url
    )
    assert code == 2 and "no agent called 'nobody'" in err
    code, _, err = _run(capsys, "contact", "release", "T-9", "--agent", "hana", "--db", url)
    assert code == 2 and "contact T-9 does not exist" in err
