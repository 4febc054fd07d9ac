"""Generating one customer: their details, orders shaped to their stories, and messages.

`Builder` puts the parts together: it writes a customer and their orders itself, takes
the open contacts from `OpenContacts` and the history from `History`, and gives every
message its ref in time order. It keeps the counters (order, ticket and message numbers)
that run across every customer of a build.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise

from storage.types import to_money
from workspace.demo.catalogue import (
    AGENTS,
    AREA_CODES,
    CATALOGUE,
    DOMAINS,
    FIRST_NAMES,
    LAST_NAMES,
    ORDER_WINDOW_DAYS,
    TIER_WEIGHTS,
    TIERS,
    WARRANTIED,
    Product,
)
from workspace.demo.drafts import Batch, Msg, OpenPlan, PlacedOrder, Story
from workspace.demo.history import History
from workspace.demo.open_contacts import OpenContacts
from workspace.demo.threads import GENERIC_STORIES, OPEN_KEY_WEIGHTS, OPEN_KEYS, ORDER_STORIES
from workspace.demo.values import ascii_name, between, whole_seconds


class Builder(History, OpenContacts):
    """Generates customers one at a time into a batch of plain rows."""

    def __init__(
        self, rng: random.Random, now: datetime, agent_ids: dict[str, int], contacts: int
    ) -> None:
        self.rng = rng
        self.now = now
        self.agent_ids = agent_ids
        self.display = {name: display for name, display, _ in AGENTS}
        self.order_seq = 0
        self.ticket_seq = contacts  # T-000001.. are the open contacts; history comes after
        self.ref_seq = 0
        self.counts = {"orders": 0, "items": 0, "tickets": 0, "interactions": 0}

    def customer(
        self,
        batch: Batch,
        index: int,
        n_orders: int,
        budget: int,
        open_plans: list[OpenPlan],
    ) -> None:
        """Generate one customer with their orders, history and open contacts into `batch`."""
        rng = self.rng
        cid = f"C-{10001 + index}"
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        earliest = date(2015, 1, 1)
        latest = max(earliest, (self.now - timedelta(days=60)).date())
        since = earliest + timedelta(days=rng.randrange((latest - earliest).days + 1))
        email = self._email(first, last) if rng.random() > 0.03 else None
        phone = (
            f"+1 {rng.choice(AREA_CODES)} 555 01{rng.randrange(100):02d}"
            if rng.random() > 0.05
            else None
        )
        batch.customers.append(
            {
                "id": cid,
                "name": f"{first} {last}",
                "email": email,
                "phone": phone,
                "tier": rng.choices(TIERS, TIER_WEIGHTS)[0],
                "since": since,
            }
        )
        since_at = datetime.combine(since, time(9), UTC)
        stories = self._stories(open_plans, n_orders)
        orders = self._orders(batch, cid, since_at, n_orders, stories)
        ctx_base = {
            "first": first,
            "email": email or "the email address on your account",
            "tier": batch.customers[-1]["tier"],
        }
        msgs: list[Msg] = []
        for k, story in enumerate(stories):
            # Every later open contact still needs its one opening message.
            spare = budget - (len(stories) - k)
            budget -= self._open_contact(batch, cid, story, ctx_base, msgs, spare)
        self._history(batch, cid, since_at, orders, ctx_base, msgs, budget)
        msgs.sort(key=lambda m: m.at)
        for m in msgs:
            self.ref_seq += 1
            batch.interactions.append(
                {
                    "ref": f"I-{self.ref_seq:07d}",
                    "customer_id": cid,
                    "ticket_id": m.ticket_id,
                    "at": m.at,
                    "channel": m.channel,
                    "direction": m.direction,
                    "kind": m.kind,
                    "subject": m.subject,
                    "text": m.text,
                    "author": m.author,
                }
            )
        self.counts["interactions"] += len(msgs)

    def _email(self, first: str, last: str) -> str:
        rng = self.rng
        f, la = ascii_name(first), ascii_name(last)
        style = rng.randrange(4)
        if style == 0:
            local = f"{f}.{la}"
        elif style == 1:
            local = f"{f[0]}{la}{rng.randrange(10, 99)}"
        elif style == 2:
            local = f"{f}_{la[0]}{rng.randrange(70, 100)}"
        else:
            local = f"{la}.{f}"
        return f"{local}@{rng.choice(DOMAINS)}"

    def _stories(self, plans: list[OpenPlan], n_orders: int) -> list[Story]:
        """What each open contact is about, decided before the orders it needs exist.

        Each story about an order gets an order shaped to fit it (a late parcel, a recent
        delivery...), as long as the customer has orders left to shape; after that, the
        customer chases an earlier story instead, the way people write again (often on
        another channel) when nobody has answered yet.
        """
        rng = self.rng
        stories: list[Story] = []
        shaped = 0
        for plan in plans:
            opened_at = self._opened_at(plan)
            key = rng.choices(OPEN_KEYS, OPEN_KEY_WEIGHTS)[0]
            if key in ORDER_STORIES:
                if shaped < n_orders:
                    shaped += 1
                else:
                    earlier = [st for st in stories if st.key in ORDER_STORIES]
                    if earlier:
                        first = rng.choice(earlier)
                        first = first.repeat_of or first
                        stories.append(Story(plan, first.key, opened_at, repeat_of=first))
                        continue
                    key = rng.choice(GENERIC_STORIES)
            stories.append(Story(plan, key, opened_at))
        return stories

    def _orders(
        self, batch: Batch, cid: str, since_at: datetime, n: int, stories: list[Story]
    ) -> list[PlacedOrder]:
        """`n` orders over the last 18 months, some shaped to fit the open contacts' stories."""
        rng, now = self.rng, self.now
        lo = max(since_at, now - timedelta(days=ORDER_WINDOW_DAYS))
        hi = now - timedelta(hours=2)
        specs: list[tuple[datetime, Story | None]] = []
        for story in stories:
            if story.key in ORDER_STORIES and story.repeat_of is None:
                # The order must exist before the earliest contact about it.
                anchor = min(
                    [story.opened_at] + [r.opened_at for r in stories if r.repeat_of is story]
                )
                specs.append((self._shaped_time(story.key, anchor, lo), story))
        specs += [(between(rng, lo, hi), None) for _ in range(n - len(specs))]
        specs.sort(key=lambda spec: spec[0])
        orders: list[PlacedOrder] = []
        for placed_at, shaped in specs:
            order = self._order(batch, cid, placed_at, shaped)
            orders.append(order)
            if shaped is not None:
                shaped.order = order
        for story in stories:
            if story.repeat_of is not None:
                story.order = story.repeat_of.order
                group = sorted(
                    [story.repeat_of, *(r for r in stories if r.repeat_of is story.repeat_of)],
                    key=lambda st: st.opened_at,
                )
                for earlier, later in pairwise(group):
                    later.after = earlier
        return orders

    def _shaped_time(self, key: str, at: datetime, lo: datetime) -> datetime:
        """When an order that fits story `key` was placed, for a contact arriving at `at`."""
        rng = self.rng
        if key == "late":
            return between(rng, self.now - timedelta(days=12), self.now - timedelta(days=7))
        if key == "where":
            return between(rng, at - timedelta(hours=40), at - timedelta(hours=20))
        if key in ("address", "cancel"):
            return between(rng, at - timedelta(hours=6), at - timedelta(minutes=10))
        if key in ("damaged", "wrong_item"):
            return between(rng, at - timedelta(days=10), at - timedelta(days=3))
        if key == "refund":
            return between(rng, at - timedelta(days=40), at - timedelta(days=18))
        if key == "warranty":
            return between(rng, max(lo, at - timedelta(days=540)), at - timedelta(days=80))
        return between(rng, at - timedelta(days=12), at - timedelta(days=1))  # billing

    def _order(
        self, batch: Batch, cid: str, placed_at: datetime, story: Story | None
    ) -> PlacedOrder:
        """One order and its lines; an order for a story gets the status the story needs."""
        rng, now = self.rng, self.now
        self.order_seq += 1
        oid = f"W{100000 + self.order_seq}"
        n_items = rng.choices((1, 2, 3), (55, 30, 15))[0]
        items: list[tuple[Product, int]] = []
        for product in rng.sample(CATALOGUE, n_items):
            qty = 1
            if rng.random() < 0.15:
                qty = 2 if product.price > 50 else rng.choice((2, 3, 4))
            items.append((product, qty))
        key = story.key if story is not None else None
        if key == "warranty" and not any(p.warranty_months for p, _ in items):
            skus = {p.sku for p, _ in items}
            items[0] = (rng.choice([p for p in WARRANTIED if p.sku not in skus]), 1)
        total = to_money(sum((p.price * q for p, q in items), Decimal(0)))
        promised_by = (placed_at + timedelta(days=rng.randint(2, 5))).date()
        delivered_at: datetime | None = None
        if key == "late":
            status = "shipped"
            promised_by = (placed_at + timedelta(days=rng.randint(2, 4))).date()
        elif key == "where":
            status = "shipped"
            promised_by = (now + timedelta(days=rng.randint(1, 3))).date()
        elif key in ("address", "cancel"):
            status = "pending"
        elif key in ("damaged", "wrong_item", "refund", "warranty"):
            delivered_at = whole_seconds(placed_at + timedelta(hours=rng.uniform(30, 60)))
            status = "returned" if key == "refund" else "delivered"
        elif key is None and rng.random() < 0.05:
            status = "cancelled"
        else:
            late_p = 0.12
            shipped_at = placed_at + timedelta(hours=rng.uniform(6, 36))
            if rng.random() < late_p:
                day = promised_by + timedelta(days=rng.randint(1, 6))
            else:
                span = max((promised_by - (placed_at + timedelta(days=1)).date()).days, 0)
                day = (placed_at + timedelta(days=1)).date() + timedelta(days=rng.randint(0, span))
            delivered = datetime.combine(day, time(rng.randint(9, 19), rng.randrange(60)), UTC)
            delivered = whole_seconds(max(delivered, shipped_at + timedelta(hours=4)))
            if delivered < now - timedelta(minutes=30):
                delivered_at = delivered
                status = "returned" if key is None and rng.random() < 0.07 else "delivered"
            else:
                status = "shipped" if shipped_at < now else "pending"
        batch.orders.append(
            {
                "id": oid,
                "customer_id": cid,
                "placed_at": placed_at,
                "status": status,
                "promised_by": promised_by,
                "delivered_at": delivered_at,
                "total": total,
            }
        )
        for line, (product, qty) in enumerate(items, start=1):
            batch.items.append(
                {
                    "order_id": oid,
                    "line": line,
                    "sku": product.sku,
                    "name": product.name,
                    "price": product.price,
                    "quantity": qty,
                }
            )
        self.counts["orders"] += 1
        self.counts["items"] += len(items)
        return PlacedOrder(oid, placed_at, status, promised_by, delivered_at, total, items)
