"""The report's figures (specs/metrics.md): each formula's edges as pure functions, then a
hand-made data set whose figures are known, read by `caredesk report` on both databases."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from storage import action_queries
from storage.engine import Database
from storage.models import ContactHold, Survey, Ticket
from storage.uow import unit_of_work
from tests.factories import add_agents, add_customer
from workspace.cli import main
from workspace.friction import RuleTally, Spend, Turnaround, friction
from workspace.metrics import (
    ClosedContact,
    Facts,
    FirstResponse,
    Hold,
    Period,
    SurveyAnswer,
    Tally,
    aht_mean_s,
    ces_mean,
    compensation_total,
    csat_percent,
    fcr_percent,
    first_contact_resolved,
    frt_median_s,
    frt_p90_s,
    handle_time,
    metrics,
    nearest_rank,
    nps,
    one_decimal,
    sla_attainment_percent,
)
from workspace.reporting import BadPeriod, period_of

DAY = datetime(2026, 11, 7, tzinfo=UTC)


def at(hours: float, days: int = 0) -> datetime:
    """A moment of the report's day (11-07, UTC), `days` later."""
    return DAY + timedelta(days=days, hours=hours)


def closed(
    *,
    opened: datetime = DAY,
    closed_at: datetime | None = None,
    due: datetime | None = None,
    reopened: int = 0,
    next_at: datetime | None = None,
    holds: tuple[Hold, ...] = (),
    handle: int | None = None,
    disposition: str = "resolved",
) -> ClosedContact:
    closed_at = closed_at or at(2)
    return ClosedContact(
        id="T-1",
        channel="chat",
        agent="sam",
        opened_at=opened,
        closed_at=closed_at,
        sla_due_at=due or closed_at,
        disposition=disposition,
        reopened=reopened,
        next_contact_at=next_at,
        handle_seconds=handle,
        holds=holds,
    )


# -- each formula ----------------------------------------------------------------------------


def test_no_answers_is_no_figure_never_zero() -> None:
    assert csat_percent([]) is None
    assert csat_percent([None, None]) is None
    assert nps([None]) is None
    assert ces_mean([]) is None
    assert fcr_percent([]) is None
    assert fcr_percent([closed(disposition="escalated")]) is None
    assert frt_median_s([]) is None and frt_p90_s([]) is None
    assert aht_mean_s([closed()]) is None  # neither holds nor an imported handle time
    assert sla_attainment_percent([]) is None
    assert compensation_total([]) is None
    assert metrics(Period(DAY, at(24)), Facts()).to_dict()["csat_percent"] is None


def test_survey_formulas() -> None:
    assert csat_percent([5, 4, 3, None]) == 66.7
    assert csat_percent([1, 2]) == 0.0
    # 2 promoters, 1 passive, 1 detractor: (2 - 1) / 4.
    assert nps([10, 9, 8, 6, None]) == 25.0
    assert nps([0, 6]) == -100.0
    assert ces_mean([7, 6, None]) == 6.5


def test_half_even_rounding() -> None:
    assert csat_percent([5] + [1] * 15) == 6.2  # 6.25: to the even digit, not up
    assert csat_percent([5] * 3 + [1] * 13) == 18.8  # 18.75
    assert ces_mean([1] * 3 + [7] * 5 + [1] * 0) == 4.75
    assert ces_mean([4, 4, 4, 4, 4, 5, 5, 3]) == 4.12  # 4.125
    assert one_decimal(Fraction(5, 100)) == 0.0 and one_decimal(Fraction(15, 100)) == 0.2
    two_and_a_half = closed(holds=(Hold(at(0), at(0) + timedelta(seconds=2.5)),))
    three_and_a_half = closed(holds=(Hold(at(0), at(0) + timedelta(seconds=3.5)),))
    assert aht_mean_s([two_and_a_half]) == 2
    assert aht_mean_s([three_and_a_half]) == 4


def test_nearest_rank_percentiles() -> None:
    assert nearest_rank([4, 1, 3, 2], 50) == 2  # rank ceil(2.0) = 2
    assert nearest_rank([4, 1, 3, 2], 90) == 4  # rank ceil(3.6) = 4
    assert nearest_rank([7], 90) == 7
    assert nearest_rank(list(range(1, 11)), 90) == 9  # rank 9 exactly, not interpolated
    assert nearest_rank(list(range(1, 12)), 90) == 10  # rank ceil(9.9) = 10
    assert nearest_rank([], 50) is None
    responses = [
        FirstResponse("chat", None, at(0), at(0) + timedelta(seconds=s)) for s in (30, 10, 20)
    ]
    assert (frt_median_s(responses), frt_p90_s(responses)) == (20, 30)


