"""The words CareDesk's rules are written in, each spelled here and only here.

Channels, statuses, priorities, action kinds and the rest are `StrEnum`s: a member is the
string stored in the database and written in files, so it compares equal to that string,
and what each word means (how it is shown, whether it counts against a budget, the exit
status it gives) is a property of the member. Storage never imports this module (it sits
below the domain); the workspace passes these words down as the values of its queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, TypeVar

Severity = Literal["information", "warning", "error"]
"""How loudly a message is told: the levels of a notification."""

Tone = Literal["done", "waiting", "refused", "void"]
"""What a status feels like to the agent; widgets choose its colour from it."""


class Channel(StrEnum):
    """Where a contact came in."""

    CHAT = "chat"
    EMAIL = "email"
    CALL = "call"
    SOCIAL = "social"
    SMS = "sms"


class ContactStatus(StrEnum):
    """Where a contact stands."""

    OPEN = "open"
    """In the agents' queue: claimed, worked and handed out by "next"."""
    PENDING = "pending"
    """Parked waiting on the customer: out of the queue, its SLA clock stopped until they
    write again."""
    ESCALATED = "escalated"
    """In the escalation queue: still worked, by supervisors and the roles the team names."""
    RESOLVED = "resolved"

    @property
    def active(self) -> bool:
        """Whether contacts in this status are worked now: someone may claim, hold, write on
        and close them (open and escalated; the `active` column of a ticket)."""
        return self in (ContactStatus.OPEN, ContactStatus.ESCALATED)

    @property
    def parked(self) -> bool:
        """Whether the contact waits on the customer, its SLA clock stopped."""
        return self is ContactStatus.PENDING

    @property
    def closed(self) -> bool:
        """Whether the contact is over: it keeps who resolved it and when."""
        return self is ContactStatus.RESOLVED


ACTIVE = "active"
"""The queue's default view as it is named to people: the open contacts waiting for agents
(with "mine", every contact the agent works on, escalated ones included)."""


class Priority(StrEnum):
    """How soon a contact must be answered, within equal SLA due times."""

    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"

    @property
    def rank(self) -> int:
        """Queue order within equal SLA due times: the lower, the sooner."""
        return _PRIORITY_RANKS[self]


_PRIORITY_RANKS = {priority: rank for rank, priority in enumerate(Priority)}


class Disposition(StrEnum):
    """How an agent ends their work on a contact."""

    RESOLVED = "resolved"
    ESCALATED = "escalated"
    PENDING = "pending"

    @property
    def status(self) -> ContactStatus:
        """The status it leaves the contact in."""
        return _DISPOSITION_STATUS[self]

    @property
    def label(self) -> str:
        """What the agent reads when choosing."""
        return _DISPOSITION_LABELS[self]

    @property
    def outcome(self) -> str:
        """What became of the contact, to end a sentence: `T-1 {outcome}.`"""
        return _DISPOSITION_OUTCOMES[self]


_DISPOSITION_STATUS = {
    Disposition.RESOLVED: ContactStatus.RESOLVED,
    Disposition.ESCALATED: ContactStatus.ESCALATED,
    Disposition.PENDING: ContactStatus.PENDING,
}
_DISPOSITION_LABELS = {
    Disposition.RESOLVED: "Resolved: the customer has what they needed",
    Disposition.ESCALATED: "Escalated: to the escalation queue, for a supervisor",
    Disposition.PENDING: "Pending: waiting on the customer (parked, SLA paused)",
}
_DISPOSITION_OUTCOMES = {
    Disposition.RESOLVED: "closed as resolved",
    Disposition.ESCALATED: "is in the escalation queue",
    Disposition.PENDING: "is parked until the customer writes",
}


class OrderStatus(StrEnum):
    """Where an order stands."""

    PENDING = "pending"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURNED = "returned"


class FollowUpKind(StrEnum):
    """What was promised to the customer."""

    CALL_BACK = "call_back"
    CHECK_TRACKING = "check_tracking"
    CONFIRM_ARRIVAL = "confirm_arrival"
    CHECK_BACK = "check_back"
    """Look again at a contact parked waiting on the customer who has not written."""

    @property
    def label(self) -> str:
        """How it is named to people."""
        return _FOLLOW_UP_LABELS[self]


_FOLLOW_UP_LABELS = {
    FollowUpKind.CALL_BACK: "Call the customer back",
    FollowUpKind.CHECK_TRACKING: "Check the tracking",
    FollowUpKind.CONFIRM_ARRIVAL: "Confirm the replacement arrived",
    FollowUpKind.CHECK_BACK: "Check back: the customer has not written",
}


