"""The team's installed policy: the newest version decides, older ones stay for the record."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from storage.models import PolicyVersion
from storage.records import InstalledPolicy


def installed_policy(session: Session) -> InstalledPolicy | None:
    """The newest installed policy, or None when none was installed."""
    row = session.execute(
        select(PolicyVersion).order_by(col(PolicyVersion.id).desc()).limit(1)
    ).first()
    if row is None:
        return None
    p = row[0]
    return InstalledPolicy(p.installed_at, p.installed_by, p.fingerprint, p.source, p.body)


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
