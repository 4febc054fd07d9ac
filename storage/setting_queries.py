"""The team's installed configuration: the newest version is in effect, older ones stay for
the record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlmodel import Session, col

from storage.models import TeamSetting


def installed_setting(session: Session) -> Row[Any] | None:
    """The newest installed configuration (installed_at, installed_by, source, body), or None
    when none was installed."""
    row: Row[Any] | None = session.execute(
        select(
            col(TeamSetting.installed_at).label("installed_at"),
            col(TeamSetting.installed_by).label("installed_by"),
            col(TeamSetting.source).label("source"),
            col(TeamSetting.body).label("body"),
        )
        .order_by(col(TeamSetting.id).desc())
        .limit(1)
    ).first()
    return row


def install_setting(session: Session, *, at: datetime, by: str, source: str, body: str) -> None:
    """Make `body` the team's configuration from now on."""
    session.add(TeamSetting(installed_at=at, installed_by=by, source=source, body=body))
    session.flush()
