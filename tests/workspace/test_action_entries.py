"""An action's entries on the timeline: what each says at each stage, pure, no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from tests.factories import NOW
from workspace.action_entries import ActionEvent, action_entry, decision_entry
from workspace.action_view import ActionRecord
from workspace.timeline import ACTION, ACTION_CHANNEL, DECISION, TimelineKey
from workspace.vocabulary import ActionStatus

ASKED = NOW - timedelta(hours=2)
DECIDED = NOW - timedelta(minutes=20)

REQUEST = ActionRecord(
    id=12,
    ref="ref-12",
    kind="discount",
    customer_id="C-1",
    customer_name="Dana Whitfield",
    customer_tier="silver",
    order_id="W1001",
    ticket_id="T-1",
    agent_id=1,
    agent_name="Alex Morgan",
    amount=Decimal("30.00"),
    currency="USD",
    items=(),
    reason="parcel two weeks late",
    verdict="needs_approval",
    rule="tiers.silver.discount.limit.amount",
    verdict_reason="Discounts over 20.00 USD need a supervisor.",
    outside_budget=False,
    policy_hash="0123456789abcdef",
    status=ActionStatus.REQUESTED,
    requested_at=ASKED,
    decided_at=None,
    decided_by_name=None,
    decision_reason=None,
    executed_at=None,
)

DENIED = replace(
    REQUEST,
    status=ActionStatus.DENIED,
    decided_at=DECIDED,
    decided_by_name="Jordan Lee",
    decision_reason="not on a first delay",
)
APPROVED = replace(
    DENIED, status=ActionStatus.EXECUTED, decision_reason="ok this once", executed_at=DECIDED
)
WITHDRAWN = replace(
    REQUEST,
    status=ActionStatus.WITHDRAWN,
    decided_at=DECIDED,
    decided_by_name="Alex Morgan",
)
EXECUTED = replace(
    REQUEST,
    kind="refund",
    verdict="allow",
    rule="tiers.silver.refund.limit.amount",
    verdict_reason="Within the agent's refund limit.",
    status=ActionStatus.EXECUTED,
    executed_at=ASKED,
)
REFUSED = replace(
    REQUEST,
    kind="store_credit",
    order_id=None,
    verdict="deny",
    rule="tiers.silver.store_credit.max",
    verdict_reason="Store credit is capped at 50.00 USD.",
    status=ActionStatus.DENIED,
    decided_at=ASKED,
)


def _lines(entry_text: str) -> list[str]:
    return entry_text.split("\n")


def test_a_waiting_request_has_one_entry_at_the_time_it_was_asked_for() -> None:
    entry = action_entry(REQUEST)
    assert entry.key == TimelineKey(ASKED, ACTION, 12)
    assert (entry.at, entry.kind, entry.channel) == (ASKED, ActionEvent.REQUESTED, ACTION_CHANNEL)
    assert (entry.author, entry.ref, entry.ticket_id) == ("Alex Morgan", "#12", "T-1")
    assert entry.subject == "Discount #12 requested"
    assert entry.tone == "waiting"
    assert _lines(entry.text) == [
        "Discount #12 requested by Alex Morgan, 30.00 USD on order W1001: parcel two weeks late",
        "",
        "Policy: needs approval (rule tiers.silver.discount.limit.amount): "
        "Discounts over 20.00 USD need a supervisor.",
        "Now: waiting for approval.",
    ]
    assert decision_entry(REQUEST) is None


def test_a_denial_is_an_entry_at_the_time_it_was_decided_with_the_reason() -> None:
    entry = decision_entry(DENIED)
    assert entry is not None
    assert entry.key == TimelineKey(DECIDED, DECISION, 12)
    assert (entry.kind, entry.author, entry.tone) == (ActionEvent.DENIED, "Jordan Lee", "refused")
    assert entry.subject == "Discount #12 denied"
    assert _lines(entry.text) == [
        "Discount #12 denied by Jordan Lee: not on a first delay",
        "",
        "Requested by Alex Morgan, 30.00 USD on order W1001: parcel two weeks late",
    ]
    # The request's own entry says where it stands now.
    request = action_entry(DENIED)
    assert request.kind == ActionEvent.REQUESTED and request.tone == "refused"
    assert _lines(request.text)[-1] == "Now: denied by Jordan Lee: not on a first delay"


def test_an_approval_says_it_was_executed() -> None:
    entry = decision_entry(APPROVED)
    assert entry is not None
    assert (entry.kind, entry.tone) == (ActionEvent.APPROVED, "done")
    assert _lines(entry.text)[0] == "Discount #12 approved by Jordan Lee: ok this once"
    assert _lines(entry.text)[-1] == "Executed when it was approved."
    assert _lines(action_entry(APPROVED).text)[-1] == (
        "Now: executed, approved by Jordan Lee: ok this once"
    )


def test_a_withdrawal_is_an_entry_of_its_own() -> None:
    entry = decision_entry(WITHDRAWN)
    assert entry is not None
    assert (entry.kind, entry.tone, entry.author) == (ActionEvent.WITHDRAWN, "void", "Alex Morgan")
    assert _lines(entry.text)[0] == "Discount #12 withdrawn by Alex Morgan"
    assert _lines(action_entry(WITHDRAWN).text)[-1] == "Now: withdrawn by Alex Morgan."


def test_what_the_policy_decided_alone_is_one_entry() -> None:
    executed = action_entry(EXECUTED)
    assert (executed.kind, executed.tone) == (ActionEvent.EXECUTED, "done")
    assert _lines(executed.text)[0] == (
        "Refund #12 executed by Alex Morgan, 30.00 USD on order W1001: parcel two weeks late"
    )
    assert _lines(executed.text)[2] == (
        "Policy: allow (rule tiers.silver.refund.limit.amount): Within the agent's refund limit."
    )
    assert decision_entry(EXECUTED) is None
    refused = action_entry(REFUSED)
    assert (refused.kind, refused.tone) == (ActionEvent.REFUSED, "refused")
    assert refused.subject == "Store credit #12 refused"
    assert _lines(refused.text)[0] == (
        "Store credit #12 denied by the policy, 30.00 USD asked by Alex Morgan: "
        "Store credit is capped at 50.00 USD."
    )
    assert "Reason given: parcel two weeks late" in _lines(refused.text)
    assert decision_entry(REFUSED) is None  # the policy decided it, not a person


def test_replaced_items_and_guarantee_grants_are_said() -> None:
    replacement = replace(
        EXECUTED, kind="replacement", items=("BL-200", "JUG-1"), outside_budget=True
    )
    lines = _lines(action_entry(replacement).text)
    assert lines[0].startswith("No-charge replacement #12 executed by Alex Morgan, 30.00 USD")
    assert "Items: BL-200, JUG-1" in lines
    assert "Outside the budget: granted because a guarantee was broken." in lines


def test_untrusted_names_and_reasons_stay_on_their_own_line() -> None:
    """A line break in a reason or a name cannot make a line that passes for one of ours."""
    forged = "fine\nNow: executed, approved by Jordan Lee"
    entry = action_entry(replace(DENIED, reason=forged, agent_name="Alex\nPolicy: allow"))
    lines = _lines(entry.text)
    assert len(lines) == 4
    assert lines[0] == (
        "Discount #12 requested by Alex \N{RETURN SYMBOL} Policy: allow, 30.00 USD on order "
        "W1001: fine \N{RETURN SYMBOL} Now: executed, approved by Jordan Lee"
    )
    assert lines[-1] == "Now: denied by Jordan Lee: not on a first delay"
    decision = decision_entry(replace(DENIED, decision_reason="no\x1b[2J\nApproved"))
    assert decision is not None
    assert _lines(decision.text)[0] == (
        "Discount #12 denied by Jordan Lee: no^[[2J \N{RETURN SYMBOL} Approved"
    )
