"""Saved replies: the answers agents give every day, filled in with this contact's details.

A template names what it needs with placeholders, and `fill` substitutes them in the template
only, in one pass: the customer's name is untrusted text, so braces in it (`{order}`,
`{0.__class__}`) stay exactly as typed and are never expanded. That is why this is a regex over
known names and not `str.format`.

* `{customer}`: the customer's first name (the first word of their name), or "there" when the
  name is blank, so "Hi {customer}," reads "Hi there,".
* `{agent}`: the agent's display name.
* `{order_ref}`: "your order W1001", or "your order" when no order is known.
* `{order}`: the order number alone, or "your order" when no order is known; use it where a
  noun phrase fits either way, and `{order_ref}` in prose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["PLACEHOLDERS", "REPLIES", "ReplyFacts", "SavedReply", "fill"]

#: Every placeholder a template may use; anything else in braces is left as written.
PLACEHOLDERS = ("customer", "agent", "order", "order_ref")

_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")

#: What `{customer}` becomes when the customer's name is blank.
NO_NAME = "there"

#: What `{agent}` becomes when the agent's name is blank.
NO_AGENT = "Customer care"


@dataclass(frozen=True)
class SavedReply:
    """One reply an agent can insert with a keystroke."""

    key: str
    """A stable name for the reply (`acknowledge`, `closing`)."""
    title: str
    """What the agent reads in the picker."""
    text: str
    """The template, with placeholders (see the module docstring)."""


@dataclass(frozen=True)
class ReplyFacts:
    """What a reply is filled with, for one contact."""

    customer_name: str
    """The customer's full name as stored: untrusted text."""
    agent_name: str
    """The display name of the agent writing the reply."""
    order_id: str | None
    """The order the contact is about, or None when none is known."""


def first_name(name: str) -> str:
    """The first word of `name`, or `NO_NAME` when it has none."""
    words = name.split()
    return words[0] if words else NO_NAME


def fill(reply: SavedReply, facts: ReplyFacts) -> str:
    """The reply's text with its placeholders replaced by this contact's details.

    Only the template is scanned, once: text that comes in through a placeholder is never
    looked at again, so a name such as `{order}` or `{0.__class__}` is inserted literally.
    """
    order = (facts.order_id or "").strip()
    values = {
        "customer": first_name(facts.customer_name),
        "agent": facts.agent_name.strip() or NO_AGENT,
        "order": order or "your order",
        "order_ref": f"your order {order}" if order else "your order",
    }
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], reply.text)


REPLIES: tuple[SavedReply, ...] = (
    SavedReply(
        "acknowledge",
        "Acknowledge",
        "Hi {customer}, thanks for getting in touch about {order_ref}. I'm {agent} and I'm "
        "looking into it for you now.",
    ),
    SavedReply(
        "apologise",
        "Apologise",
        "I'm really sorry, {customer}: {order_ref} should not have gone this way, and I "
        "understand how frustrating it is. I'll put it right.",
    ),
    SavedReply(
        "policy",
        "Explain policy",
        "Thanks for your patience, {customer}. What I can offer for {order_ref} depends on "
        "what went wrong and when it was delivered, as our policy sets out. In your case: ",
    ),
    SavedReply(
        "confirm",
        "Confirm action",
        "Good news, {customer}: it's done for {order_ref}. You'll get a confirmation by "
        "email, and there is nothing else you need to do.",
    ),
    SavedReply(
        "order-number",
        "Ask for order number",
        "Could you send me your order number, {customer}? You'll find it in your order "
        "confirmation email, and with it I can look at your order straight away.",
    ),
    SavedReply(
        "closing",
        "Closing",
        "Is there anything else I can help you with today, {customer}? Thanks for contacting "
        "us.\n\nBest regards,\n{agent}",
    ),
)
