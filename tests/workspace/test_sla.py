from __future__ import annotations

from datetime import timedelta

from tests.factories import NOW
from workspace.sla import SlaLevel, format_duration, sla_due, sla_state


def test_levels_and_text_read_without_colour() -> None:
    breached = sla_state(NOW - timedelta(minutes=3), NOW)
    assert breached.level is SlaLevel.BREACHED and breached.text == "BREACHED 3m"
    risk = sla_state(NOW + timedelta(minutes=12), NOW)
    assert risk.level is SlaLevel.AT_RISK and risk.text == "! 12m left"
    ok = sla_state(NOW + timedelta(hours=3, minutes=5), NOW)
    assert ok.level is SlaLevel.OK and ok.text == "3h05m left"
    assert sla_state(NOW, NOW, resolved=True).text == "done"
    early = NOW - timedelta(minutes=5)
    assert sla_state(NOW, NOW, resolved=True, resolved_at=early).text == "done, met"
    assert sla_state(NOW, NOW, resolved=True, resolved_at=NOW).text == "done, met"
    late = NOW + timedelta(hours=2, minutes=5)
    assert sla_state(NOW, late, resolved=True, resolved_at=late).text == "done 2h05m late"


def test_boundary_of_at_risk_is_fifteen_minutes() -> None:
    assert sla_state(NOW + timedelta(minutes=15), NOW).level is SlaLevel.AT_RISK
    assert sla_state(NOW + timedelta(minutes=15, seconds=1), NOW).level is SlaLevel.OK
    assert sla_state(NOW - timedelta(seconds=1), NOW).level is SlaLevel.BREACHED


def test_durations() -> None:
    assert [format_duration(s) for s in (0, 59, 60, 3599, 3600, 86400 + 7200)] == [
        "0s",
        "59s",
        "1m",
        "59m",
        "1h00m",
        "1d02h",
    ]


def test_sla_due_depends_on_channel_and_priority() -> None:
    assert sla_due("call", "urgent", NOW) - NOW == timedelta(minutes=2)
    assert sla_due("email", "low", NOW) - NOW == timedelta(days=2)
    assert sla_due("chat", "high", NOW) < sla_due("chat", "low", NOW)