class FollowUpStatus(StrEnum):
    """Where a follow-up stands."""

    SCHEDULED = "scheduled"
    """Not due yet."""
    DUE = "due"
    """Due: its contact is in its owner's queue (or the team's), until it is done."""
    DONE = "done"


class ShipmentStatus(StrEnum):
    """Where a shipment an action created stands (the warehouse moves it on)."""

    TO_SHIP = "to_ship"


OPEN_ORDERS = (OrderStatus.PENDING, OrderStatus.SHIPPED)
"""Orders not yet delivered, and not called off."""

SETTLED_ORDERS = (OrderStatus.CANCELLED, OrderStatus.RETURNED)
"""Orders called off: no delivery promise is kept or broken any more."""


class Direction(StrEnum):
    """Who an entry of the customer's history is from."""

    INBOUND = "inbound"
    """From the customer."""
    OUTBOUND = "outbound"
    """From us to the customer."""
    INTERNAL = "internal"
    """A note between colleagues; the customer never sees it."""
    EVENT = "event"
    """Something that happened to an order (the timeline's own entries, never stored)."""

    @property
    def label(self) -> str:
        """How the timeline labels it: text, so it reads without colour or glyphs."""
        return _DIRECTION_LABELS[self]


_DIRECTION_LABELS = {
    Direction.INBOUND: "IN",
    Direction.OUTBOUND: "OUT",
    Direction.INTERNAL: "NOTE",
    Direction.EVENT: "EVENT",
}

STORED_DIRECTIONS = (Direction.INBOUND, Direction.OUTBOUND, Direction.INTERNAL)
"""The directions an interaction can be stored (and imported) with."""


class InteractionKind(StrEnum):
    """What an interaction is."""

    MESSAGE = "message"
    """To or from the customer."""
    NOTE = "note"
    """Internal."""

    @property
    def direction(self) -> Direction:
        """The direction an agent's interaction of this kind is stored with."""
        return Direction.OUTBOUND if self is InteractionKind.MESSAGE else Direction.INTERNAL


class OrderEvent(StrEnum):
    """The timeline's entries for an order."""

    PLACED = "order_placed"
    DELIVERED = "order_delivered"

    @property
    def word(self) -> str:
        """`placed`, `delivered`: the event's own word, in its key (`W1001/placed`)."""
        return self.value.removeprefix("order_")


ORDER_CHANNEL = "order"
"""The channel an order event is shown under on the timeline."""

DEFAULT_TIER = "standard"
"""The tier of a customer who has no other; every policy knows it."""


class Role(StrEnum):
    """What a member of the team does."""

    AGENT = "agent"
    SENIOR = "senior"
    SUPERVISOR = "supervisor"
    TRAINER = "trainer"

    @property
    def approves(self) -> bool:
        """Whether this role decides other agents' requests."""
        return self is Role.SUPERVISOR


class ActionStatus(StrEnum):
    """Where an action stands; it only ever moves forward."""

    REQUESTED = "requested"
    APPROVED = "approved"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"
    EXECUTED = "executed"

    @property
    def facts(self) -> StatusFacts:
        """Everything this status means, in one place."""
        return _STATUS_FACTS[self]

    @property
    def committed(self) -> bool:
        """Whether actions in this status count against budgets and per-customer allowances
        (waiting ones included, so two requests cannot both be approved past a limit)."""
        return self.facts.committed

    @property
    def label(self) -> str:
        """A few words for lists: `waiting for approval`."""
        return self.facts.label

    @property
    def brief(self) -> str:
        """One word or none beside an amount (`waiting`; nothing for an executed action)."""
        return self.facts.brief

    @property
    def outcome(self) -> str:
        """Where the action stands, as `caredesk act` says it."""
        return self.facts.outcome

    @property
    def mark(self) -> str:
        """A one-cell mark for lists."""
        return self.facts.mark

    @property
    def tone(self) -> Tone:
        """What it means for the agent, for widgets to colour."""
        return self.facts.tone

    @property
    def severity(self) -> Severity:
        """How loudly an action reaching this status is told."""
        return _SEVERITY[self.facts.tone]

    @property
    def exit_code(self) -> int:
        """The exit status of `caredesk act` for an action that stands here."""
        return self.facts.exit_code

    @classmethod
    def counted(cls) -> tuple[ActionStatus, ...]:
        """The statuses that count against budgets and allowances."""
        return tuple(s for s in cls if s.committed)


@dataclass(frozen=True)
class StatusFacts:
    """What one action status means."""

    label: str
    """A few words for lists."""
    brief: str
    """One word or none beside an amount."""
    outcome: str
    """A sentence's end for `caredesk act`."""
    mark: str
    """A one-cell mark."""
    tone: Tone
    """What it means for the agent."""
    exit_code: int
    """`caredesk act`'s exit status."""
    committed: bool
    """Whether it counts against budgets and allowances."""


