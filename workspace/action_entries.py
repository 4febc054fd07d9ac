"""An action on the customer's timeline: one entry for how it was taken, one for how it was
decided, each at its own time, so a supervisor's decision and their reason stay in the
history where they happened instead of fading with a toast.

The entry of the action taken also says where it stands now, so either entry read alone
tells the agent whether anything was given. Names and reasons are untrusted: each goes into
our sentences on one line (`one_line`), so none can pass for a line of ours in the full view.
"""

from __future__ import annotations

from enum import StrEnum

from workspace.action_view import DELIVERY_WORDS, ActionRecord
from workspace.text import one_line, words
from workspace.timeline import ACTION, ACTION_CHANNEL, DECISION, TimelineKey, TimelineRecord
from workspace.vocabulary import ActionKind, ActionStatus, Direction, VerdictKind, member


class ActionEvent(StrEnum):
    """The timeline's entries for an action."""

    EXECUTED = "action_executed"
    """Taken and executed at once: the policy allowed it."""
    REQUESTED = "action_requested"
    """Taken as a request for a supervisor's approval."""
    REFUSED = "action_refused"
    """Taken and denied at once by the policy."""
    APPROVED = "action_approved"
    """A supervisor approved the request; it was executed then."""
    DENIED = "action_denied"
    """A supervisor denied the request."""
    WITHDRAWN = "action_withdrawn"
    """The agent who asked withdrew the request."""

    @property
    def verb(self) -> str:
        """What happened, in a few words: `denied`."""
        return self.value.removeprefix("action_")


def _said(text: str | None) -> str:
    """`: why` on one line, or nothing when there is no reason."""
    why = one_line(text or "").strip()
    return f": {why}" if why else ""


def _what(a: ActionRecord) -> str:
    """`Refund #12`: first in every entry, so the two entries of an action read as a pair."""
    return f"{a.label} #{a.id}"


def _worth(a: ActionRecord) -> str:
    """`20.00 USD on order W1001`, or without the order when it has none."""
    on = f" on order {one_line(a.order_id)}" if a.order_id else ""
    return f"{a.amount} {a.currency}{on}"


def _taken_event(a: ActionRecord) -> ActionEvent:
    verdict = member(VerdictKind, a.verdict)
    if verdict is VerdictKind.ALLOW:
        return ActionEvent.EXECUTED
    if verdict is VerdictKind.DENY:
        return ActionEvent.REFUSED
    return ActionEvent.REQUESTED


def _now(a: ActionRecord) -> str:
    """Where the action stands, as the last line of its entry: `Now: denied by Jordan: ...`."""
    by = f" by {one_line(a.decided_by_name)}" if a.decided_by_name else ""
    if a.status is ActionStatus.WITHDRAWN:
        return f"Now: withdrawn{by}."
    sent = f" ({DELIVERY_WORDS[a.delivery]})" if a.delivery in DELIVERY_WORDS else ""
    if a.status is ActionStatus.EXECUTED and a.decided_by_name:
        return f"Now: executed{sent}, approved{by}{_said(a.decision_reason)}"
    if a.status is ActionStatus.EXECUTED:
        return f"Now: {a.status.label}{sent}."
    if a.status is ActionStatus.DENIED and a.decided_by_name:
        return f"Now: denied{by}{_said(a.decision_reason)}"
    return f"Now: {a.status.label}."


def _order_now(a: ActionRecord) -> str | None:
    """What the executed action did to its order: the order follows the action."""
    if a.status is not ActionStatus.EXECUTED or a.order_id is None:
        return None
    order = one_line(a.order_id)
    kind = member(ActionKind, a.kind)
    if kind is ActionKind.CANCEL_ORDER:
        return f"Order {order} is cancelled."
    if kind is ActionKind.REFUND:
        return f"Refunded {a.amount} {a.currency} of order {order}'s total."
    if a.shipment is not None:
        return f"Shipment {one_line(a.shipment)} to the customer, from order {order}."
    return None


def _entry(
    a: ActionRecord, key: TimelineKey, event: ActionEvent, author: str, lines: list[str]
) -> TimelineRecord:
    return TimelineRecord(
        key=key,
        kind=event,
        at=key.at,
        channel=ACTION_CHANNEL,
        direction=Direction.EVENT,
        subject=f"{a.label} #{a.id} {event.verb}",
        text="\n".join(lines),
        author=author,
        ref=f"#{a.id}",
        ticket_id=a.ticket_id,
        tone=a.status.tone,
    )


def action_entry(a: ActionRecord) -> TimelineRecord:
    """The entry of an action taken, at the time it was asked for: what, on which order, by
    whom and why, the policy's verdict and rule, and where it stands now."""
    event = _taken_event(a)
    agent = one_line(a.agent_name)
    # What and what became of it first: a narrow pane cuts the line's end.
    if event is ActionEvent.REFUSED:
        head = f"{_what(a)} denied by the policy, {_worth(a)} asked by {agent}"
        head += _said(a.verdict_reason)
    else:
        head = f"{_what(a)} {event.verb} by {agent}, {_worth(a)}{_said(a.reason)}"
    verdict = f"Policy: {words(a.verdict)} (rule {one_line(a.rule)})"
    lines = [head, "", verdict + _said(a.verdict_reason)]
    if a.items:
        lines.append("Items: " + ", ".join(one_line(sku) for sku in a.items))
    if a.outside_budget:
        lines.append("Outside the budget: granted because a guarantee was broken.")
    if event is ActionEvent.REFUSED:
        lines.append(f"Reason given{_said(a.reason) or ': none'}")
    if (done := _order_now(a)) is not None:
        lines.append(done)
    lines.append(_now(a))
    return _entry(a, TimelineKey(a.requested_at, ACTION, a.id), event, a.agent_name, lines)


def decision_entry(a: ActionRecord) -> TimelineRecord | None:
    """The entry of a request's decision, at the time it was decided: approved or denied by
    a supervisor with their reason, or withdrawn by the agent who asked. None for an action
    nobody decided (a request still waiting, or one the policy decided when it was taken)."""
    if a.decided_at is None or a.decided_by_name is None:
        return None
    decider = one_line(a.decided_by_name)
    if a.status is ActionStatus.WITHDRAWN:
        event = ActionEvent.WITHDRAWN
    elif a.status is ActionStatus.DENIED:
        event = ActionEvent.DENIED
    else:
        event = ActionEvent.APPROVED
    head = f"{_what(a)} {event.verb} by {decider}{_said(a.decision_reason)}"
    asked = f"Requested by {one_line(a.agent_name)}, {_worth(a)}{_said(a.reason)}"
    lines = [head, "", asked]
    if event is ActionEvent.APPROVED:
        lines.append("Executed when it was approved." if a.executed_at else _now(a))
    return _entry(a, TimelineKey(a.decided_at, DECISION, a.id), event, a.decided_by_name, lines)
