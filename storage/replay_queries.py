"""What a trainee did in a replay's throw-away database, read back to write their answers
file: the contact's replies to the customer, its actions, and how it was closed. A replay's
database holds one contact, so nothing here needs more than its primary keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, func, select
from sqlmodel import Session, col

from storage.models import Action, ContactHold, Interaction, Ticket


def replies(session: Session, ticket_id: str, direction: str) -> Sequence[Row[Any]]:
    """The contact's messages in `direction` (`at`, `text`), oldest first."""
    stmt: Any = (
        select(col(Interaction.at).label("at"), col(Interaction.text).label("text"))
        .where(col(Interaction.ticket_id) == ticket_id, col(Interaction.direction) == direction)
        .order_by(col(Interaction.at), col(Interaction.id))
    )
    return session.execute(stmt).all()


def actions(session: Session, ticket_id: str) -> Sequence[Row[Any]]:
    """The contact's actions (`requested_at`, `kind`, `order_id`, `items`, `amount`, `reason`,
    `verdict`, `status`), in the order they were taken."""
    stmt: Any = (
        select(
            col(Action.requested_at).label("requested_at"),
            col(Action.kind).label("kind"),
            col(Action.order_id).label("order_id"),
            col(Action.items).label("items"),
            col(Action.amount).label("amount"),
            col(Action.reason).label("reason"),
            col(Action.verdict).label("verdict"),
            col(Action.status).label("status"),
        )
        .where(col(Action.ticket_id) == ticket_id)
        .order_by(col(Action.requested_at), col(Action.id))
    )
    return session.execute(stmt).all()


def closing(session: Session, ticket_id: str) -> Row[Any] | None:
    """The contact's `status`, `disposition`, `resolved_at`, `parked_at`, and `let_go_at`:
    when its last hold ended (an escalation keeps no other time of its own)."""
    let_go = (
        select(func.max(col(ContactHold.ended_at)))
        .where(col(ContactHold.ticket_id) == ticket_id)
        .scalar_subquery()
    )
    stmt: Any = select(
        col(Ticket.status).label("status"),
        col(Ticket.disposition).label("disposition"),
        col(Ticket.resolved_at).label("resolved_at"),
        col(Ticket.parked_at).label("parked_at"),
        let_go.label("let_go_at"),
    ).where(col(Ticket.id) == ticket_id)
    row: Row[Any] | None = session.execute(stmt).first()
    return row
