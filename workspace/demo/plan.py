"""Deciding the set's shape up front: the open contacts, and how counts are spread out."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import timedelta

from workspace.demo.catalogue import (
    CHANNELS,
    MAX_WAIT,
    OPEN_CHANNEL_WEIGHTS,
    PRIORITIES,
    PRIORITY_WEIGHTS,
)
from workspace.demo.dice import Dice, Weighted
from workspace.demo.drafts import OpenPlan
from workspace.sla import SLA_MINUTES
from workspace.vocabulary import Channel, ContactStatus, Priority

_CHANNELS = Weighted(CHANNELS, OPEN_CHANNEL_WEIGHTS)
_PRIORITIES = Weighted(PRIORITIES, PRIORITY_WEIGHTS)
_LEVELS = Weighted(("breached", "at_risk", "ok"), (12, 20, 68))


def allocate(
    rng: random.Random, total: int, weights: Sequence[float], minimum: Sequence[int]
) -> list[int]:
    """Split `total` over slots: each gets its minimum, the rest goes in proportion to weight.

    The result sums to exactly `total` (the caller checks `total >= sum(minimum)`).
    """
    counts = list(minimum)
    rest = total - sum(counts)
    weight_sum = sum(weights)
    if rest <= 0 or not counts:
        return counts
    if weight_sum <= 0:
        weights = [1.0] * len(counts)
        weight_sum = float(len(counts))
    given = 0
    for i, w in enumerate(weights):
        share = int(rest * w / weight_sum)
        counts[i] += share
        given += share
    for i in rng.sample(range(len(counts)), rest - given) if rest > given else ():
        counts[i] += 1
    # Rounding can only under-allocate (by less than one per slot), so this is exact.
    return counts


def sla_feasible(channel: str, priority: str) -> list[str]:
    """The SLA levels a contact of this channel and priority can be in, given its max wait."""
    minutes = SLA_MINUTES[channel][priority]
    levels = ["at_risk"]
    if timedelta(minutes=minutes + 2) <= MAX_WAIT[channel]:
        levels.append("breached")
    if minutes >= 18:
        levels.append("ok")
    return levels


def plan_open(rng: random.Random, contacts: int, holders: Weighted[str]) -> list[OpenPlan]:
    """Channel, priority, SLA level, status and holder of every open contact.

    The first few are fixed so that even a tiny demo shows every channel and every SLA
    level; the rest are drawn at random. `alex` holds three; `holders` the others held.
    """
    dice = Dice(rng)
    fixed: tuple[tuple[str, str, str], ...] = (
        (Channel.EMAIL, Priority.HIGH, "breached"),
        (Channel.CHAT, Priority.NORMAL, "at_risk"),
        (Channel.SMS, Priority.NORMAL, "ok"),
        (Channel.CALL, Priority.HIGH, "breached"),
        (Channel.SOCIAL, Priority.LOW, "ok"),
    )
    plans: list[OpenPlan] = []
    for n in range(contacts):
        if n < len(fixed):
            channel, priority, level = fixed[n]
        else:
            channel = dice.weighted(_CHANNELS)
            priority = dice.weighted(_PRIORITIES)
            levels = sla_feasible(channel, priority)
            wanted = dice.weighted(_LEVELS)
            level = wanted if wanted in levels else dice.pick(levels)
        plans.append(OpenPlan(number=n + 1, channel=channel, priority=priority, level=level))
    for plan in plans[len(fixed) :]:
        if rng.random() < 0.15:
            plan.status = ContactStatus.PENDING
    open_ones = [p for p in plans if p.status == ContactStatus.OPEN]
    held = rng.sample(open_ones, min(len(open_ones), 3 + round(contacts * 0.10)))
    for i, plan in enumerate(held):
        plan.holder = "alex" if i < 3 else dice.weighted(holders)
    return plans
