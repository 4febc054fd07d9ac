"""The demo's survey answers: after some resolutions, on the spec's scales, so the report's
satisfaction figures have values on a fresh demo."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from storage.engine import Database
from tests.factories import NOW
from workspace.demo import build_demo
from workspace.metrics import Period
from workspace.reporting import report


def test_the_demo_has_surveys_after_resolutions_and_the_report_reads_them(db: Database) -> None:
    build_demo(db, customers=80, contacts=40, seed=5, now=NOW)
    with db.read.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT s.at, s.csat, s.ces, s.nps, t.resolved_at, t.status FROM survey s "
                "JOIN ticket t ON t.id = s.ticket_id"
            )
        ).all()
    assert len(rows) >= 10
    for at, csat, ces, nps, resolved_at, status in rows:
        assert status == "resolved"
        assert str(resolved_at) < str(at) and str(at) < str(NOW)
        assert (csat, ces, nps) != (None, None, None)
        assert csat is None or 1 <= csat <= 5
        assert ces is None or 1 <= ces <= 7
        assert nps is None or 0 <= nps <= 10
    figures = report(db, Period(NOW - timedelta(days=3650), NOW)).total
    assert figures.csat_percent is not None and figures.nps is not None
    assert figures.ces_mean is not None and figures.aht_mean_s is not None


def test_the_same_seed_gives_the_same_surveys(tmp_path) -> None:
    from storage.testing import fresh_sqlite

    def surveys(folder: str) -> list[tuple[object, ...]]:
        (tmp_path / folder).mkdir()
        made = fresh_sqlite(tmp_path / folder)
        build_demo(made, customers=40, contacts=20, seed=9, now=NOW)
        with made.read.connect() as conn:
            found = conn.execute(text("SELECT * FROM survey ORDER BY id")).all()
        made.dispose()
        return [tuple(r) for r in found]

    assert surveys("a") == surveys("b") != []


def test_the_demo_agents_act_through_the_policy_and_a_supervisor_decides(db: Database) -> None:
    """The demo's actions are real ones: audited, some executed, one decided by the
    supervisor, one refused by the policy, one still waiting, and the report counts them."""
    summary = build_demo(db, customers=120, contacts=40, seed=7, now=NOW)
    assert summary.actions > 0
    with db.read.connect() as conn:
        statuses = dict(
            conn.execute(text("SELECT status, count(*) FROM action GROUP BY status")).all()
        )
        audited = conn.execute(
            text("SELECT count(*) FROM audit_entry WHERE entity = 'action'")
        ).scalar_one()
    assert statuses.get("executed", 0) >= 1 and statuses.get("denied", 0) >= 1
    assert audited >= summary.actions
    figures = report(db, Period(NOW - timedelta(days=30), NOW)).total
    assert figures.compensation_total is not None
