"""The team's policy lives in the database, so every agent is bound by the same one.

`caredesk policy install FILE` stores a validated policy file; from then on the workspace and
`caredesk act` decide by it on every machine. A local `--policy` / `CAREDESK_POLICY` file is
used only where no policy was installed (a one-person SQLite database); where one was, a local
file that says something else is refused, so nobody loosens their own limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from storage import policy_queries
from storage.engine import Database, Reader
from storage.uow import read_session, unit_of_work
from workspace.audit_trail import AuditTrail
from workspace.errors import CareDeskError
from workspace.policy import Policy, fingerprint
from workspace.policy_file import default_policy, policy_from_text, read_policy_text
from workspace.text import one_line
from workspace.vocabulary import AuditEvent, Entity


@dataclass(frozen=True)
class InstalledPolicy:
    """The team's policy as installed in the database."""

    installed_at: datetime
    """When."""
    installed_by: str
    """By whom."""
    fingerprint: str
    """Its fingerprint."""
    source: str
    """The file name it was installed from."""
    body: str
    """The file's text."""


class PolicyConflict(CareDeskError):
    """A local policy file differs from the one installed for the team."""


def install(db: Database, path: Path, *, by: str, at: datetime) -> tuple[Policy, str]:
    """Validate `path` and make it the team's policy; returns it and its fingerprint."""
    text = read_policy_text(path)
    policy = policy_from_text(text, path)
    mark = fingerprint(policy)
    with unit_of_work(db) as s:
        before = policy_queries.installed_policy(s)
        policy_queries.install_policy(
            s, at=at, by=by, fingerprint=mark, source=path.name, body=text
        )
        AuditTrail(by).record(
            s,
            at,
            AuditEvent.POLICY_INSTALL,
            Entity.POLICY,
            mark,
            before={"fingerprint": before.fingerprint} if before else None,
            after={"fingerprint": mark, "source": path.name},
        )
    return policy, mark


def installed(db: Reader) -> tuple[Policy, InstalledPolicy] | None:
    """The team's installed policy, validated again as it is read; None if none was."""
    with read_session(db) as s:
        row = policy_queries.installed_policy(s)
    if row is None:
        return None
    stored = InstalledPolicy(
        row.installed_at, row.installed_by, row.fingerprint, row.source, row.body
    )
    return policy_from_text(stored.body, Path(stored.source)), stored


def effective_policy(db: Reader, local: Policy | None) -> Policy:
    """The policy that decides on `db`: the installed one, else `local`, else the default.

    A local policy that differs from the installed one is refused (PolicyConflict).
    """
    found = installed(db)
    if found is None:
        return local if local is not None else default_policy()
    policy, stored = found
    if local is not None and fingerprint(local) != stored.fingerprint:
        raise PolicyConflict(
            f"this database has the team's policy installed ({one_line(stored.source)}, "
            f"fingerprint {stored.fingerprint}, by {one_line(stored.installed_by)}); the local "
            f"policy file says something else (fingerprint {fingerprint(local)}) and is refused. "
            "Install it for everyone with `caredesk policy install FILE`."
        )
    return policy
