"""Generating one customer: their details, orders shaped to their stories, and messages.

`Builder` puts the parts together: it writes a customer and their orders itself, takes
the open contacts from `OpenContacts` and the history from `History`, and gives every
message its ref in time order. It keeps the counters (order, ticket and message numbers)
that run across every customer of a build. One customer may be "heavy": a long-standing
account whose orders and threads spread over all its years, for sets that test how a
timeline of thousands of entries behaves.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise
from operator import attrgetter

from storage.lookup_keys import KEY_COLUMNS, customer_keys
from storage.types import to_money
from workspace.demo.catalogue import (
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
from workspace.demo.dice import Dice, Weighted
from workspace.demo.drafts import Batch, Msg, OpenPlan, PlacedOrder, Story
from workspace.demo.history import History
from workspace.demo.open_contacts import OpenContacts
from workspace.demo.team import Team
from workspace.demo.threads import GENERIC_STORIES, OPEN_KEY_WEIGHTS, OPEN_KEYS, ORDER_STORIES
from workspace.demo.values import ascii_name, between, whole_seconds
from workspace.vocabulary import OrderStatus

_TIERS = Weighted(TIERS, TIER_WEIGHTS)
_OPEN_KEYS = Weighted(OPEN_KEYS, OPEN_KEY_WEIGHTS)
_ITEM_COUNTS = Weighted((1, 2, 3), (55, 30, 15))
#: Products dear enough that nobody buys more than two at once.
_DEAR = frozenset(p.sku for p in CATALOGUE if p.price > 50)
#: Customers join from this date on; the heavy customer has been one since then.
EARLIEST = date(2015, 1, 1)
#: Orders per message of the heavy customer: a business account that buys all year round.
HEAVY_ORDERS_PER_MESSAGE = 1 / 12
_AT = attrgetter("at")


class Builder(History, OpenContacts):
    """Generates customers one at a time into a batch of plain rows."""

    def __init__(
        self,
        rng: random.Random,
        now: datetime,
        agent_ids: dict[str, int],
        contacts: int,
        team: Team,
        seed: int = 7,
    ) -> None:
        self.rng = rng
        self.dice = Dice(rng)
        self.hold_dice = Dice(random.Random(f"caredesk-demo-holds-{seed}"))
        self.survey_dice = Dice(random.Random(f"caredesk-demo-surveys-{seed}"))
        self.now = now
        self.agent_ids = agent_ids
        self.team = team
        self.display = {name: display for name, display, _ in team.members}
        self.first_names = {name: display.split()[0] for name, display, _ in team.members}
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
        heavy: bool = False,
    ) -> None:
        """Generate one customer with their orders, history and open contacts into `batch`.

        A `heavy` customer has been one since `EARLIEST`, and their orders spread over all
        those years rather than the last eighteen months.
        """
        dice = self.dice
        cid = f"C-{10001 + index}"
        first = dice.pick(FIRST_NAMES)
        last = dice.pick(LAST_NAMES)
        latest = max(EARLIEST, (self.now - timedelta(days=60)).date())
        days = dice.below((latest - EARLIEST).days + 1)
        since = EARLIEST if heavy else EARLIEST + timedelta(days=days)
        email = self._email(first, last) if dice.random() > 0.03 else None
        phone = (
            f"+1 {dice.pick(AREA_CODES)} 555 01{dice.below(100):02d}"
            if dice.random() > 0.05
            else None
        )
        tier = dice.weighted(_TIERS)
        name = f"{first} {last}"
        keys = customer_keys(name, email, phone)
        batch.customers.append(
            (cid, name, email, phone, tier, since, *(keys[c] for c in KEY_COLUMNS))
        )
        since_at = datetime.combine(since, time(9), UTC)
        stories = self._stories(open_plans, n_orders)
        orders = self._orders(batch, cid, since_at, n_orders, stories, heavy)
        ctx_base = {
            "first": first,
            "email": email or "the email address on your account",
            "tier": tier,
        }
        msgs: list[Msg] = []
        for k, story in enumerate(stories):
            # Every later open contact still needs its one opening message.
            spare = budget - (len(stories) - k)
            budget -= self._open_contact(batch, cid, story, ctx_base, msgs, spare)
        self._history(batch, cid, since_at, orders, ctx_base, msgs, budget, heavy)
        msgs.sort(key=_AT)
        ref = self.ref_seq
        append = batch.interactions.append
        for m in msgs:
            ref += 1
            append(
                (
                    f"I-{ref:07d}",
                    cid,
                    m.ticket_id,
                    m.at,
                    m.channel,
                    m.direction,
                    m.kind,
                    m.subject,
                    m.text,
                    m.author,
                )
            )
        self.ref_seq = ref
        self.counts["interactions"] += len(msgs)

    def _email(self, first: str, last: str) -> str:
        dice = self.dice
        f, la = ascii_name(first), ascii_name(last)
        style = dice.below(4)
        if style == 0:
            local = f"{f}.{la}"
        elif style == 1:
            local = f"{f[0]}{la}{dice.randint(10, 98)}"
        elif style == 2:
            local = f"{f}_{la[0]}{dice.randint(70, 99)}"
        else:
            local = f"{la}.{f}"
        return f"{local}@{dice.pick(DOMAINS)}"

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
            key = self.dice.weighted(_OPEN_KEYS)
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
        self,
        batch: Batch,
        cid: str,
        since_at: datetime,
        n: int,
        stories: list[Story],
        heavy: bool = False,
    ) -> list[PlacedOrder]:
        """`n` orders over the last 18 months (a heavy customer's: since they joined), some
        shaped to fit the open contacts' stories."""
        rng, now = self.rng, self.now
        lo = since_at if heavy else max(since_at, now - timedelta(days=ORDER_WINDOW_DAYS))
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
        rng, dice, now = self.rng, self.dice, self.now
        self.order_seq += 1
        oid = f"W{100000 + self.order_seq}"
        n_items = dice.weighted(_ITEM_COUNTS)
        items: list[tuple[Product, int]] = []
        for product in rng.sample(CATALOGUE, n_items):
            qty = 1
            if dice.random() < 0.15:
                qty = 2 if product.sku in _DEAR else dice.pick((2, 3, 4))
            items.append((product, qty))
        key = story.key if story is not None else None
        if key == "warranty" and not any(p.warranty_months for p, _ in items):
            skus = {p.sku for p, _ in items}
            items[0] = (dice.pick([p for p in WARRANTIED if p.sku not in skus]), 1)
        total = to_money(sum((p.price * q for p, q in items), Decimal(0)))
        promised_by = (placed_at + timedelta(days=dice.randint(2, 5))).date()
        delivered_at: datetime | None = None
        if key == "late":
            status = OrderStatus.SHIPPED
            promised_by = (placed_at + timedelta(days=dice.randint(2, 4))).date()
        elif key == "where":
            status = OrderStatus.SHIPPED
            promised_by = (now + timedelta(days=dice.randint(1, 3))).date()
        elif key in ("address", "cancel"):
            status = OrderStatus.PENDING
        elif key in ("damaged", "wrong_item", "refund", "warranty"):
            delivered_at = whole_seconds(placed_at + timedelta(hours=dice.uniform(30, 60)))
            status = OrderStatus.RETURNED if key == "refund" else OrderStatus.DELIVERED
        elif key is None and dice.random() < 0.05:
            status = OrderStatus.CANCELLED
        else:
            late_p = 0.12
            shipped_at = placed_at + timedelta(hours=dice.uniform(6, 36))
            if dice.random() < late_p:
                day = promised_by + timedelta(days=dice.randint(1, 6))
            else:
                span = max((promised_by - (placed_at + timedelta(days=1)).date()).days, 0)
                day = (placed_at + timedelta(days=1)).date() + timedelta(days=dice.below(span + 1))
            delivered = datetime.combine(day, time(dice.randint(9, 19), dice.below(60)), UTC)
            delivered = whole_seconds(max(delivered, shipped_at + timedelta(hours=4)))
            if delivered < now - timedelta(minutes=30):
                delivered_at = delivered
                status = (
                    OrderStatus.RETURNED
                    if key is None and dice.random() < 0.07
                    else OrderStatus.DELIVERED
                )
            else:
                status = OrderStatus.SHIPPED if shipped_at < now else OrderStatus.PENDING
        batch.orders.append((oid, cid, placed_at, status, promised_by, delivered_at, total))
        batch.items.extend(
            (oid, line, product.sku, product.name, product.price, qty)
            for line, (product, qty) in enumerate(items, start=1)
        )
        self.counts["orders"] += 1
        self.counts["items"] += len(items)
        return PlacedOrder(oid, placed_at, status, promised_by, delivered_at, total, items)