def test_a_reopened_contact_was_not_resolved_the_first_time() -> None:
    assert not first_contact_resolved(closed(reopened=1))
    assert fcr_percent([closed(reopened=2), closed()]) == 50.0


def test_a_customer_back_on_day_7_is_not_first_contact_resolution_on_day_8_it_is() -> None:
    day_7 = closed(next_at=at(2, days=7))  # exactly 7 days after the resolution
    day_8 = closed(next_at=at(2, days=8))
    just_in = closed(next_at=at(1, days=7))
    assert not first_contact_resolved(day_7)
    assert not first_contact_resolved(just_in)
    assert first_contact_resolved(day_8)
    assert fcr_percent([day_7, day_8]) == 50.0
    # Only a contact with disposition `resolved` is counted at all.
    assert fcr_percent([day_8, closed(disposition="pending")]) == 100.0


def test_handle_time_sums_every_hold() -> None:
    released_then_claimed_again = closed(
        closed_at=at(3),
        holds=(Hold(at(0), at(0.5)), Hold(at(2), at(3))),  # 30 min, then 60 min
    )
    assert handle_time(released_then_claimed_again) == 5400
    # A hold still running when read ends at the close.
    assert handle_time(closed(closed_at=at(3), holds=(Hold(at(2.5), None),))) == 1800
    imported = closed(handle=420)
    assert aht_mean_s([released_then_claimed_again, imported, closed()]) == (5400 + 420) // 2


def test_service_level_counts_a_close_at_the_due_time_as_met() -> None:
    on_time = closed(closed_at=at(2), due=at(2))
    late = closed(closed_at=at(2), due=at(1))
    assert sla_attainment_percent([on_time, late, on_time]) == 66.7


def test_compensation_is_a_decimal_string() -> None:
    assert compensation_total([Decimal("12.50"), Decimal("5.25")]) == "17.75"
    assert compensation_total([Decimal("0.00")]) == "0.00"


def test_groups_keep_only_their_own_facts() -> None:
    facts = Facts(
        surveys=(SurveyAnswer("chat", "sam", csat=5), SurveyAnswer("email", "ria", csat=1)),
        opened=(Tally("chat", None, 3),),
        given=(Tally(None, "sam", 1, Decimal("4.00")),),
    )
    report = metrics(Period(DAY, at(24)), facts).to_dict()
    assert report["csat_percent"] == 50.0
    assert list(report["by_channel"]) == ["chat", "email", "call", "social", "sms"]  # type: ignore[call-overload]
    assert report["by_channel"]["chat"]["csat_percent"] == 100.0  # type: ignore[index]
    assert report["by_channel"]["sms"]["contacts_opened"] == 0  # type: ignore[index]
    assert "compensation_total" not in report["by_channel"]["chat"]  # type: ignore[index]
    assert report["by_agent"]["sam"]["compensation_total"] == "4.00"  # type: ignore[index]
    assert report["by_agent"]["ria"]["compensation_total"] is None  # type: ignore[index]
    assert "contacts_opened" not in report["by_agent"]["ria"]  # type: ignore[index]


def test_friction_by_rule_and_turnaround() -> None:
    report = friction(
        Period(DAY, at(24)),
        [
            RuleTally("refund.limit", "needs_approval", "executed", 2),
            RuleTally("refund.limit", "needs_approval", "denied", 1),
            RuleTally("refund.limit", "deny", "denied", 1),
            RuleTally("discount.limit", "allow", "executed", 9),
        ],
        [Turnaround(at(0), at(0) + timedelta(seconds=s)) for s in (60, 600, 6000)],
        [Spend("sam", "refund", 2, Decimal("30.00"))],
    )
    (rule,) = report.rules  # a rule that only allowed caused no friction
    assert (rule.rule, rule.denied, rule.requested, rule.approved, rule.refused) == (
        "refund.limit",
        1,
        3,
        2,
        1,
    )
    assert (report.turnaround_median_s, report.turnaround_p90_s) == (600, 6000)


