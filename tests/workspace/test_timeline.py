"""The timeline's order events and the merge of a page: pure, no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from tests.factories import NOW
from workspace.customers import OrderItemRecord, OrderRecord
from workspace.timeline import TimelineKey, TimelineRecord, merge_page, order_events

ITEM = OrderItemRecord("BL-200", "Countertop blender", Decimal("129.00"), 1)


def _order(oid: str, placed_days_ago: int, delivered_days_ago: int | None, promised: date | None):
    delivered = NOW - timedelta(days=delivered_days_ago) if delivered_days_ago is not None else None
    placed = NOW - timedelta(days=placed_days_ago)
    return OrderRecord(
        oid, "C-1", placed, "delivered", promised, delivered, Decimal("129.00"), (ITEM,)
    )


def _message(minutes_ago: int, ident: int) -> TimelineRecord:
    at = NOW - timedelta(minutes=minutes_ago)
    return TimelineRecord(
        TimelineKey(at, 0, ident), "message", at, "chat", "inbound", None, "hi", None, "I", None
    )


def test_order_events_say_when_a_delivery_was_late() -> None:
    late = _order("W1", 6, 2, (NOW - timedelta(days=4)).date())
    on_time = _order("W2", 6, 2, (NOW - timedelta(days=1)).date())
    texts = {e.key.id: e.text for e in order_events([late, on_time])}
    assert texts["W1/placed"] == "Order W1 placed: Countertop blender x1 (129.00)"
    assert (
        texts["W1/delivered"]
        == f"Order W1 delivered, 2 days after the promised {late.promised_by}."
    )
    assert texts["W2/delivered"] == "Order W2 delivered."
    assert [e.subject for e in order_events([late])] == ["Order W1 placed", "Order W1 delivered"]


def test_a_late_delivery_stays_late_in_history_after_a_return() -> None:
    returned = replace(_order("W3", 9, 2, (NOW - timedelta(days=5)).date()), status="returned")
    delivered = [e.text for e in order_events([returned]) if e.kind == "order_delivered"]
    assert delivered == [f"Order W3 delivered, 3 days after the promised {returned.promised_by}."]


def test_merge_pages_newest_first_and_respects_the_cursor() -> None:
    order = _order("W1", 3, 1, None)  # placed 3 days ago, delivered 1 day ago
    messages = [_message(10, 3), _message(60 * 30, 2), _message(60 * 24 * 5, 1)]
    page = merge_page(messages, [order], None, 3)
    assert [e.key.id for e in page] == [3, "W1/delivered", 2]
    rest = merge_page([messages[2]], [order], page[-1].key, 10)
    assert [e.key.id for e in rest] == ["W1/placed", 1]
