"""A log from before seals (schema 0021) is adopted once, then verified as any other."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from storage.audit import append_audit
from storage.engine import Database
from storage.uow import unit_of_work
from tests.factories import NOW, add_agents, add_customer, add_order
from workspace.action_view import ActionRequest
from workspace.audit_adopt import NothingToAdopt, adopt
from workspace.audit_check import describe_audit, verify_audit
from workspace.cli import main
from workspace.errors import CareDeskError
from workspace.policy_file import default_policy
from workspace.workbench import Workbench


def _legacy(db: Database) -> list[int]:
    """Actions taken, then their log written again as CareDesk wrote it before 0021: chained,
    with no seal and no state."""
    (alex,) = add_agents(db, "alex")
    add_customer(db, "C-1", "Dana Whitfield", "standard")
    add_order(
        db, "W1", placed=NOW - timedelta(days=10), delivered=NOW - timedelta(days=5), price="200.00"
    )
    bench = Workbench.open(db, alex, default_policy(), clock=lambda: NOW)
    ids = [
        bench.actions.take(
            ActionRequest(kind="discount", customer_id="C-1", order_id="W1", amount=a, reason="x")
        ).record.id
        for a in ("20", "5")
    ]
    with unit_of_work(db) as s:
        s.execute(text("DELETE FROM audit_entry"))
        for action in ids:
            for event, after in (
                ("action.request", {"amount": "x"}),
                ("action.execute", {"status": "executed"}),
            ):
                append_audit(
                    s,
                    at=NOW,
                    actor="alex",
                    action=event,
                    entity="action",
                    entity_id=str(action),
                    after=after,
                )
    return ids


def test_a_legacy_log_fails_until_it_is_adopted_then_holds(sqlite_db: Database, capsys) -> None:
    ids = _legacy(sqlite_db)
    report = verify_audit(sqlite_db)
    assert not report.ok and "it is not sealed" in describe_audit(report)
    assert "caredesk audit adopt" in describe_audit(report)

    assert main(["audit", "adopt", "--db", sqlite_db.url, "--agent", "jordan"]) == 0
    out = capsys.readouterr().out
    assert "audit log adopted: 4 entries vouched for by entry #7, sealed; 2 actions" in out
    assert verify_audit(sqlite_db).ok

    # From now on it is verified as any log: a change is named, and adopting again refuses.
    with unit_of_work(sqlite_db) as s:
        s.execute(text("UPDATE action SET amount = amount * 100 WHERE id = :id"), {"id": ids[0]})
    assert f"action #{ids[0]}: its amount" in describe_audit(verify_audit(sqlite_db))
    with pytest.raises(CareDeskError, match=f"action #{ids[0]} no longer matches its entry"):
        adopt(sqlite_db, "jordan")


def test_entries_forged_after_adoption_are_not_vouched_for(sqlite_db: Database) -> None:
    _legacy(sqlite_db)
    adopted = adopt(sqlite_db, "jordan")
    with unit_of_work(sqlite_db) as s:
        forged = append_audit(
            s, at=NOW, actor="mallory", action="note", entity="ticket", entity_id="T-1"
        )
    report = verify_audit(sqlite_db)
    assert report.chain.broken is not None and report.chain.broken.entry_id == forged
    assert forged > adopted.entry_id


def test_a_sealed_log_has_nothing_to_adopt(sqlite_db: Database) -> None:
    _legacy(sqlite_db)
    adopt(sqlite_db, "jordan")
    with pytest.raises(NothingToAdopt):
        adopt(sqlite_db, "jordan")


def test_a_broken_chain_is_not_adopted(sqlite_db: Database, capsys) -> None:
    _legacy(sqlite_db)
    with unit_of_work(sqlite_db) as s:
        s.execute(text("UPDATE audit_entry SET actor = 'mallory' WHERE id = 2"))
    assert main(["audit", "adopt", "--db", sqlite_db.url]) == 1
    err = capsys.readouterr().err
    assert "audit log broken at entry #2" in err and "nothing was adopted" in err


def test_a_forgery_made_before_adopting_is_not_vouched_for(sqlite_db: Database) -> None:
    # After the upgrade the log is sealed; an unsealed entry forged then (with the money
    # changed to match) must not be adopted as if it were old.
    ids = _legacy(sqlite_db)
    adopt(sqlite_db, "jordan")
    with unit_of_work(sqlite_db) as s:
        s.execute(text("UPDATE action SET amount = amount * 100 WHERE id = :id"), {"id": ids[1]})
        forged = append_audit(
            s,
            at=NOW,
            actor="alex",
            action="action.execute",
            entity="action",
            entity_id=str(ids[1]),
            after={"status": "executed"},
        )
    report = describe_audit(verify_audit(sqlite_db))
    assert f"broken at entry #{forged}" in report and "caredesk audit adopt" not in report
    with pytest.raises(CareDeskError, match=f"entry #{forged} is not sealed but comes after"):
        adopt(sqlite_db, "jordan")


def test_a_row_no_entry_records_is_not_adopted(sqlite_db: Database) -> None:
    ids = _legacy(sqlite_db)
    with unit_of_work(sqlite_db) as s:
        s.execute(
            text(
                "INSERT INTO action (id, ref, kind, customer_id, order_id, ticket_id, agent_id, "
                "amount, currency, items, reason, verdict, rule, verdict_reason, outside_budget, "
                "policy_hash, status, requested_at, decided_at, decided_by, decision_reason, "
                "executed_at) SELECT 99, 'A-made-up', kind, customer_id, order_id, ticket_id, "
                "agent_id, amount * 50, currency, items, reason, verdict, rule, verdict_reason, "
                "outside_budget, policy_hash, status, requested_at, decided_at, decided_by, "
                "decision_reason, executed_at FROM action WHERE id = :id"
            ),
            {"id": ids[0]},
        )
    with pytest.raises(CareDeskError, match="action #99 has no audit entry at all"):
        adopt(sqlite_db, "jordan")