def test_the_period_options() -> None:
    now = datetime(2026, 11, 7, 15, 30, tzinfo=UTC)
    assert period_of(None, None, now) == Period(DAY, at(24))
    assert period_of("2026-11-01", None, now) == Period(at(0, days=-6), at(24))
    assert period_of(None, "2026-11-07", now) == Period(at(0, days=-1), DAY)
    assert period_of("2026-11-07T09:30+01:00", "2026-11-07T10:00Z", now) == Period(at(8.5), at(10))
    with pytest.raises(BadPeriod, match="--since: expected a date"):
        period_of("yesterday", None, now)
    with pytest.raises(BadPeriod, match="must be after"):
        period_of("2026-11-08", "2026-11-07", now)


# -- a hand-made data set, through `caredesk report` ------------------------------------------


def _ticket(
    s: object,
    tid: str,
    cid: str,
    channel: str,
    opened: datetime,
    *,
    status: str = "resolved",
    agent: int | None = None,
    first: datetime | None = None,
    resolved: datetime | None = None,
    due: datetime | None = None,
    reopened: int = 0,
    handle: int | None = None,
) -> None:
    s.add(  # type: ignore[attr-defined]
        Ticket(
            id=tid,
            customer_id=cid,
            channel=channel,
            subject="Where is my order?",
            status=status,
            active=status in ("open", "escalated"),
            priority="normal",
            priority_rank=2,
            opened_at=opened,
            sla_due_at=due or opened + timedelta(hours=4),
            assigned_agent_id=agent,
            first_response_at=first,
            resolved_at=resolved,
            disposition="resolved" if status == "resolved" else None,
            reopened=reopened,
            handle_seconds=handle,
        )
    )


def _action(
    s: object,
    ref: str,
    agent: int,
    kind: str,
    amount: str,
    *,
    verdict: str,
    rule: str,
    status: str,
    requested: datetime,
    decided: datetime | None = None,
    executed: datetime | None = None,
) -> None:
    action_queries.insert_action(
        s,  # type: ignore[arg-type]
        {
            "ref": ref,
            "kind": kind,
            "customer_id": "C-1",
            "agent_id": agent,
            "amount": Decimal(amount),
            "currency": "USD",
            "reason": "Jug cracked",
            "verdict": verdict,
            "rule": rule,
            "verdict_reason": "as the policy says",
            "policy_hash": "0123456789abcdef",
            "status": status,
            "requested_at": requested,
            "decided_at": decided,
            "executed_at": executed,
        },
    )


def _seed(db: Database) -> None:
    """Contacts, holds, surveys and actions around 2026-11-07, figures worked out by hand."""
    for cid in ("C-1", "C-2", "C-3"):
        add_customer(db, cid)
    sam, ria = (a.id for a in add_agents(db, "sam", "ria"))
    with unit_of_work(db) as s:
        # Closed on the day: T-1 (customer back exactly 7 days later: not FCR), T-2 (reopened;
        # late; imported handle time), T-3 (closed at its due time; customer back on day 8).
        _ticket(s, "T-1", "C-1", "chat", at(8), agent=sam, first=at(8, 0) + timedelta(minutes=5),
                resolved=at(9), due=at(10))  # fmt: skip
        _ticket(s, "T-2", "C-2", "email", at(20, days=-1), agent=ria, first=at(1),
                resolved=at(12), due=at(11), reopened=1, handle=900)  # fmt: skip
        _ticket(s, "T-3", "C-3", "chat", at(10), agent=sam, first=at(10) + timedelta(seconds=90),
                resolved=at(11), due=at(11))  # fmt: skip
        _ticket(s, "T-4", "C-1", "chat", at(9, days=7), status="open")
        _ticket(s, "T-5", "C-3", "sms", at(12, days=8), status="open")
        # Opened on the day and still to be worked at its end (T-6, T-7), or parked (T-8).
        _ticket(s, "T-6", "C-2", "call", at(15), status="open")
        _ticket(s, "T-7", "C-2", "email", at(16), status="escalated", agent=ria,
                first=at(16) + timedelta(seconds=1))  # fmt: skip
        _ticket(s, "T-8", "C-2", "chat", at(17), status="pending")
        # Opened the day before, closed only after the day: in the backlog at its end.
        _ticket(s, "T-10", "C-2", "chat", at(10, days=-1), first=at(10.1, days=-1),
                resolved=at(1, days=1))  # fmt: skip
        s.flush()
        # T-1 was released after 10 minutes and claimed again for its last 30.
        s.add(ContactHold(ticket_id="T-1", agent_id=sam, started_at=at(8) + timedelta(minutes=1),
                          ended_at=at(8) + timedelta(minutes=11), ended_by="release"))  # fmt: skip
        s.add(ContactHold(ticket_id="T-1", agent_id=sam, started_at=at(8.5), ended_at=at(9),
                          ended_by="resolve"))  # fmt: skip
        for sid, tid, when, csat, ces, nps_ in (
            ("S-1", "T-1", at(12), 5, 6, 9),
            ("S-2", "T-2", at(13), 3, 3, 6),
            ("S-3", "T-3", at(14), 4, None, 10),
            ("S-4", "T-1", at(24), 1, 1, 0),  # the next day
        ):
            s.add(Survey(id=sid, ticket_id=tid, at=when, csat=csat, ces=ces, nps=nps_))
        _action(s, "A-1", sam, "refund", "12.50", verdict="allow", rule="refund.limit",
                status="executed", requested=at(10), executed=at(10))  # fmt: skip
        _action(s, "A-2", sam, "discount", "5.25", verdict="needs_approval",
                rule="discount.limit", status="executed", requested=at(9), decided=at(9.5),
                executed=at(9.5) + timedelta(minutes=1))  # fmt: skip
        _action(s, "A-3", ria, "store_credit", "20.00", verdict="needs_approval",
                rule="store_credit.limit", status="requested", requested=at(20))  # fmt: skip
        _action(s, "A-4", ria, "cancel_order", "40.00", verdict="allow", rule="cancel.allowed",
                status="executed", requested=at(11), executed=at(11))  # fmt: skip
        _action(s, "A-5", ria, "refund", "99.00", verdict="deny", rule="refund.window",
                status="denied", requested=at(12), decided=at(12))  # fmt: skip
        # Requested on the day, approved only the next morning: waiting at the day's end.
        _action(s, "A-6", sam, "store_credit", "8.00", verdict="needs_approval",
                rule="store_credit.limit", status="approved", requested=at(22),
                decided=at(9, days=1))  # fmt: skip


