"""Writing one thread: its placeholder values, each side's voice per channel, and nudges.

`Conversations` is the base of the demo's generator (`generate.Builder`): the generator
holds the state these methods read (`rng`, `display`), and the history and open-contact
parts build on the threads written here.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from storage.types import to_money
from workspace.demo.catalogue import (
    AREA_CODES,
    CARRIERS,
    CATALOGUE,
    CITIES,
    CUSTOMER_GAP,
    DOMAINS,
    MONTHS,
    PROMO_CODES,
    REPLY_GAP,
    SHOP,
    SHOP_HANDLE,
    STREETS,
    WARRANTIED,
)
from workspace.demo.drafts import Msg, PlacedOrder
from workspace.demo.scenario import Scenario
from workspace.demo.threads import (
    GREETINGS,
    NUDGES_FROM_EMAIL,
    NUDGES_OTHER,
    NUDGES_SAME,
    NUDGES_TO_EMAIL,
    PREV_BY,
    PREV_NAMES,
    QUICK_THANKS,
    SIGN_OFFS,
)
from workspace.demo.values import ascii_name, dollars, short_date

#: Steps after the customer's first message, by thread length.
_SCRIPTS: dict[int, tuple[str, ...]] = {
    1: (),
    2: ("reply",),
    3: ("reply", "thanks"),
    4: ("reply", "followup", "answer"),
    5: ("reply", "followup", "answer", "thanks"),
    6: ("reply", "note", "followup", "answer", "thanks"),
}
#: The same after a first message on one channel and a nudge on another.
_CROSS_SCRIPTS: dict[int, tuple[str, ...]] = {
    3: ("reply",),
    4: ("reply", "thanks"),
    5: ("reply", "followup", "answer"),
    6: ("reply", "followup", "answer", "thanks"),
}
#: Threads are built from this time, then shifted to where they belong.
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class Conversations:
    """Writes threads in a customer's and an agent's words; the base of the generator."""

    rng: random.Random
    display: dict[str, str]
    """Each agent's display name, by agent name."""

    def _ctx(
        self, base: dict[str, str], key: str, order: PlacedOrder | None, agent: str
    ) -> dict[str, str]:
        """Placeholder values for one thread: the customer, one of their orders, the agent."""
        rng = self.rng
        ctx = dict(base)
        display = self.display[agent]
        ctx["agent_first"] = display.split()[0]
        if order is not None:
            warrantied = [p for p, _ in order.items if p.warranty_months]
            if key == "warranty" and warrantied:
                product = rng.choice(warrantied)
            else:
                product = rng.choice(order.items)[0]
            ctx["order"] = order.id
            ctx["promised"] = short_date(order.promised_by)
            ctx["placed_month"] = f"{MONTHS[order.placed_at.month - 1]} {order.placed_at.year}"
            ctx["total"] = dollars(order.total)
            ctx["discount"] = dollars(to_money(order.total * Decimal("0.15")))
        else:
            product = rng.choice(WARRANTIED)  # pre-sales questions are about appliances
            ctx["order"] = "my last order"
            ctx["promised"] = "the date you gave me"
            ctx["total"] = dollars(product.price)
            ctx["discount"] = dollars(to_money(product.price * Decimal("0.15")))
        others = [p for p in CATALOGUE if p is not product]
        ctx["product"] = product.name
        ctx["sku"] = product.sku
        ctx["price"] = dollars(product.price)
        ctx["warranty"] = str(product.warranty_months or 12)
        ctx["other_product"] = rng.choice(others).name
        ctx["carrier"] = rng.choice(CARRIERS)
        ctx["tracking"] = f"{rng.randrange(10**11, 10**12)}"
        ctx["rma"] = f"RMA-{rng.randrange(100000, 999999)}"
        ctx["refund_ref"] = f"RF-{rng.randrange(1000000, 9999999)}"
        ctx["last4"] = f"{rng.randrange(10000):04d}"
        ctx["code"] = rng.choice(PROMO_CODES)
        ctx["new_phone"] = f"+1 {rng.choice(AREA_CODES)} 555 01{rng.randrange(100):02d}"
        user = f"{ascii_name(base['first'])}.{rng.randrange(100, 999)}"
        ctx["new_email"] = f"{user}@{rng.choice(DOMAINS)}"
        street = f"{rng.randint(12, 4800)} {rng.choice(STREETS)}"
        ctx["new_address"] = f"{street}, {rng.choice(CITIES)}"
        return ctx

    def _style_in(self, channel: str, body: str, ctx: dict[str, str], first_msg: bool) -> str:
        """A customer's words as they arrive on `channel`."""
        rng = self.rng
        if channel == "email":
            greeting = rng.choice(GREETINGS)
            return f"{greeting}\n\n{body}\n\n{rng.choice(SIGN_OFFS)}\n{ctx['first']}"
        if channel == "call":
            return f'Phone call. {ctx["first"]}: "{body}"'
        if channel == "social" and first_msg:
            return f"{SHOP_HANDLE} {body}"
        return body

    def _style_out(self, channel: str, body: str, ctx: dict[str, str], agent: str) -> str:
        """An agent's words as they go out on `channel`."""
        display = self.display[agent]
        first_name = display.split()[0]
        if channel == "email":
            return f"Hi {ctx['first']},\n\n{body}\n\nKind regards,\n{display}\n{SHOP} Customer Care"
        if channel == "call":
            return f'Phone call. {first_name}: "{body}"'
        if channel == "chat":
            return body
        if channel == "social":
            initials = "".join(part[0] for part in display.split())
            return f"Hi {ctx['first']}! {body} ^{initials}"
        return f"{body} - {first_name}, {SHOP}"

    def _gap(self, table: dict[str, tuple[int, int]], channel: str) -> timedelta:
        lo, hi = table[channel]
        return timedelta(seconds=self.rng.randint(lo, hi))

    def _when(self, gap: timedelta) -> str:
        hours = gap.total_seconds() / 3600
        if hours < 8:
            return "a few hours ago"
        if hours < 36:
            return "yesterday"
        return "two days ago"

    def _nudge(self, prev: str, channel: str, gap: timedelta, ctx: dict[str, str]) -> str:
        """The customer chasing on `channel` what they raised on `prev` `gap` ago."""
        if prev == channel:
            pool = NUDGES_SAME
        elif prev == "email":
            pool = NUDGES_FROM_EMAIL
        elif channel == "email":
            pool = NUDGES_TO_EMAIL
        else:
            pool = NUDGES_OTHER
        return self.rng.choice(pool).format(
            prev=PREV_NAMES[prev], by=PREV_BY[prev], when=self._when(gap), topic=ctx["topic"]
        )

    def _thread(
        self, scenario: Scenario, ctx: dict[str, str], channel: str, agent: str, size: int
    ) -> tuple[list[Msg], str]:
        """A thread of exactly min(`size`, the scenario's `max_len`) messages, and its subject.

        Times start at an arbitrary epoch: the caller shifts the thread to where it belongs.
        A fifth of longer threads start on another channel and continue with a nudge ("I
        already wrote by email yesterday..."), as customers do when nobody answers.
        """
        rng = self.rng
        subject = scenario.subject.format(**ctx)
        ctx = {**ctx, "topic": scenario.topic.format(**ctx)}
        pick = rng.randrange(len(scenario.opens))
        path = scenario.paths[pick] if scenario.paired else rng.choice(scenario.paths)
        author = self.display[agent]
        size = min(size, scenario.max_len)
        msgs: list[Msg] = []
        t = _EPOCH

        def inbound(ch: str, body: str, first_msg: bool) -> None:
            subj = (subject if first_msg else f"Re: {subject}") if ch == "email" else None
            styled = self._style_in(ch, body, ctx, first_msg)
            msgs.append(Msg(t, ch, "inbound", "message", styled, None, subj))

        def outbound(ch: str, body: str) -> None:
            subj = f"Re: {subject}" if ch == "email" else None
            styled = self._style_out(ch, body, ctx, agent)
            msgs.append(Msg(t, ch, "outbound", "message", styled, author, subj))

        opening = scenario.opens[pick].format(**ctx)
        if size >= 3 and rng.random() < 0.2:
            first_channel = "email" if channel != "email" else rng.choice(("chat", "call"))
            inbound(first_channel, opening, True)
            gap = timedelta(seconds=rng.randint(5 * 3600, 40 * 3600))
            t += gap
            nudge = self._nudge(first_channel, channel, gap, ctx)
            inbound(channel, nudge if channel == "email" else f"{nudge} {opening}", True)
            script = _CROSS_SCRIPTS[size]
        else:
            inbound(channel, opening, True)
            script = _SCRIPTS[size]
        for step in script:
            if step == "reply":
                t += self._gap(REPLY_GAP, channel)
                outbound(channel, path.reply.format(**ctx))
            elif step == "note":
                t += timedelta(seconds=rng.randint(120, 1200))
                note = path.note.format(**ctx)
                msgs.append(Msg(t, channel, "internal", "note", note, author))
            elif step == "followup":
                t += self._gap(CUSTOMER_GAP, channel)
                inbound(channel, path.followup.format(**ctx), False)
            elif step == "answer":
                t += self._gap(REPLY_GAP, channel)
                outbound(channel, path.answer.format(**ctx))
            else:  # thanks
                t += self._gap(CUSTOMER_GAP, channel)
                later = scenario.thanks_later if channel in ("email", "sms", "social") else ()
                pool = later if later and rng.random() < 0.5 else QUICK_THANKS
                inbound(channel, rng.choice(pool).format(**ctx), False)
        return msgs, subject
