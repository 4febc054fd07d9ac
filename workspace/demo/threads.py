"""The conversation templates by story, which stories the queue opens, and shared lines.

The templates themselves live by theme in `threads_delivery`, `threads_billing`,
`threads_orders` and `threads_general`; this module puts them together in one order and
holds the lines every kind of thread borrows: thank-yous, holders' notes, the nudges of a
customer who already wrote, greetings and sign-offs.
"""

from __future__ import annotations

from workspace.demo.scenario import Scenario
from workspace.demo.threads_billing import BILLING
from workspace.demo.threads_delivery import DELIVERY
from workspace.demo.threads_general import GENERAL
from workspace.demo.threads_orders import ORDER_CHANGES
from workspace.vocabulary import Channel

#: Every kind of conversation, by key.
SCENARIOS: dict[str, Scenario] = {s.key: s for s in (*DELIVERY, *BILLING, *ORDER_CHANGES, *GENERAL)}

#: Stories that are not about one of the customer's orders.
GENERIC_STORIES: tuple[str, ...] = ("product", "product", "login", "account", "gift_card")
#: Stories that are about one of the customer's orders.
ORDER_STORIES = frozenset(SCENARIOS) - {*GENERIC_STORIES, "compliment"}

#: How often each story opens a contact in the live queue.
OPEN_STORY_WEIGHTS: dict[str, int] = {
    "late": 24,
    "damaged": 14,
    "double_charge": 12,
    "where": 8,
    "refund": 8,
    "warranty": 6,
    "wrong_item": 5,
    "address": 5,
    "promo": 4,
    "cancel": 3,
    "product": 6,
    "login": 4,
    "account": 2,
    "gift_card": 2,
}
OPEN_KEYS = tuple(OPEN_STORY_WEIGHTS)
OPEN_KEY_WEIGHTS = tuple(OPEN_STORY_WEIGHTS.values())

QUICK_THANKS: tuple[str, ...] = (
    "Perfect, thank you for sorting this out so quickly.",
    "That's great, thanks {agent_first}!",
    "Brilliant, thanks for your help.",
    "OK, thank you.",
    "Thanks, that's all I needed.",
)

HOLD_NOTES: tuple[str, ...] = (
    "Reviewing the order history before replying.",
    "Asked the warehouse for an update on {order}; will reply once they confirm.",
    "Customer has contacted us before about this; see the earlier thread.",
    "Checking with billing before I answer.",
)

NUDGES_FROM_EMAIL: tuple[str, ...] = (
    "I already wrote by email {when} about {topic} and haven't heard back.",
    "Sent you an email {when} about {topic}, no reply yet. Can someone help me here?",
)
NUDGES_TO_EMAIL: tuple[str, ...] = (
    "Following up on my {prev} {when} about {topic}. I was told someone would email me, but I "
    "haven't heard anything.",
)
NUDGES_OTHER: tuple[str, ...] = (
    "I already contacted you by {by} {when} about {topic} and I'm still waiting.",
)
NUDGES_SAME: tuple[str, ...] = (
    "Following up on my message from {when} about {topic}. Still no reply.",
    "Any update? I wrote {when} about {topic}.",
)
#: How a customer names the contact they made before ("my ...") and its channel ("by ...").
PREV_NAMES: dict[str, str] = {
    Channel.CHAT: "chat",
    Channel.CALL: "call",
    Channel.SMS: "text message",
    Channel.SOCIAL: "message on social media",
    Channel.EMAIL: "email",
}
PREV_BY: dict[str, str] = {
    Channel.CHAT: "chat",
    Channel.CALL: "phone",
    Channel.SMS: "text",
    Channel.SOCIAL: "social media",
    Channel.EMAIL: "email",
}

GREETINGS = ("Hi,", "Hello,", "Hi there,", "Dear support team,")
SIGN_OFFS = ("Thanks,", "Best,", "Regards,", "Kind regards,", "Thank you,")
