"""Who may do what: the permission matrix, in one place, as data.

Six kinds of people use CareDesk. The four roles of the floor (`Role`: agent, senior,
supervisor, trainer) work as an agent of the team. The monitor is the read-only login a
supervisor's wallboard uses, and the administrator is whoever administers the team: a
PostgreSQL superuser or member of the schema's admin group, or on SQLite whoever can open
the file (CareDesk proves nothing there). An administrator works the floor only for an agent
they name (`--agent`), and then as that agent, in that agent's role: their own column says
what they may do as themselves.

The use cases call `check` before they change anything: those of the floor with the agent's
role, the team and the monitor with the login's (`login_actor`). On PostgreSQL the database's
grants and triggers (storage/security.py) hold the same rules against the login; installing
the policy is left to them alone, so that the command says that refusal as the database's.
The README's table is `markdown()`, and a test keeps the two equal.
"""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import Session

from storage import agent_queries, logins
from storage.engine import Reader
from storage.uow import read_session
from workspace.errors import NotPermitted
from workspace.vocabulary import Role, member


class Actor(StrEnum):
    """Who tries a use case: a role of the floor, the monitor's login, or the administrator."""

    AGENT = Role.AGENT.value
    SENIOR = Role.SENIOR.value
    SUPERVISOR = Role.SUPERVISOR.value
    TRAINER = Role.TRAINER.value
    MONITOR = "monitor"
    """The read-only login of the supervisor's wallboard (the schema's monitor group)."""
    ADMINISTRATOR = "administrator"
    """Whoever administers the team (a superuser or admin-group login; on SQLite, the file's
    owner)."""

    @property
    def named(self) -> str:
        """The actor with its article, to say in a sentence: `a supervisor`."""
        return _NAMED[self]


_NAMED = {
    Actor.AGENT: "an agent",
    Actor.SENIOR: "a senior",
    Actor.SUPERVISOR: "a supervisor",
    Actor.TRAINER: "a trainer",
    Actor.MONITOR: "the monitor's login",
    Actor.ADMINISTRATOR: "an administrator",
}


class UseCase(StrEnum):
    """What can be tried, each a use case of the workspace or a command."""

    CLAIM = "claim"
    REPLY = "reply"
    ACT = "act"
    APPROVE = "approve"
    DENY = "deny"
    WITHDRAW = "withdraw"
    POLICY_INSTALL = "policy install"
    AGENT_ADMIN = "agent admin"
    REASSIGN = "reassign"
    REPLAY = "replay"
    MONITOR = "monitor"

    @property
    def label(self) -> str:
        """The use case as the table's row names it."""
        return _LABELS[self][0]

    @property
    def does(self) -> str:
        """What it does, after a subject: `only a supervisor {does}`."""
        return _LABELS[self][1]


_LABELS = {
    UseCase.CLAIM: ("claim a contact", "claims contacts"),
    UseCase.REPLY: ("reply or write a note", "replies to customers"),
    UseCase.ACT: ("take an action (within the policy)", "takes actions"),
    UseCase.APPROVE: ("approve a request", "decides requests"),
    UseCase.DENY: ("deny a request", "decides requests"),
    UseCase.WITHDRAW: ("withdraw their own request", "withdraws requests"),
    UseCase.POLICY_INSTALL: ("install the team's policy", "installs the team's policy"),
    UseCase.AGENT_ADMIN: ("add, change or let go of people", "changes the team"),
    UseCase.REASSIGN: ("free or reassign a contact", "can free or reassign contacts"),
    UseCase.REPLAY: ("play a training scenario", "plays a training scenario"),
    UseCase.MONITOR: ("open the monitor (read-only)", "opens the monitor"),
}

_FLOOR = frozenset({Actor.AGENT, Actor.SENIOR, Actor.SUPERVISOR, Actor.TRAINER})

TABLE: dict[UseCase, frozenset[Actor]] = {
    UseCase.CLAIM: _FLOOR,
    UseCase.REPLY: _FLOOR,
    UseCase.ACT: _FLOOR,
    UseCase.APPROVE: frozenset({Actor.SUPERVISOR}),
    UseCase.DENY: frozenset({Actor.SUPERVISOR}),
    UseCase.WITHDRAW: _FLOOR,
    UseCase.POLICY_INSTALL: frozenset({Actor.ADMINISTRATOR}),
    UseCase.AGENT_ADMIN: frozenset({Actor.ADMINISTRATOR}),
    UseCase.REASSIGN: frozenset({Actor.SUPERVISOR}),
    UseCase.REPLAY: _FLOOR,
    UseCase.MONITOR: frozenset({Actor.SUPERVISOR, Actor.MONITOR, Actor.ADMINISTRATOR}),
}
"""Who may try each use case. Nobody decides their own request and only the agent who asked
withdraws one: those rules are about the request, and `approvals` holds them."""


def allowed(actor: str, use_case: UseCase) -> bool:
    """Whether `actor` (an `Actor` word, a role's among them) may try `use_case`; a word
    that names no actor may do nothing."""
    who = member(Actor, actor)
    return who is not None and who in TABLE[use_case]


def check(actor: str, use_case: UseCase, *, who: str = "you") -> None:
    """Refuse, with `NotPermitted` naming the actor and the use case, what the table does
    not allow; `who` is how the sentence names the one trying (`you`, `your login 'x'`)."""
    if allowed(actor, use_case):
        return
    may = [a.named for a in Actor if a in TABLE[use_case]]
    anyone = ", ".join(may[:-1]) + f" or {may[-1]}" if len(may) > 1 else "".join(may)
    subject = f"only {anyone}" if anyone else "nobody"
    are = "are" if who == "you" else "is"
    raise NotPermitted(
        f"{subject} {use_case.does}; {who} {are} {actor}", actor=actor, use_case=use_case.value
    )


def login_actor(session: Session) -> Actor:
    """Who the session's login is, where the use case is the login's rather than an agent's
    (the team, the policy, the monitor). On SQLite nobody is proven and whoever can open the
    file is trusted: the administrator. On PostgreSQL a superuser or admin-group login is
    the administrator, an agent's login is their role (one that names no role is refused by
    `check`), and any other login is the monitor's, which the grants let read at most."""
    if not logins.is_postgres(session):
        return Actor.ADMINISTRATOR
    me = logins.login(session)
    if me.admin:
        return Actor.ADMINISTRATOR
    row = agent_queries.agent_by_name(session, str(me.name))
    if row is None:
        return Actor.MONITOR
    found = member(Actor, str(row.role))
    return found if found is not None and found in _FLOOR else Actor.MONITOR


def check_login(db: Reader, use_case: UseCase) -> None:
    """`check` for the login `db` connects as, in a read of its own."""
    with read_session(db) as s:
        actor = login_actor(s)
        name = str(logins.login(s).name) if logins.is_postgres(s) else None
    check(actor, use_case, who=f"your database login {name!r}" if name else "you")


def markdown() -> str:
    """The table as Markdown: a row per use case, a column per actor (the README's)."""
    header = ["use case", *Actor]
    lines = [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join("---" for _ in header) + " |",
    ]
    for use_case in UseCase:
        cells = ["yes" if a in TABLE[use_case] else "no" for a in Actor]
        lines.append("| " + " | ".join([use_case.label, *cells]) + " |")
    return "\n".join(lines) + "\n"
