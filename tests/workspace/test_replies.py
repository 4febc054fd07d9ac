"""Saved replies are filled with the contact's details, and customer text is never expanded."""

from __future__ import annotations

import re

import pytest

from tests.hostile import INLINE_CASES
from workspace.replies import PLACEHOLDERS, REPLIES, ReplyFacts, SavedReply, fill

GREETING = SavedReply("t", "Test", "Hi {customer}, about {order_ref} ({order}). {agent}")


def facts(name: str = "Dana Whitfield", order: str | None = "W1001") -> ReplyFacts:
    return ReplyFacts(customer_name=name, agent_name="Alex Morgan", order_id=order)


def test_fill_names_the_customer_order_and_agent() -> None:
    assert fill(GREETING, facts()) == ("Hi Dana, about your order W1001 (W1001). Alex Morgan")


@pytest.mark.parametrize("order", [None, "", "   "])
def test_without_an_order_the_sentence_still_reads(order: str | None) -> None:
    assert fill(GREETING, facts(order=order)) == (
        "Hi Dana, about your order (your order). Alex Morgan"
    )


@pytest.mark.parametrize(
    ("name", "first"),
    [("Dana Whitfield", "Dana"), ("  Omar  Haddad ", "Omar"), ("Cher", "Cher"), ("", "there")],
)
def test_the_first_name_is_the_first_word(name: str, first: str) -> None:
    assert fill(SavedReply("t", "Test", "Hi {customer}!"), facts(name=name)) == f"Hi {first}!"


def test_a_blank_agent_name_still_signs_off() -> None:
    reply = SavedReply("t", "Test", "Regards, {agent}")
    assert fill(reply, ReplyFacts("Dana", " ", None)) == "Regards, Customer care"


@pytest.mark.parametrize(
    "name",
    [
        "{order}",
        "{order_ref}",
        "{customer}",
        "{agent}",
        "{0.__class__}",
        "{0.__class__.__init__.__globals__}",
        "{{x}}",
        "{",
        "}{order}{",
        "%(name)s",
        "\\1",
        "\\g<0>",
    ],
)
def test_braces_in_a_name_stay_literal(name: str) -> None:
    filled = fill(GREETING, facts(name=f"{name} Whitfield"))
    assert filled == f"Hi {name}, about your order W1001 (W1001). Alex Morgan"


def test_braces_in_an_order_number_or_agent_name_stay_literal() -> None:
    hostile = ReplyFacts("{agent}", agent_name="{customer} {0!r}", order_id="{order_ref}")
    assert fill(GREETING, hostile) == (
        "Hi {agent}, about your order {order_ref} ({order_ref}). {customer} {0!r}"
    )


@pytest.mark.parametrize(("kind", "text"), INLINE_CASES)
def test_hostile_names_pass_through_unchanged(kind: str, text: str) -> None:
    """`fill` changes nothing in the name: showing it safely is the display's job."""
    first = text.split()[0]
    assert fill(SavedReply("t", "Test", "Hi {customer}"), facts(name=text)) == f"Hi {first}"


def test_the_library_has_the_everyday_replies() -> None:
    keys = {reply.key for reply in REPLIES}
    assert {"acknowledge", "apologise", "policy", "confirm", "order-number", "closing"} <= keys
    assert len(keys) == len(REPLIES)
    assert all(reply.title for reply in REPLIES)


@pytest.mark.parametrize("reply", REPLIES, ids=lambda r: r.key)
def test_library_templates_use_only_known_placeholders(reply: SavedReply) -> None:
    used = set(re.findall(r"\{([^{}]*)\}", reply.text))
    assert used <= set(PLACEHOLDERS)
    assert "{customer}" in reply.text


@pytest.mark.parametrize("reply", REPLIES, ids=lambda r: r.key)
@pytest.mark.parametrize("order", ["W1001", None])
def test_every_library_reply_fills_completely(reply: SavedReply, order: str | None) -> None:
    filled = fill(reply, facts(order=order))
    assert "{" not in filled and "}" not in filled
    assert "None" not in filled
    assert "Dana" in filled and "Whitfield" not in filled
    assert "order order" not in filled
