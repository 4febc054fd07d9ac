from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from storage import queue_queries
from tests.factories import NOW
from workspace.queue import (
    QueueFilter,
    QueueKey,
    QueueRow,
    cells,
    describe,
    handle_time,
    next_channel,
    next_status,
    plan_page,
    toggle_mine,
)
from workspace.vocabulary import ContactStatus


def _key(i: int) -> QueueKey:
    return QueueKey(NOW + timedelta(minutes=i), 2, NOW, f"T-{i}")


def test_plan_prefers_keyset_from_the_row_above() -> None:
    known = {9: _key(9)}
    plan = plan_page(10, 60, 1000, known.get)
    assert plan.after == _key(9) and plan.start == 10 and plan.limit == 50


def test_plan_reads_backwards_from_the_row_below() -> None:
    known = {60: _key(60)}
    plan = plan_page(10, 60, 1000, known.get)
    assert plan.before == _key(60) and plan.after is None


def test_plan_jumps_by_offset_when_nothing_near_is_loaded() -> None:
    plan = plan_page(500, 550, 1000, {}.get)
    assert plan.after is None and plan.before is None and plan.start == 500


def test_plan_is_clamped_to_the_queue() -> None:
    plan = plan_page(-20, 5000, 30, {}.get)
    assert plan.start == 0 and plan.limit == 30


def test_filters_cycle() -> None:
    assert next_channel(None) == "chat"
    assert next_channel("sms") is None
    # The active view is the open contacts: the cycle goes on to the parked ones.
    assert next_status(None) == "pending"
    assert next_status("pending") == "resolved"
    assert next_status("resolved") is None  # back to the active view
    # Those who work the escalation queue see it, between the parked and the resolved.
    assert next_status("pending", escalation=True) == "escalated"
    assert next_status("escalated", escalation=True) == "resolved"
    assert next_status("escalated") is None  # a view someone no longer has goes back
    mine = toggle_mine(QueueFilter(), 7)
    assert mine.agent_id == 7 and toggle_mine(mine, 7).agent_id is None
    assert describe(QueueFilter(channel="chat", agent_id=1)) == "active · chat · mine"


def _row(holder: int | None, name: str = "[bold]Mallory\x1b[2J") -> QueueRow:
    return QueueRow(
        id="T-1",
        customer_id="C-1",
        customer_name=name,
        tier="gold",
        channel="chat",
        subject="line one\nline two",
        status="open",
        priority="high",
        opened_at=NOW - timedelta(minutes=7),
        sla_due_at=NOW + timedelta(minutes=5),
        holder_id=holder,
        holder_name="Sam" if holder else None,
        claimed_at=None,
        version=0,
        key=_key(1),
    )


def test_cells_show_holder_and_sanitise_customer_text() -> None:
    mine = cells(_row(3), NOW, me=3)
    assert mine.holder == "you" and mine.mine
    theirs = cells(_row(4), NOW, me=3)
    assert theirs.holder == "Sam" and not theirs.mine
    assert "\x1b" not in theirs.customer and "^[" in theirs.customer
    assert "[bold]" in theirs.customer  # shown literally, never interpreted
    assert "\n" not in theirs.subject
    assert theirs.elapsed == "7m" and theirs.sla.text == "! 5m left"


def _closed(**changes: object) -> QueueRow:
    """A contact opened two days ago, claimed a day ago and closed 25 minutes after."""
    claimed = NOW - timedelta(days=1)
    row = replace(
        _row(3),
        status="resolved",
        opened_at=NOW - timedelta(days=2),
        claimed_at=claimed,
        resolved_at=claimed + timedelta(minutes=25),
    )
    return replace(row, **changes)  # type: ignore[arg-type]


def test_a_closed_contact_shows_its_handle_time_fixed_at_its_close() -> None:
    row = _closed()
    assert handle_time(row) == 25 * 60
    shown = cells(row, NOW, me=3)
    assert shown.elapsed == "25m" and shown.sla.text == "done, met"
    # Never against the clock: a year on, it still took 25 minutes.
    assert cells(row, NOW + timedelta(days=365), me=3).elapsed == "25m"


@pytest.mark.parametrize(
    ("changes", "seconds", "shown"),
    [
        # An imported contact carries the time its source system measured.
        ({"handle_seconds": 540}, 540, "9m"),
        ({"handle_seconds": 0, "claimed_at": None}, 0, "0s"),
        # Nothing stored tells how long it was worked: shown as unknown, not as 0.
        ({"claimed_at": None}, None, "-"),
        ({"resolved_at": None}, None, "-"),
        ({"resolved_at": NOW - timedelta(days=3)}, None, "-"),  # closed before its claim
    ],
)
def test_handle_time_uses_what_is_stored(
    changes: dict[str, object], seconds: int | None, shown: str
) -> None:
    row = _closed(**changes)
    assert handle_time(row) == seconds
    assert cells(row, NOW, me=3).elapsed == shown


def test_contacts_not_closed_show_how_long_they_have_waited() -> None:
    for status in ("open", "pending", "escalated"):
        row = _closed(status=status, handle_seconds=540)
        assert handle_time(row) is None
        assert cells(row, NOW, me=3).elapsed == "2d00h"


def test_only_the_resolved_view_is_closed() -> None:
    assert QueueFilter(status=ContactStatus.RESOLVED, agent_id=1).closed
    views = (None, ContactStatus.OPEN, ContactStatus.PENDING, ContactStatus.ESCALATED)
    assert not any(QueueFilter(status=status).closed for status in views)
    # The storage layer names the closed status itself: the two spellings agree.
    assert queue_queries.CLOSED == ContactStatus.RESOLVED