_STATUS_FACTS = {
    ActionStatus.REQUESTED: StatusFacts(
        "waiting for approval", "waiting", "waiting for a supervisor's approval", "…",
        "waiting", 3, True,
    ),
    ActionStatus.APPROVED: StatusFacts(
        "approved", "approved", "approved", "✓", "done", 0, True
    ),
    ActionStatus.DENIED: StatusFacts(
        "denied", "denied", "denied; nothing was done", "✗", "refused", 4, False
    ),
    ActionStatus.WITHDRAWN: StatusFacts(
        "withdrawn", "withdrawn", "withdrawn; nothing was done", "-", "void", 4, False
    ),
    ActionStatus.EXECUTED: StatusFacts("executed", "", "executed", "✓", "done", 0, True),
}  # fmt: skip

_SEVERITY: dict[Tone, Severity] = {
    "done": "information",
    "waiting": "warning",
    "refused": "error",
    "void": "warning",
}


class VerdictKind(StrEnum):
    """The one verdict the policy gives a proposed action."""

    ALLOW = "allow"
    NEEDS_APPROVAL = "needs_approval"
    DENY = "deny"

    @property
    def status(self) -> ActionStatus:
        """Where an action with this verdict stands once it is taken."""
        return _VERDICT_STATUS[self]

    @property
    def label(self) -> str:
        """The verdict as the action form shows it."""
        return self.value.replace("_", " ").upper()

    @property
    def submit(self) -> str:
        """What submitting a form with this verdict does."""
        return _VERDICT_SUBMIT[self]


_VERDICT_STATUS = {
    VerdictKind.ALLOW: ActionStatus.EXECUTED,
    VerdictKind.NEEDS_APPROVAL: ActionStatus.REQUESTED,
    VerdictKind.DENY: ActionStatus.DENIED,
}
_VERDICT_SUBMIT = {
    VerdictKind.ALLOW: "Execute",
    VerdictKind.NEEDS_APPROVAL: "Request approval",
    VerdictKind.DENY: "Cannot be submitted",
}


class ActionKind(StrEnum):
    """Every action an agent can take for a customer, in the order the form offers them."""

    DISCOUNT = "discount"
    REFUND = "refund"
    REPLACEMENT = "replacement"
    STORE_CREDIT = "store_credit"
    RESHIP = "reship"
    CANCEL_ORDER = "cancel_order"

    @property
    def label(self) -> str:
        """How it is named to people."""
        return _ACTION_LABELS[self]

    @property
    def words(self) -> str:
        """Its name in a sentence: `store credit`."""
        return self.value.replace("_", " ")

    @property
    def typed_amount(self) -> bool:
        """The agent types its amount (a replacement is worth its items, a reship its order)."""
        return self in (ActionKind.DISCOUNT, ActionKind.REFUND, ActionKind.STORE_CREDIT)

    @property
    def needs_order(self) -> bool:
        """It is always taken on an order."""
        return self in (
            ActionKind.REFUND,
            ActionKind.REPLACEMENT,
            ActionKind.RESHIP,
            ActionKind.CANCEL_ORDER,
        )

    @property
    def whole_order(self) -> bool:
        """It is worth its whole order."""
        return self in (ActionKind.RESHIP, ActionKind.CANCEL_ORDER)

    @property
    def takes_items(self) -> bool:
        """The agent chooses the order's items it is for."""
        return self is ActionKind.REPLACEMENT

    @property
    def money_back(self) -> bool:
        """It gives money back on an order: together such actions never exceed its total."""
        return self in (ActionKind.REFUND, ActionKind.DISCOUNT)

    @property
    def once_per_order(self) -> bool:
        """It makes sense once per order."""
        return self in (ActionKind.CANCEL_ORDER, ActionKind.RESHIP)

    @property
    def gives(self) -> bool:
        """It gives the customer something, counted as compensation (a cancellation does not)."""
        return self is not ActionKind.CANCEL_ORDER

    @property
    def verb(self) -> str:
        """What it does to its order: `choose the order to {verb}`."""
        return _ACTION_VERBS.get(self, "act on")


_ACTION_LABELS = {
    ActionKind.DISCOUNT: "Discount",
    ActionKind.REFUND: "Refund",
    ActionKind.REPLACEMENT: "No-charge replacement",
    ActionKind.STORE_CREDIT: "Store credit",
    ActionKind.RESHIP: "Reship",
    ActionKind.CANCEL_ORDER: "Cancel order",
}
_ACTION_VERBS = {
    ActionKind.REFUND: "refund",
    ActionKind.REPLACEMENT: "replace items of",
    ActionKind.RESHIP: "reship",
    ActionKind.CANCEL_ORDER: "cancel",
}


