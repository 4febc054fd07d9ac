"""What `caredesk scenario export` reads of one contact: the contact, its actions, its
messages, the customer's earlier history and orders. Every read is by an index the workspace
already keeps (the contact's id, `ix_action_customer`, `ix_interaction_ticket`,
`ix_interaction_timeline`, `ix_orders_customer_placed`). The words (directions) are the
workspace's, passed in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, literal, or_, select
from sqlmodel import Session, col

from storage.models import Action, Agent, Interaction, Order, Ticket
from storage.types import UTCDateTime


def _at(value: datetime) -> Any:
    """A time bound as UTC whatever the session's time zone (see queue_queries)."""
    return literal(value, UTCDateTime())


def contact(session: Session, contact_id: str) -> Row[Any] | None:
    """The contact (`id`, `customer_id`, `channel`, `subject`, `status`, `opened_at`,
    `resolved_at`, `disposition`) with the role of the agent who holds or held it
    (`role`, None when nobody did), or None."""
    row: Row[Any] | None = session.execute(
        select(
            col(Ticket.id).label("id"),
            col(Ticket.customer_id).label("customer_id"),
            col(Ticket.channel).label("channel"),
            col(Ticket.subject).label("subject"),
            col(Ticket.status).label("status"),
            col(Ticket.opened_at).label("opened_at"),
            col(Ticket.resolved_at).label("resolved_at"),
            col(Ticket.disposition).label("disposition"),
            col(Agent.role).label("role"),
        )
        .outerjoin(Agent, col(Agent.id) == col(Ticket.assigned_agent_id))
        .where(col(Ticket.id) == contact_id)
    ).first()
    return row


def contact_actions(session: Session, customer_id: str, contact_id: str) -> Sequence[Row[Any]]:
    """The actions taken on the contact (`kind`, `order_id`, `amount`, `items` as stored,
    `status`, `role` of who asked), in the order they were asked for."""
    rows: Sequence[Row[Any]] = session.execute(
        select(
            col(Action.kind).label("kind"),
            col(Action.order_id).label("order_id"),
            col(Action.amount).label("amount"),
            col(Action.items).label("items"),
            col(Action.status).label("status"),
            col(Agent.role).label("role"),
        )
        .join(Agent, col(Agent.id) == col(Action.agent_id))
        .where(col(Action.customer_id) == customer_id, col(Action.ticket_id) == contact_id)
        .order_by(col(Action.requested_at), col(Action.id))
    ).all()
    return rows


def contact_messages(
    session: Session, contact_id: str, direction: str, limit: int
) -> Sequence[Row[Any]]:
    """The first `limit` messages of the contact in `direction` (`at`, `text`), oldest first."""
    rows: Sequence[Row[Any]] = session.execute(
        select(col(Interaction.at).label("at"), col(Interaction.text).label("text"))
        .where(col(Interaction.ticket_id) == contact_id, col(Interaction.direction) == direction)
        .order_by(col(Interaction.at), col(Interaction.id))
        .limit(limit)
    ).all()
    return rows


def history_before(
    session: Session,
    customer_id: str,
    before: datetime,
    contact_id: str,
    directions: Sequence[str],
    limit: int,
) -> Sequence[Row[Any]]:
    """The customer's newest `limit` interactions in `directions` before `before`, other
    contacts' only (`at`, `channel`, `direction`, `subject`, `text`, `author`), newest
    first: a keyset read backwards over `ix_interaction_timeline`."""
    other_contact = or_(
        col(Interaction.ticket_id).is_(None), col(Interaction.ticket_id) != contact_id
    )
    rows: Sequence[Row[Any]] = session.execute(
        select(
            col(Interaction.at).label("at"),
            col(Interaction.channel).label("channel"),
            col(Interaction.direction).label("direction"),
            col(Interaction.subject).label("subject"),
            col(Interaction.text).label("text"),
            col(Interaction.author).label("author"),
        )
        .where(
            col(Interaction.customer_id) == customer_id,
            col(Interaction.at) < _at(before),
            col(Interaction.direction).in_(list(directions)),
            other_contact,
        )
        .order_by(col(Interaction.at).desc(), col(Interaction.id).desc())
        .limit(limit)
    ).all()
    return rows


def order_dates(session: Session, customer_id: str) -> Sequence[Row[Any]]:
    """Every order of the customer (`id`, `placed_at`), newest first: which ones a scenario
    shows is the workspace's choice, and every id is kept out of its text."""
    rows: Sequence[Row[Any]] = session.execute(
        select(col(Order.id).label("id"), col(Order.placed_at).label("placed_at"))
        .where(col(Order.customer_id) == customer_id)
        .order_by(col(Order.placed_at).desc(), col(Order.id).desc())
    ).all()
    return rows
