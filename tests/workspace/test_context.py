from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from tests.factories import NOW
from workspace.context import is_late, make_digest, repeat_contact
from workspace.customers import CustomerRecord, OrderRecord
from workspace.timeline import TimelineKey, TimelineRecord

CUSTOMER = CustomerRecord("C-1", "Dana", None, None, "gold", date(2019, 4, 2))


def _msg(days_ago: float, channel: str, direction: str = "inbound") -> TimelineRecord:
    at = NOW - timedelta(days=days_ago)
    return TimelineRecord(
        TimelineKey(at, 0, int(days_ago * 100)),
        "message",
        at,
        channel,
        direction,
        None,
        "x",
        None,
        "I",
        None,
    )


def _order(oid: str, status: str, promised: date | None, delivered_days_ago: int | None):
    delivered = NOW - timedelta(days=delivered_days_ago) if delivered_days_ago is not None else None
    return OrderRecord(
        oid, "C-1", NOW - timedelta(days=10), status, promised, delivered, Decimal("10.00"), ()
    )


def test_repeat_contact_counts_other_channels_in_the_last_week() -> None:
    recent = [_msg(1, "email"), _msg(2, "chat"), _msg(3, "email"), _msg(0.5, "call", "outbound")]
    r = repeat_contact(recent, "call", NOW)
    assert r is not None and r.channels == ("email", "chat") and r.count == 3
    assert repeat_contact(recent, "email", NOW).channels == ("chat",)
    assert repeat_contact([_msg(8, "email")], "call", NOW) is None
    assert repeat_contact([_msg(1, "call")], "call", NOW) is None


def test_late_orders() -> None:
    today = NOW.date()
    assert is_late(_order("a", "delivered", today - timedelta(days=5), 3), today)
    assert not is_late(_order("b", "delivered", today - timedelta(days=1), 3), today)
    assert is_late(_order("c", "shipped", today - timedelta(days=1), None), today)
    assert not is_late(_order("d", "cancelled", today - timedelta(days=9), None), today)
    assert not is_late(_order("e", "pending", None, None), today)


def test_digest_collects_open_and_late_orders() -> None:
    orders = [
        _order("W1", "shipped", NOW.date() - timedelta(days=2), None),
        _order("W2", "pending", NOW.date() + timedelta(days=2), None),
        _order("W3", "delivered", NOW.date() - timedelta(days=6), 2),
    ]
    d = make_digest(CUSTOMER, orders, [], [_msg(1, "email")], 42, "chat", NOW)
    assert [o.id for o in d.open_orders] == ["W1", "W2"]
    assert [o.id for o in d.late_orders] == ["W1", "W3"]
    assert d.repeat is not None and d.interactions == 42
