"""Checking the audit log's hash chain, and saying in one line what was found."""

from __future__ import annotations

from datetime import UTC

from storage.audit import ChainReport, verify_chain
from storage.engine import Database
from storage.uow import read_session
from workspace.text import one_line


def verify_audit(db: Database) -> ChainReport:
    """Walk the whole audit log of `db` and report the first broken link, if any."""
    with read_session(db) as session:
        return verify_chain(session)


def _entries(n: int) -> str:
    return f"{n:,} {'entry' if n == 1 else 'entries'}"


def describe(report: ChainReport) -> str:
    """The one-line message for a person: intact with its size, or where and how it broke."""
    if report.broken is None:
        return f"audit log intact: {_entries(report.entries)} checked"
    link = report.broken
    when = link.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    verb = "is" if report.entries == 1 else "are"
    return (
        f"audit log broken at entry #{link.entry_id} "
        f"({when}, {one_line(link.actor)}, {one_line(link.action)} {one_line(link.entity)} "
        f"{one_line(link.entity_id)}): {link.problem}; "
        f"{_entries(report.entries)} before it {verb} intact"
    )
