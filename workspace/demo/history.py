"""A customer's past: threads that fit their orders, spread over time, some as tickets.

`History` gives the generator (`generate.Builder`) the resolved part of the data: which
stories an order allows and when, where a thread fits among the customer's others, and the
resolved tickets a few threads become.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from datetime import UTC, datetime, time, timedelta

from workspace.demo.catalogue import (
    CHANNELS,
    HISTORY_GAP,
    PRIORITIES,
    PRIORITY_WEIGHTS,
    THREAD_CHANNEL_WEIGHTS,
)
from workspace.demo.conversation import Conversations
from workspace.demo.dice import Dice, Weighted
from workspace.demo.drafts import Batch, Msg, PlacedOrder
from workspace.demo.team import Team
from workspace.demo.threads import GENERIC_STORIES, SCENARIOS
from workspace.demo.values import between, whole_seconds
from workspace.sla import sla_due
from workspace.vocabulary import (
    ContactStatus,
    Direction,
    Disposition,
    HoldEnd,
    OrderStatus,
    Priority,
)

_CHANNELS = Weighted(CHANNELS, THREAD_CHANNEL_WEIGHTS)
_PRIORITIES = Weighted(PRIORITIES, PRIORITY_WEIGHTS)
_TICKETS_WANTED = Weighted((0, 1, 2), (60, 30, 10))
#: A heavy customer has a resolved contact among about this many messages.
HEAVY_MESSAGES_PER_TICKET = 50
#: The share of resolved contacts first held by someone who released them, when there was
#: time for it before the agent who resolved them claimed them.
RELEASED_FIRST = 0.2
#: The share of resolved contacts whose customer answered the survey.
SURVEYED = 0.45
#: How the answers fall (specs/metrics.md scales): CSAT 1-5, CES 1-7 (7 easy), NPS 0-10.
_CSAT = Weighted((5, 4, 3, 2, 1), (42, 28, 12, 8, 10))
_CES = Weighted((7, 6, 5, 4, 3, 2, 1), (30, 28, 16, 10, 8, 5, 3))
_NPS = Weighted((10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), (26, 22, 16, 12, 7, 6, 3, 3, 2, 1, 2))
_COMMENTS = {
    1: ("Nobody read what I wrote.", "Three emails for one refund."),
    2: ("It took far too long.", "I had to explain everything twice."),
    3: ("Fine in the end.", "OK, but slow."),
    4: ("Quick and friendly.", "Sorted on the first message."),
    5: ("Quick and kind.", "Brilliant, thank you!", "Best support I've had."),
}

#: The shortest hold worth releasing, in seconds.
SHORTEST_HOLD = 60


class Busy:
    """The spans a customer's threads already take, to find a free one quickly.

    Asking whether a span overlaps any of thousands of others (a heavy customer's) looks
    only at the spans that start at most the longest one's length before it.
    """

    __slots__ = ("_longest", "_spans")

    def __init__(self) -> None:
        self._spans: list[tuple[datetime, datetime]] = []
        self._longest = timedelta(0)

    def add(self, start: datetime, end: datetime) -> None:
        insort(self._spans, (start, end))
        self._longest = max(self._longest, end - start)

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Whether [start, end] meets any span (spans touching at an end count)."""
        spans = self._spans
        for i in range(bisect_left(spans, (start - self._longest,)), len(spans)):
            first, last = spans[i]
            if first > end:
                return False
            if start <= last:
                return True
        return False


class Candidates:
    """The stories a customer's orders still allow, and their weights, used up as told.

    The weights are kept beside the stories so that a heavy customer's thousands of
    candidates are not gathered again for every thread.
    """

    __slots__ = ("items", "weights")

    def __init__(self, found: list[tuple[str, PlacedOrder | None, int]]) -> None:
        self.items = found
        self.weights = [w for _, _, w in found]

    def pop(self, i: int) -> tuple[str, PlacedOrder | None, int]:
        self.weights.pop(i)
        return self.items.pop(i)

    def drop(self, order: PlacedOrder) -> None:
        """Forget every story about `order`: it has been talked about enough."""
        keep = [k for k, (_, o, _) in enumerate(self.items) if o is not order]
        self.items = [self.items[k] for k in keep]
        self.weights = [self.weights[k] for k in keep]


class History(Conversations):
    """Writes a customer's resolved history on top of the threads `Conversations` writes."""

    now: datetime
    agent_ids: dict[str, int]
    team: Team
    ticket_seq: int
    counts: dict[str, int]
    hold_dice: Dice
    """Draws for the holds of resolved contacts, from their own generator: the rest of the
    set is the same whether or not holds are drawn."""
    survey_dice: Dice
    """Draws for the surveys of resolved contacts, from their own generator too."""

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
            if o.status == OrderStatus.RETURNED and d is not None:
                return d + timedelta(days=8), d + timedelta(days=25)
            return placed + timedelta(days=3), placed + timedelta(days=10)
        if key in ("address", "cancel"):
            return placed + timedelta(minutes=15), placed + timedelta(hours=5)
        if key == "warranty":
            return (d + timedelta(days=60), d + timedelta(days=700)) if d is not None else None
        return None

    def _history_candidates(self, orders: list[PlacedOrder]) -> Candidates:
        found: list[tuple[str, PlacedOrder | None, int]] = []
        for o in orders:
            if o.status == OrderStatus.CANCELLED:
                found += [("cancel", o, 3), ("refund", o, 1)]
                continue
            found += [("where", o, 2), ("double_charge", o, 1), ("promo", o, 1)]
            found.append(("address", o, 1))
            if o.delivered_at is not None:
                found += [("damaged", o, 3), ("wrong_item", o, 1)]
                if o.status == OrderStatus.DELIVERED:
                    found.append(("compliment", o, 1))
                if o.delivered_at.date() > o.promised_by:
                    found.append(("late", o, 8))
                if any(p.warranty_months for p, _ in o.items):
                    found.append(("warranty", o, 1))
            if o.status == OrderStatus.RETURNED:
                found.append(("refund", o, 5))
        return Candidates(found)

    def _pick_history(
        self,
        candidates: Candidates,
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
        dice = self.dice
        if size == 1:  # a lone message: a thank-you for a delivery, or an unanswered question
            delivered = [
                o for o in orders if o.status == OrderStatus.DELIVERED and o.id not in used
            ]
            if delivered:
                thanked = dice.pick(delivered)
                used[thanked.id] = 2  # a thank-you closes the order's story
                window = self._window("compliment", thanked)
                if window is not None and max(window[0], lo) < min(window[1], hi):
                    return "compliment", thanked, max(window[0], lo), min(window[1], hi)
            return "product", None, lo, hi
        for _ in range(4):
            if not candidates.weights:
                break
            key, order, _w = candidates.pop(dice.index(candidates.weights))
            window = self._window(key, order)
            if order is None or window is None or max(window[0], lo) >= min(window[1], hi):
                continue
            if key == "compliment" and order.id in used:
                continue
            used[order.id] = 2 if key == "compliment" else used.get(order.id, 0) + 1
            if used[order.id] >= 2:
                candidates.drop(order)
            return key, order, max(window[0], lo), min(window[1], hi)
        return dice.pick(GENERIC_STORIES), None, lo, hi

    def _place(
        self, lo: datetime, hi: datetime, duration: timedelta, busy: Busy
    ) -> datetime | None:
        """A start in [lo, hi] for a thread lasting `duration` that overlaps none in `busy`."""
        if hi < lo:
            return None
        for _ in range(6):
            t0 = between(self.rng, lo, hi)
            if not busy.overlaps(t0, t0 + duration):
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
        heavy: bool = False,
    ) -> None:
        """Past threads that use up exactly `budget` messages; some become resolved tickets."""
        rng, dice = self.rng, self.dice
        hi = self.now - HISTORY_GAP
        candidates = self._history_candidates(orders)
        used: dict[str, int] = {}
        busy = Busy()
        wanted_tickets = dice.weighted(_TICKETS_WANTED)
        if heavy:  # a long-standing account: a resolved contact every so many messages
            wanted_tickets = budget // HEAVY_MESSAGES_PER_TICKET
        while budget > 0:
            size = 1 if budget == 1 else min(budget, dice.randint(2, 6))
            agent = dice.weighted(self.team.replies)
            channel = dice.weighted(_CHANNELS)
            key, order, lo_t, hi_t = self._pick_history(
                candidates, used, orders, size, since_at, hi
            )
            ctx = self._ctx(base, key, order, agent)
            thread, subject = self._thread(SCENARIOS[key], ctx, channel, agent, size)
            duration = thread[-1].at - thread[0].at
            t0 = self._place(lo_t, min(hi_t, hi - duration), duration, busy)
            if t0 is None and order is not None:  # no room left around this order
                key, order = dice.pick(GENERIC_STORIES), None
                ctx = self._ctx(base, key, order, agent)
                thread, subject = self._thread(SCENARIOS[key], ctx, channel, agent, size)
                duration = thread[-1].at - thread[0].at
                t0 = self._place(since_at, hi - duration, duration, busy)
            if t0 is None:  # a very busy customer: let this thread overlap another
                t0 = between(rng, since_at, max(since_at, hi - duration))
            busy.add(t0, t0 + duration)
            shift = t0 - thread[0].at
            for m in thread:
                m.at = whole_seconds(m.at + shift)
            budget -= len(thread)
            if wanted_tickets > 0 and any(m.direction == Direction.OUTBOUND for m in thread):
                wanted_tickets -= 1
                self._resolved_ticket(batch, cid, thread, subject, agent)
            msgs.extend(thread)

    def _resolved_ticket(
        self, batch: Batch, cid: str, thread: list[Msg], subject: str, agent: str
    ) -> None:
        dice = self.dice
        self.ticket_seq += 1
        tid = f"T-{self.ticket_seq:06d}"
        opened = thread[0]
        first_out = next(m for m in thread if m.direction == Direction.OUTBOUND)
        channel = opened.channel
        priority = dice.weighted(_PRIORITIES)
        claimed = max(opened.at, first_out.at - timedelta(seconds=dice.randint(20, 300)))
        resolved = thread[-1].at + timedelta(minutes=dice.randint(1, 30))
        for m in thread:
            m.ticket_id = tid
        batch.tickets.append(
            (
                tid,
                cid,
                channel,
                subject,
                ContactStatus.RESOLVED,
                ContactStatus.RESOLVED.active,
                priority,
                Priority(priority).rank,
                opened.at,
                sla_due(channel, priority, opened.at),
                self.agent_ids[agent],
                claimed,
                first_out.at,
                resolved,
                Disposition.ESCALATED if dice.random() < 0.15 else Disposition.RESOLVED,
                0,
                None,
            )
        )
        self._holds(batch, tid, agent, opened.at, claimed, resolved)
        self._survey(batch, tid, resolved)
        self.counts["tickets"] += 1

    def _holds(
        self,
        batch: Batch,
        tid: str,
        agent: str,
        opened: datetime,
        claimed: datetime,
        resolved: datetime,
    ) -> None:
        """A resolved contact's holds: `agent`'s from its claim until it was resolved, and
        sometimes, before it, a colleague's that ended when they released it."""
        dice = self.hold_dice
        room = (claimed - opened).total_seconds()
        if room >= 2 * SHORTEST_HOLD and dice.random() < RELEASED_FIRST:
            other = dice.weighted(self.team.replies)
            if other != agent:
                start = whole_seconds(opened + timedelta(seconds=dice.uniform(0, room / 2)))
                held = dice.uniform(SHORTEST_HOLD, (claimed - start).total_seconds())
                end = min(claimed, whole_seconds(start + timedelta(seconds=held)))
                batch.holds.append((tid, self.agent_ids[other], start, end, HoldEnd.RELEASE))
        batch.holds.append((tid, self.agent_ids[agent], claimed, resolved, HoldEnd.RESOLVE))

    def _survey(self, batch: Batch, tid: str, resolved: datetime) -> None:
        """Sometimes, a few hours after a resolution, the customer's answers to the survey:
        mostly satisfied, some not; each question left out now and then, never all three."""
        dice = self.survey_dice
        if dice.random() >= SURVEYED:
            return
        at = whole_seconds(resolved + timedelta(minutes=dice.randint(20, 26 * 60)))
        if at >= self.now:
            return
        csat = dice.weighted(_CSAT) if dice.random() < 0.9 else None
        ces = dice.weighted(_CES) if dice.random() < 0.7 else None
        nps = dice.weighted(_NPS) if dice.random() < 0.8 or csat is ces is None else None
        comment = dice.pick(_COMMENTS[csat or 3]) if dice.random() < 0.3 else None
        batch.surveys.append((f"S-{tid[2:]}", tid, at, csat, ces, nps, comment))
