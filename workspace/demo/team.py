"""The demo team: the six named agents, and as many generated colleagues as a set asks for.

A large set has a floor of a couple of hundred agents; they answer history threads and
hold open contacts like the named six, with roles mostly `agent`, some `senior`, a few
`supervisor`. They are drawn from their own generator, so the size of the team changes who
answered a thread but not the customers, orders or words of the set.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from workspace.demo.catalogue import (
    AGENT_NAMES,
    AGENTS,
    FIRST_NAMES,
    HOLDER_WEIGHTS,
    LAST_NAMES,
    REPLY_WEIGHTS,
)
from workspace.demo.dice import Weighted
from workspace.demo.values import ascii_name
from workspace.vocabulary import Role

#: Roles of generated agents, and how often each comes up.
ROLES = (Role.AGENT, Role.SENIOR, Role.SUPERVISOR)
ROLE_WEIGHTS = (80, 15, 5)
#: How much each role answers history threads, and holds open contacts.
ROLE_REPLY_WEIGHT: dict[str, int] = {Role.AGENT: 5, Role.SENIOR: 5, Role.SUPERVISOR: 1}
ROLE_HOLD_WEIGHT: dict[str, int] = {Role.AGENT: 3, Role.SENIOR: 3, Role.SUPERVISOR: 1}
#: The named agents who ask the question of a pending contact that nobody holds.
RESPONDERS = ("alex", "sam", "riley", "priya")


@dataclass(frozen=True)
class Team:
    """Who works the demo desk, and how often each of them turns up in the data."""

    members: tuple[tuple[str, str, str], ...]
    """(name, display name, role) of every agent, in id order: the named six first."""
    replies: Weighted[str]
    """Who answers a history thread."""
    holders: Weighted[str]
    """Who holds an open contact (beyond the three `alex` always holds)."""
    responders: tuple[str, ...]
    """Who asked the question of a pending contact that nobody holds."""


def make_team(size: int | None, seed: int) -> Team:
    """The named six when `size` is None, else `size` agents (at least six) in all."""
    if size is None:
        return Team(
            members=AGENTS,
            replies=Weighted(AGENT_NAMES, REPLY_WEIGHTS),
            holders=Weighted(tuple(HOLDER_WEIGHTS), tuple(HOLDER_WEIGHTS.values())),
            responders=RESPONDERS,
        )
    if size < len(AGENTS):
        raise ValueError(f"a team has at least the {len(AGENTS)} named agents")
    rng = random.Random(f"caredesk-demo-team-{seed}")
    members = list(AGENTS)
    taken = set(AGENT_NAMES)
    while len(members) < size:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        login = base = f"{ascii_name(first)}.{ascii_name(last)}"
        n = 1
        while login in taken:
            n += 1
            login = f"{base}{n}"
        taken.add(login)
        role = rng.choices(ROLES, ROLE_WEIGHTS)[0]
        members.append((login, f"{first} {last}", role))
    generated = members[len(AGENTS) :]
    holders = {**HOLDER_WEIGHTS, **{n: ROLE_HOLD_WEIGHT[r] for n, _, r in generated}}
    return Team(
        members=tuple(members),
        replies=Weighted(
            AGENT_NAMES + tuple(n for n, _, _ in generated),
            REPLY_WEIGHTS + tuple(ROLE_REPLY_WEIGHT[r] for _, _, r in generated),
        ),
        holders=Weighted(tuple(holders), tuple(holders.values())),
        responders=RESPONDERS + tuple(n for n, _, r in generated if r != Role.SUPERVISOR),
    )
