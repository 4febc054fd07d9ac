"""The team's installed policy: the newest version decides, older ones stay for the record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlmodel import Session, col

from storage.models import PolicyVersion


def installed_policy(session: Session) -> Row[Any] | None:
    """The newest installed policy (installed_at, installed_by, fingerprint, source, body),
    or None when none was installed."""
    row: Row[Any] | None = session.execute(
        select(
            col(PolicyVersion.installed_at).label("installed_at"),
            col(PolicyVersion.installed_by).label("installed_by"),
            col(PolicyVersion.fingerprint).label("fingerprint"),
            col(PolicyVersion.source).label("source"),
            col(PolicyVersion.body).label("body"),
        )
        .order_by(col(PolicyVersion.id).desc())
        .limit(1)
    ).first()
    return row


def install_policy(
    session: Session, *, at: datetime, by: str, fingerprint: str, source: str, body: str
) -> None:
    """Make `body` the team's policy from now on."""
    session.add(
        PolicyVersion(
            installed_at=at, installed_by=by, fingerprint=fingerprint, source=source, body=body
        )
    )
    session.flush()
