from __future__ import annotations

from datetime import timedelta

from tests.factories import NOW
from workspace.queue import (
    QueueFilter,
    QueueKey,
    QueueRow,
    cells,
    describe,
    next_channel,
    next_status,
    plan_page,
    toggle_mine,
)


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
    assert theirs.waiting == "7m" and theirs.sla.text == "! 5m left"