class AuditEvent(StrEnum):
    """What an audit entry records."""

    CLAIM = "claim"
    RELEASE = "release"
    REPLY = "reply"
    NOTE = "note"
    RESOLVE = "resolve"
    UNPARK = "unpark"
    """A parked contact is back in the queue: the customer wrote again."""
    OPEN = "open"
    """An agent opened a new contact for a customer (a call, a walk-in), holding it."""
    ACTION_REQUEST = "action.request"
    ACTION_VERDICT = "action.verdict"
    ACTION_APPROVE = "action.approve"
    ACTION_DENY = "action.deny"
    ACTION_WITHDRAW = "action.withdraw"
    ACTION_EXECUTE = "action.execute"
    ACTION_REDELIVER = "action.redeliver"
    """An agent sent a failed delivery again."""
    ACTION_DELIVERED = "action.delivered"
    """The system that fulfils it took the action's message."""
    ACTION_UNDELIVERED = "action.undelivered"
    """The system that fulfils it refused the action's message for good."""
    POLICY_INSTALL = "policy.install"
    CONFIG_INSTALL = "config.install"
    """The team's configuration (service levels, escalation) was installed."""
    LAPSE = "lapse"
    """A hold released because its workspace was gone too long."""
    ASSIGN = "assign"
    """A supervisor (or an import) gave a contact to someone else, or freed it."""
    AGENT_ADD = "agent.add"
    AGENT_SET = "agent.set"
    FOLLOW_UP = "follow_up.create"
    """An agent promised the customer a follow-up (or a pending disposition did)."""
    FOLLOW_UP_DUE = "follow_up.due"
    """A follow-up fell due: its contact went to its owner's queue (or the team's)."""
    FOLLOW_UP_DONE = "follow_up.done"
    FOLLOW_UP_HAND_BACK = "follow_up.hand_back"
    """Its owner was deactivated: it is the team's now."""
    ADOPT = "audit.adopt"
    """An administrator vouched for the log written before entries were sealed."""
    ADOPT_ROW = "audit.adopt_row"
    """What an action or a follow-up stood at when its log was adopted."""


class Entity(StrEnum):
    """What kind of record an audit entry is about."""

    TICKET = "ticket"
    ACTION = "action"
    POLICY = "policy"
    AGENT = "agent"
    CONFIG = "config"
    FOLLOW_UP = "follow_up"
    AUDIT = "audit"


class HoldEnd(StrEnum):
    """How an agent's hold of a contact ended (`contact_hold.ended_by`)."""

    RELEASE = "release"
    """The agent handed it back to the queue."""
    RESOLVE = "resolve"
    """The agent closed it."""
    PARK = "park"
    """The agent set it pending on the customer."""
    ESCALATE = "escalate"
    """The agent escalated it."""
    LAPSE = "lapse"
    """The agent's workspaces went silent past the lapse time."""
    FREE = "free"
    """A supervisor took it back to the queue."""
    ASSIGN = "assign"
    """A supervisor gave it to another agent."""
    LEAVE = "leave"
    """The agent was deactivated, or quit releasing what they held."""


class ChangeKind(StrEnum):
    """What the live feed tells other workspaces happened."""

    CONTACTS = "contacts"
    """Contacts came in or changed in bulk (an import)."""
    CLAIM = "claim"
    RELEASE = "release"
    REPLY = "reply"
    RESOLVE = "resolve"
    UNPARK = "unpark"
    """A parked contact is back in the queue."""
    OPEN = "open"
    """An agent opened a new contact, already holding it."""
    ASSIGN = "assign"
    LAPSE = "lapse"
    VIEW = "view"
    """Someone opened (or left) a contact."""
    REQUEST = "request"
    """An action was requested, or withdrawn."""
    DECISION = "decision"
    """A supervisor decided a request."""
    ACTION = "action"
    """An action was executed, or refused, by the policy at once (no request waits)."""
    DELIVERY = "delivery"
    """An executed action's message was delivered, failed, or is to be tried again."""
    AGENT = "agent"
    """Someone joined, left or changed role."""
    FOLLOW_UP = "follow_up"
    """A follow-up was promised, fell due or was done."""


_Word = TypeVar("_Word", bound=StrEnum)


def member(kind: type[_Word], value: str) -> _Word | None:
    """The member of `kind` spelled `value`, or None: a word no member spells never raises."""
    try:
        return kind(value)
    except ValueError:
        return None