def _report(capsys: pytest.CaptureFixture[str], db: Database, *extra: str) -> tuple[int, str]:
    code = main(["report", "--db", db.url, "--since", "2026-11-07", "--until", "2026-11-08",
                 *extra])  # fmt: skip
    out, err = capsys.readouterr()
    assert err == ""
    return code, out


NOTHING = {k: None for k in ("csat_percent", "nps", "ces_mean", "fcr_percent", "frt_median_s",
                             "frt_p90_s", "aht_mean_s", "sla_attainment_percent")}  # fmt: skip


def test_report_json_has_the_figures_worked_out_by_hand(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(db)
    code, out = _report(capsys, db, "--json")
    assert code == 0
    report = json.loads(out)
    by_channel, by_agent = report.pop("by_channel"), report.pop("by_agent")
    assert report == {
        "csat_percent": 66.7,  # 5 and 4 of 5, 3, 4
        "nps": 33.3,  # (9, 10 minus 6) / 3
        "ces_mean": 4.5,  # (6 + 3) / 2
        "fcr_percent": 33.3,  # T-3 alone
        "frt_median_s": 90,  # of 1, 90, 300, 18000: rank 2
        "frt_p90_s": 18000,  # rank 4
        "aht_mean_s": 1650,  # (600 + 1800 for T-1, 900 for T-2) / 2; T-3 has neither
        "sla_attainment_percent": 66.7,  # T-2 late
        "contacts_opened": 5,
        "contacts_closed": 3,
        "backlog": 3,  # T-6, T-7, and T-10 closed after the day
        "compensation_total": "17.75",  # the cancellation gives nothing
        "approvals_waiting": 2,  # decided the next day
        "since": "2026-11-07T00:00:00Z",
        "until": "2026-11-08T00:00:00Z",
    }
    assert by_channel["chat"] == {
        "csat_percent": 100.0,
        "nps": 100.0,
        "ces_mean": 6.0,
        "fcr_percent": 50.0,
        "frt_median_s": 90,
        "frt_p90_s": 300,
        "aht_mean_s": 2400,
        "sla_attainment_percent": 100.0,
        "contacts_opened": 3,
        "contacts_closed": 2,
        "backlog": 1,
    }
    assert by_channel["call"] == {**NOTHING, "contacts_opened": 1, "contacts_closed": 0,
                                  "backlog": 1}  # fmt: skip
    assert by_channel["sms"] == {**NOTHING, "contacts_opened": 0, "contacts_closed": 0,
                                 "backlog": 0}  # fmt: skip
    assert by_agent == {
        "ria": {
            "csat_percent": 0.0,
            "nps": -100.0,
            "ces_mean": 3.0,
            "fcr_percent": 0.0,
            "frt_median_s": 1,
            "frt_p90_s": 18000,
            "aht_mean_s": 900,
            "sla_attainment_percent": 0.0,
            "contacts_closed": 1,
            "compensation_total": None,
            "approvals_waiting": 1,
        },
        "sam": {
            "csat_percent": 100.0,
            "nps": 100.0,
            "ces_mean": 6.0,
            "fcr_percent": 50.0,
            "frt_median_s": 90,
            "frt_p90_s": 300,
            "aht_mean_s": 2400,
            "sla_attainment_percent": 100.0,
            "contacts_closed": 2,
            "compensation_total": "17.75",
            "approvals_waiting": 1,
        },
    }


def test_report_policy_friction(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    _seed(db)
    code, out = _report(capsys, db, "--policy", "--json")
    assert code == 0
    assert json.loads(out) == {
        "since": "2026-11-07T00:00:00Z",
        "until": "2026-11-08T00:00:00Z",
        "rules": [
            {"rule": "store_credit.limit", "denied": 0, "requested": 2, "approved": 1,
             "refused": 0, "withdrawn": 0, "waiting": 1},
            {"rule": "discount.limit", "denied": 0, "requested": 1, "approved": 1,
             "refused": 0, "withdrawn": 0, "waiting": 0},
            {"rule": "refund.window", "denied": 1, "requested": 0, "approved": 0,
             "refused": 0, "withdrawn": 0, "waiting": 0},
        ],
        "approvals_decided": 1,
        "approval_turnaround_median_s": 1800,
        "approval_turnaround_p90_s": 1800,
        "budget_used": [
            {"agent": "ria", "kind": "cancel_order", "count": 1, "amount": "40.00"},
            {"agent": "sam", "kind": "discount", "count": 1, "amount": "5.25"},
            {"agent": "sam", "kind": "refund", "count": 1, "amount": "12.50"},
        ],
    }  # fmt: skip
    code, out = _report(capsys, db, "--policy")
    assert "store_credit.limit" in out and "median 30m 00s" in out


def test_report_csv_and_text(sqlite_db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    _seed(sqlite_db)
    code, out = _report(capsys, sqlite_db, "--csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["by"], r["name"]) for r in rows] == [
        ("channel", "chat"), ("channel", "email"), ("channel", "call"), ("channel", "social"),
        ("channel", "sms"), ("agent", "ria"), ("agent", "sam"),
    ]  # fmt: skip
    sam = rows[-1]
    assert (sam["aht_mean_s"], sam["compensation_total"], sam["contacts_opened"]) == (
        "2400",
        "17.75",
        "",
    )
    assert rows[2]["csat_percent"] == ""  # no survey on a call: no figure, not 0
    code, out = _report(capsys, sqlite_db)
    assert code == 0
    assert "FRT median" in out and "40m 00s" in out and "17.75" in out
    assert "Report 2026-11-07T00:00:00Z to 2026-11-08T00:00:00Z (UTC)" in out


def test_report_reads_a_read_only_database(
    sqlite_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(sqlite_db)
    path = Path(sqlite_db.url.removeprefix("sqlite:///"))
    sqlite_db.dispose()
    path.chmod(0o444)
    code, out = _report(capsys, sqlite_db, "--json")
    assert code == 0 and json.loads(out)["contacts_closed"] == 3


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--since", "last week"], "--since: expected a date (2026-11-07)"),
        (["--until", "2026-13-01"], "--until: expected a date"),
        (["--since", "2026-11-08", "--until", "2026-11-07"], "must be after --since"),
    ],
)
def test_bad_dates_are_one_clear_line(
    sqlite_db: Database, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code = main(["report", "--db", sqlite_db.url, *argv])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("caredesk: ") and message in err and len(err.splitlines()) == 1


def test_json_and_csv_are_one_or_the_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["report", "--json", "--csv"])
    assert exit_.value.code == 2
    assert "not allowed with" in capsys.readouterr().err


def test_an_empty_period_is_no_figure(
    sqlite_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["report", "--db", sqlite_db.url, "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["csat_percent"] is None and report["compensation_total"] is None
    assert report["contacts_closed"] == 0 and report["by_agent"] == {}
    assert report["since"] == f"{datetime.now(UTC).date().isoformat()}T00:00:00Z"
