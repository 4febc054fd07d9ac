"""The report's queries read each period through an index, on SQLite and PostgreSQL: a day's
report reads that day's rows, never a whole table of years (as tests/storage/
test_query_plans.py checks the panes' queries, with the same rules)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update
from sqlmodel import col

from storage import action_queries, monitor_queries
from storage import metric_queries as q
from storage.engine import Database
from storage.models import ContactHold, Survey, Ticket
from storage.uow import unit_of_work
from tests.factories import NOW, add_agents, add_customer, add_ticket
from tests.storage import test_query_plans as plans
from tests.storage.test_query_plans import Case, Seed

SINCE, UNTIL = NOW - timedelta(days=1), NOW + timedelta(hours=1)
ACTIVE = ("open", "escalated")
STATUSES = ("requested", "approved", "denied", "withdrawn", "executed")

CASES = [
    # Closed in the period: a range of `ix_ticket_closed`; each one's customer's next contact
    # one probe of `ix_ticket_customer`.
    Case(
        "closed_contacts",
        lambda s, d: q.closed_contacts(s, SINCE, UNTIL),
        ("ix_ticket_closed", "ix_ticket_customer"),
    ),
    Case(
        "holds_of_closed",
        lambda s, d: q.holds_of_closed(s, SINCE, UNTIL),
        ("ix_ticket_closed", "ix_contact_hold_ticket"),
    ),
    Case(
        "first_responses",
        lambda s, d: q.first_responses(s, SINCE, UNTIL),
        ("ix_ticket_first_response",),
    ),
    Case("surveys", lambda s, d: q.surveys(s, SINCE, UNTIL), ("ix_survey_at",)),
    # Grouped by channel from the index alone: its rows come in time order, so SQLite groups
    # them in a small b-tree of the channels.
    Case(
        "opened_by_channel",
        lambda s, d: q.opened_by_channel(s, SINCE, UNTIL),
        ("ix_ticket_opened",),
        sorts=True,
    ),
    # The active contacts, by status and channel (the queue's index); the ones closed after
    # `until`, from the closed index, grouped by channel in a small b-tree.
    Case(
        "backlog_by_channel",
        lambda s, d: q.backlog_by_channel(s, UNTIL, ACTIVE),
        ("ix_ticket_queue_status", "ix_ticket_closed"),
        sorts=True,
    ),
    # Grouped by agent name: a b-tree of at most the team.
    Case(
        "given_by_agent",
        lambda s, d: q.given_by_agent(s, SINCE, UNTIL, kinds=("refund", "discount")),
        ("ix_action_executed",),
        sorts=True,
    ),
    Case(
        "waiting_by_agent",
        lambda s, d: q.waiting_by_agent(s, UNTIL, waiting="requested", verdict="needs_approval"),
        ("ix_action_status", "ix_action_decided_at"),
        sorts=True,
    ),
    # Grouped by rule, verdict and status: a b-tree of the policy's rules.
    Case(
        "verdicts_by_rule",
        lambda s, d: q.verdicts_by_rule(s, SINCE, UNTIL, STATUSES),
        ("ix_action_status",),
        sorts=True,
    ),
    Case(
        "decided_requests",
        lambda s, d: q.decided_requests(s, SINCE, UNTIL, verdict="needs_approval"),
        ("ix_action_decided_at",),
    ),
    Case(
        "executed_by_agent_kind",
        lambda s, d: q.executed_by_agent_kind(s, SINCE, UNTIL),
        ("ix_action_executed",),
        sorts=True,
    ),
    # The monitor's panels, refreshed on every change: counts from the queue's indexes alone,
    # the most urgent as ranges cut at their limit, the day's holds by agent.
    Case(
        "monitor_depth",
        lambda s, d: monitor_queries.depth(s),
        ("ix_ticket_queue_status", "ix_ticket_unheld"),
        sorts=True,
    ),
    Case(
        "monitor_urgent",
        lambda s, d: monitor_queries.urgent(s, UNTIL, 50),
        ("ix_ticket_queue_status",),
        sorts=True,
    ),
    Case(
        "monitor_overdue",
        lambda s, d: monitor_queries.overdue(s, NOW, UNTIL),
        ("ix_ticket_queue_status",),
    ),
    Case(
        "monitor_floor",
        lambda s, d: monitor_queries.floor(s, SINCE),
        ("ix_contact_hold_agent_running", "ix_contact_hold_ended"),
        # Every running hold, through the partial index of those alone: as many as the
        # contacts being worked now, whatever the holds of the past.
        walks=frozenset({"contact_hold"}),
        sorts=True,
    ),
    Case(
        "monitor_given",
        lambda s, d: monitor_queries.given(s, SINCE - timedelta(days=30), SINCE),
        ("ix_action_executed",),
        sorts=True,
    ),
]


def _seed(db: Database) -> Seed:
    """Contacts closed and open, holds, surveys and actions around NOW."""
    add_customer(db)
    (sam,) = add_agents(db, "sam")
    for i, status in enumerate(("open", "resolved", "resolved", "escalated", "pending")):
        add_ticket(db, f"T-{i}", status=status, holder=sam.id, opened_ago=60 * i)
    with unit_of_work(db) as s:
        s.execute(
            update(Ticket)
            .where(col(Ticket.status) == "resolved")
            .values(resolved_at=NOW, first_response_at=NOW - timedelta(minutes=5))
        )
        s.add(ContactHold(ticket_id="T-1", agent_id=sam.id, started_at=NOW, ended_at=NOW))
        s.add(Survey(id="S-1", ticket_id="T-1", at=NOW, csat=5))
        for i, status in enumerate(("requested", "approved", "executed", "denied")):
            action_queries.insert_action(
                s,
                {
                    "ref": f"R-{i}",
                    "kind": "refund",
                    "customer_id": "C-1",
                    "agent_id": sam.id,
                    "amount": Decimal("5.00"),
                    "currency": "EUR",
                    "reason": "Jug cracked",
                    "verdict": "needs_approval",
                    "rule": "refund.limit",
                    "verdict_reason": "over the agent's limit",
                    "policy_hash": "0123456789abcdef",
                    "status": status,
                    "requested_at": NOW - timedelta(hours=i),
                    "decided_at": NOW if status != "requested" else None,
                    "executed_at": NOW if status == "executed" else None,
                },
            )
    return Seed(agent_id=sam.id, key=None, closed_key=None)  # type: ignore[arg-type]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_the_report_and_the_monitor_read_through_indexes(
    db: Database, case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Holds and surveys grow with the business too.
    monkeypatch.setattr(plans, "BIG", plans.BIG | {"contact_hold", "survey"})
    plans.check_plans(db, case, seed=_seed(db))
