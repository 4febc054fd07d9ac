"""A customer's past: threads that fit their orders, spread over time, some as tickets.

`History` gives the generator (`generate.Builder`) the resolved part of the data: which
stories an order allows and when, where a thread fits among the customer's others, and the
resolved tickets a few threads become.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from storage.records import PRIORITY_RANK
from workspace.demo.catalogue import (
    AGENT_NAMES,
    CHANNELS,
    HISTORY_GAP,
    PRIORITIES,
    PRIORITY_WEIGHTS,
    REPLY_WEIGHTS,
    THREAD_CHANNEL_WEIGHTS,
)
from workspace.demo.conversation import Conversations
from workspace.demo.drafts import Batch, Msg, PlacedOrder
from workspace.demo.threads import GENERIC_STORIES, SCENARIOS
from workspace.demo.values import between, whole_seconds
from workspace.sla import sla_due


class History(Conversations):
    """Writes a customer's resolved history on top of the threads `Conversations` writes."""

    now: datetime
    agent_ids: dict[str, int]
    ticket_seq: int
    counts: dict[str, int]

    def _window(self, key: str, o: PlacedOrder | None) -> tuple[datetime, datetime] | None:
        """When a history thread of this kind about this order can start, or None."""
        if o is None:
            return None
        d = o.delivered_at
        placed = o.placed_at
        if key == "late":
            if d is None or d.date() <= o.promised_by:
                return None
            start = datetime.combine(o.promised_by + timedelta(days=1), time(8), UTC)
            return start, d - timedelta(hours=6)
        if key == "where":
            return placed + timedelta(days=1), placed + timedelta(days=2)
        if key in ("damaged", "wrong_item"):
            return (d, d + timedelta(days=4)) if d is not None else None
        if key == "compliment":
            return (d + timedelta(days=1), d + timedelta(days=10)) if d is not None else None
        if key in ("double_charge", "promo"):
            return placed + timedelta(days=1), placed + timedelta(days=9)
        if key == "refund":
            if o.status == "returned" and d is not None:
                return d + timedelta(days=8), d + timedelta(days=25)
            return placed + timedelta(days=3), placed + timedelta(days=10)
        if key in ("address", "cancel"):
            return placed + timedelta(minutes=15), placed + timedelta(hours=5)
        if key == "warranty":
            return (d + timedelta(days=60), d + timedelta(days=700)) if d is not None else None
        return None

    def _history_candidates(
        self, orders: list[PlacedOrder]
    ) -> list[tuple[str, PlacedOrder | None, int]]:
        found: list[tuple[str, PlacedOrder | None, int]] = []
        for o in orders:
            if o.status == "cancelled":
                found += [("cancel", o, 3), ("refund", o, 1)]
                continue
            found += [("where", o, 2), ("double_charge", o, 1), ("promo", o, 1)]
            found.append(("address", o, 1))
            if o.delivered_at is not None:
                found += [("damaged", o, 3), ("wrong_item", o, 1)]
                if o.status == "delivered":
                    found.append(("compliment", o, 1))
                if o.delivered_at.date() > o.promised_by:
                    found.append(("late", o, 8))
                if any(p.warranty_months for p, _ in o.items):
                    found.append(("warranty", o, 1))
            if o.status == "returned":
                found.append(("refund", o, 5))
        return found

    def _pick_history(
        self,
        candidates: list[tuple[str, PlacedOrder | None, int]],
        used: dict[str, int],
        orders: list[PlacedOrder],
        size: int,
        lo: datetime,
        hi: datetime,
    ) -> tuple[str, PlacedOrder | None, datetime, datetime]:
        """A story for a past thread, the order it is about, and when it can start.

        Each story is told once per order and an order is talked about at most twice, so a
        customer's history reads like separate episodes; when those run out, the customer
        asks about products or their account.
        """
        rng = self.rng
        if size == 1:  # a lone message: a thank-you for a delivery, or an unanswered question
            delivered = [o for o in orders if o.status == "delivered" and o.id not in used]
            if delivered:
                thanked = rng.choice(delivered)
                used[thanked.id] = 2  # a thank-you closes the order's story
                window = self._window("compliment", thanked)
                if window is not None and max(window[0], lo) < min(window[1], hi):
                    return "compliment", thanked, max(window[0], lo), min(window[1], hi)
            return "product", None, lo, hi
        for _ in range(4):
            if not candidates:
                break
            i = rng.choices(range(len(candidates)), [w for _, _, w in candidates])[0]
            key, order, _w = candidates.pop(i)
            window = self._window(key, order)
            if order is None or window is None or max(window[0], lo) >= min(window[1], hi):
                continue
            if key == "compliment" and order.id in used:
                continue
            used[order.id] = 2 if key == "compliment" else used.get(order.id, 0) + 1
            if used[order.id] >= 2:
                candidates[:] = [c for c in candidates if c[1] is not order]
            return key, order, max(window[0], lo), min(window[1], hi)
        return rng.choice(GENERIC_STORIES), None, lo, hi

    def _place(
        self, lo: datetime, hi: datetime, duration: timedelta, busy: list[tuple[datetime, datetime]]
    ) -> datetime | None:
        """A start in [lo, hi] for a thread lasting `duration` that overlaps none in `busy`."""
        if hi < lo:
            return None
        for _ in range(6):
            t0 = between(self.rng, lo, hi)
            if not any(t0 <= end and start <= t0 + duration for start, end in busy):
                return t0
        return None

    def _history(
        self,
        batch: Batch,
        cid: str,
        since_at: datetime,
        orders: list[PlacedOrder],
        base: dict[str, str],
        msgs: list[Msg],
        budget: int,
    ) -> None:
        """Past threads that use up exactly `budget` messages; some become resolved tickets."""
        rng = self.rng
        hi = self.now - HISTORY_GAP
        candidates = self._history_candidates(orders)
        used: dict[str, int] = {}
        busy: list[tuple[datetime, datetime]] = []
        wanted_tickets = rng.choices((0, 1, 2), (60, 30, 10))[0]
        while budget > 0:
            size = 1 if budget == 1 else min(budget, rng.randint(2, 6))
            agent = rng.choices(AGENT_NAMES, REPLY_WEIGHTS)[0]
            channel = rng.choices(CHANNELS, THREAD_CHANNEL_WEIGHTS)[0]
            key, order, lo_t, hi_t = self._pick_history(
                candidates, used, orders, size, since_at, hi
            )
            ctx = self._ctx(base, key, order, agent)
            thread, subject = self._thread(SCENARIOS[key], ctx, channel, agent, size)
            duration = thread[-1].at - thread[0].at
            t0 = self._place(lo_t, min(hi_t, hi - duration), duration, busy)
            if t0 is None and order is not None:  # no room left around this order
                key, order = rng.choice(GENERIC_STORIES), None
                ctx = self._ctx(base, key, order, agent)
                thread, subject = self._thread(SCENARIOS[key], ctx, channel, agent, size)
                duration = thread[-1].at - thread[0].at
                t0 = self._place(since_at, hi - duration, duration, busy)
            if t0 is None:  # a very busy customer: let this thread overlap another
                t0 = between(rng, since_at, max(since_at, hi - duration))
            busy.append((t0, t0 + duration))
            shift = t0 - thread[0].at
            for m in thread:
                m.at = whole_seconds(m.at + shift)
            budget -= len(thread)
            if wanted_tickets > 0 and any(m.direction == "outbound" for m in thread):
                wanted_tickets -= 1
                self._resolved_ticket(batch, cid, thread, subject, agent)
            msgs.extend(thread)

    def _resolved_ticket(
        self, batch: Batch, cid: str, thread: list[Msg], subject: str, agent: str
    ) -> None:
        rng = self.rng
        self.ticket_seq += 1
        tid = f"T-{self.ticket_seq:06d}"
        opened = thread[0]
        first_out = next(m for m in thread if m.direction == "outbound")
        channel = opened.channel
        priority = rng.choices(PRIORITIES, PRIORITY_WEIGHTS)[0]
        claimed = max(opened.at, first_out.at - timedelta(seconds=rng.randint(20, 300)))
        resolved = thread[-1].at + timedelta(minutes=rng.randint(1, 30))
        for m in thread:
            m.ticket_id = tid
        batch.tickets.append(
            {
                "id": tid,
                "customer_id": cid,
                "channel": channel,
                "subject": subject,
                "status": "resolved",
                "active": False,
                "priority": priority,
                "priority_rank": PRIORITY_RANK[priority],
                "opened_at": opened.at,
                "sla_due_at": sla_due(channel, priority, opened.at),
                "assigned_agent_id": self.agent_ids[agent],
                "claimed_at": claimed,
                "first_response_at": first_out.at,
                "resolved_at": resolved,
                "disposition": "escalated" if rng.random() < 0.15 else "resolved",
                "version": 0,
            }
        )
        self.counts["tickets"] += 1
