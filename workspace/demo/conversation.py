"""Writing one thread: its placeholder values, each side's voice per channel, and nudges.

`Conversations` is the base of the demo's generator (`generate.Builder`): the generator
holds the state these methods read (`dice`, `display`), and the history and open-contact
parts build on the threads written here. What depends only on a product or an order is
worked out once, not for every thread that mentions it.
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
from workspace.demo.dice import Dice
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
from workspace.vocabulary import Channel, Direction, InteractionKind

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


def _discount(amount: Decimal) -> str:
    return dollars(to_money(amount * Decimal("0.15")))


def _order_facts(order: PlacedOrder) -> dict[str, str]:
    """The placeholder values that depend only on the order."""
    return {
        "order": order.id,
        "promised": short_date(order.promised_by),
        "placed_month": f"{MONTHS[order.placed_at.month - 1]} {order.placed_at.year}",
        "total": dollars(order.total),
        "discount": _discount(order.total),
    }


#: The placeholder values of each product, and of a question asked before buying it.
_PRODUCT_FACTS = {
    p.sku: {
        "product": p.name,
        "sku": p.sku,
        "price": dollars(p.price),
        "warranty": str(p.warranty_months or 12),
    }
    for p in CATALOGUE
}
_PRESALES = {
    p.sku: {
        "order": "my last order",
        "promised": "the date you gave me",
        "total": dollars(p.price),
        "discount": _discount(p.price),
    }
    for p in WARRANTIED
}
#: Every product but the one named, for "I ordered X but got Y".
_OTHERS = {p.sku: tuple(o for o in CATALOGUE if o is not p) for p in CATALOGUE}


#: Channels a customer thanks on hours later, rather than at once.
_WRITTEN_LATER = (Channel.EMAIL, Channel.SMS, Channel.SOCIAL)


class Conversations:
    """Writes threads in a customer's and an agent's words; the base of the generator."""

    rng: random.Random
    """The generator every draw comes from."""
    dice: Dice
    """Its draws, made faster."""
    display: dict[str, str]
    """Each agent's display name, by agent name."""
    first_names: dict[str, str]
    """Each agent's first name, by agent name."""

    def _ctx(
        self, base: dict[str, str], key: str, order: PlacedOrder | None, agent: str
    ) -> dict[str, str]:
        """Placeholder values for one thread: the customer, one of their orders, the agent."""
        dice = self.dice
        ctx = dict(base)
        ctx["agent_first"] = self.first_names[agent]
        if order is not None:
            if key == "warranty" and (
                warrantied := [p for p, _ in order.items if p.warranty_months]
            ):
                product = dice.pick(warrantied)
            else:
                product = dice.pick(order.items)[0]
            if order.facts is None:
                order.facts = _order_facts(order)
            ctx.update(order.facts)
        else:
            product = dice.pick(WARRANTIED)  # pre-sales questions are about appliances
            ctx.update(_PRESALES[product.sku])
        ctx.update(_PRODUCT_FACTS[product.sku])
        ctx["other_product"] = dice.pick(_OTHERS[product.sku]).name
        ctx["carrier"] = dice.pick(CARRIERS)
        ctx["tracking"] = f"{10**11 + dice.below(9 * 10**11)}"
        ctx["rma"] = f"RMA-{100000 + dice.below(899999)}"
        ctx["refund_ref"] = f"RF-{1000000 + dice.below(8999999)}"
        ctx["last4"] = f"{dice.below(10000):04d}"
        ctx["code"] = dice.pick(PROMO_CODES)
        ctx["new_phone"] = f"+1 {dice.pick(AREA_CODES)} 555 01{dice.below(100):02d}"
        user = f"{ascii_name(base['first'])}.{100 + dice.below(899)}"
        ctx["new_email"] = f"{user}@{dice.pick(DOMAINS)}"
        street = f"{dice.randint(12, 4800)} {dice.pick(STREETS)}"
        ctx["new_address"] = f"{street}, {dice.pick(CITIES)}"
        return ctx

    def _style_in(self, channel: str, body: str, ctx: dict[str, str], first_msg: bool) -> str:
        """A customer's words as they arrive on `channel`."""
        dice = self.dice
        if channel == Channel.EMAIL:
            greeting = dice.pick(GREETINGS)
            return f"{greeting}\n\n{body}\n\n{dice.pick(SIGN_OFFS)}\n{ctx['first']}"
        if channel == Channel.CALL:
            return f'Phone call. {ctx["first"]}: "{body}"'
        if channel == Channel.SOCIAL and first_msg:
            return f"{SHOP_HANDLE} {body}"
        return body

    def _style_out(self, channel: str, body: str, ctx: dict[str, str], agent: str) -> str:
        """An agent's words as they go out on `channel`."""
        display = self.display[agent]
        first_name = self.first_names[agent]
        if channel == Channel.EMAIL:
            return f"Hi {ctx['first']},\n\n{body}\n\nKind regards,\n{display}\n{SHOP} Customer Care"
        if channel == Channel.CALL:
            return f'Phone call. {first_name}: "{body}"'
        if channel == Channel.CHAT:
            return body
        if channel == Channel.SOCIAL:
            initials = "".join(part[0] for part in display.split())
            return f"Hi {ctx['first']}! {body} ^{initials}"
        return f"{body} - {first_name}, {SHOP}"

    def _gap(self, table: dict[str, tuple[int, int]], channel: str) -> timedelta:
        lo, hi = table[channel]
        return timedelta(seconds=self.dice.randint(lo, hi))

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
        elif prev == Channel.EMAIL:
            pool = NUDGES_FROM_EMAIL
        elif channel == Channel.EMAIL:
            pool = NUDGES_TO_EMAIL
        else:
            pool = NUDGES_OTHER
        return self.dice.pick(pool).format(
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
        dice = self.dice
        subject = scenario.subject.format_map(ctx)
        ctx = {**ctx, "topic": scenario.topic.format_map(ctx)}
        pick = dice.below(len(scenario.opens))
        path = scenario.paths[pick] if scenario.paired else dice.pick(scenario.paths)
        author = self.display[agent]
        size = min(size, scenario.max_len)
        msgs: list[Msg] = []
        t = _EPOCH

        def inbound(ch: str, body: str, first_msg: bool) -> None:
            subj = (subject if first_msg else f"Re: {subject}") if ch == Channel.EMAIL else None
            styled = self._style_in(ch, body, ctx, first_msg)
            msgs.append(Msg(t, ch, Direction.INBOUND, InteractionKind.MESSAGE, styled, None, subj))

        def outbound(ch: str, body: str) -> None:
            subj = f"Re: {subject}" if ch == Channel.EMAIL else None
            styled = self._style_out(ch, body, ctx, agent)
            msgs.append(
                Msg(t, ch, Direction.OUTBOUND, InteractionKind.MESSAGE, styled, author, subj)
            )

        opening = scenario.opens[pick].format_map(ctx)
        if size >= 3 and dice.random() < 0.2:
            first_channel = (
                Channel.EMAIL
                if channel != Channel.EMAIL
                else dice.pick((Channel.CHAT, Channel.CALL))
            )
            inbound(first_channel, opening, True)
            gap = timedelta(seconds=dice.randint(5 * 3600, 40 * 3600))
            t += gap
            nudge = self._nudge(first_channel, channel, gap, ctx)
            inbound(channel, nudge if channel == Channel.EMAIL else f"{nudge} {opening}", True)
            script = _CROSS_SCRIPTS[size]
        else:
            inbound(channel, opening, True)
            script = _SCRIPTS[size]
        for step in script:
            if step == "reply":
                t += self._gap(REPLY_GAP, channel)
                outbound(channel, path.reply.format_map(ctx))
            elif step == "note":
                t += timedelta(seconds=dice.randint(120, 1200))
                note = path.note.format_map(ctx)
                msgs.append(Msg(t, channel, Direction.INTERNAL, InteractionKind.NOTE, note, author))
            elif step == "followup":
                t += self._gap(CUSTOMER_GAP, channel)
                inbound(channel, path.followup.format_map(ctx), False)
            elif step == "answer":
                t += self._gap(REPLY_GAP, channel)
                outbound(channel, path.answer.format_map(ctx))
            else:  # thanks
                t += self._gap(CUSTOMER_GAP, channel)
                later = scenario.thanks_later if channel in _WRITTEN_LATER else ()
                pool = later if later and dice.random() < 0.5 else QUICK_THANKS
                inbound(channel, dice.pick(pool).format_map(ctx), False)
        return msgs, subject
