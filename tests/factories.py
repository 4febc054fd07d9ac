"""Small, explicit test data: a few rows written through the real models."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from storage.engine import Database
from storage.models import Agent, Customer, Interaction, Order, OrderItem, Ticket
from storage.uow import unit_of_work
from workspace.agents import AgentRecord
from workspace.desk import Desk
from workspace.reading import Reading
from workspace.vocabulary import ContactStatus, Priority

NOW = datetime(2026, 11, 7, 9, 0, tzinfo=UTC)


def add_agents(db: Database, *names: str, role: str = "agent") -> list[AgentRecord]:
    """Agents called `names`."""
    out = []
    with unit_of_work(db) as s:
        for name in names:
            a = Agent(name=name, display_name=name.title(), role=role)
            s.add(a)
            s.flush()
            assert a.id is not None
            out.append(AgentRecord(a.id, a.name, a.display_name, a.role))
    return out


def add_customer(db: Database, cid: str = "C-1", name: str = "Dana Whitfield", tier: str = "gold"):
    with unit_of_work(db) as s:
        s.add(Customer(id=cid, name=name, tier=tier, since=date(2019, 4, 2), email="d@example.com"))


def add_ticket(
    db: Database,
    tid: str,
    cid: str = "C-1",
    *,
    channel: str = "chat",
    priority: str = "normal",
    due_in: int = 30,
    opened_ago: int = 5,
    status: str = "open",
    subject: str = "Where is my order?",
    holder: int | None = None,
) -> None:
    with unit_of_work(db) as s:
        s.add(
            Ticket(
                id=tid,
                customer_id=cid,
                channel=channel,
                subject=subject,
                status=status,
                active=ContactStatus(status).active,
                priority=priority,
                priority_rank=Priority(priority).rank,
                opened_at=NOW - timedelta(minutes=opened_ago),
                sla_due_at=NOW + timedelta(minutes=due_in),
                assigned_agent_id=holder,
                claimed_at=NOW if holder else None,
            )
        )


def add_message(
    db: Database,
    ref: str,
    cid: str = "C-1",
    *,
    at: datetime,
    channel: str = "chat",
    direction: str = "inbound",
    kind: str = "message",
    text: str = "hello",
    subject: str | None = None,
    ticket: str | None = None,
) -> None:
    with unit_of_work(db) as s:
        s.add(
            Interaction(
                ref=ref,
                customer_id=cid,
                ticket_id=ticket,
                at=at,
                channel=channel,
                direction=direction,
                kind=kind,
                text=text,
                subject=subject,
            )
        )


def add_order(
    db: Database,
    oid: str,
    cid: str = "C-1",
    *,
    placed: datetime,
    status: str = "delivered",
    promised: date | None = None,
    delivered: datetime | None = None,
    price: str = "129.00",
) -> None:
    with unit_of_work(db) as s:
        s.add(
            Order(
                id=oid,
                customer_id=cid,
                placed_at=placed,
                status=status,
                promised_by=promised,
                delivered_at=delivered,
                total=Decimal(price),
            )
        )
        s.flush()
        s.add(
            OrderItem(
                order_id=oid, line=1, sku="BL-200", name="Countertop blender", price=Decimal(price)
            )
        )


def reading(desk: Desk) -> Reading:
    """What the agent at `desk` reads: the same database and clock, in the default currency."""
    return Reading(desk.db, "USD", desk.clock)
