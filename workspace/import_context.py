"""What an imported line is checked against beyond itself and its references: the tiers
the policy in effect knows and, for CareDesk's own records (`caredesk export --all`), a
database that holds none yet, ids in order, keys that do not repeat, the actions their
messages and shipments belong to, and an audit chain that holds.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from sqlmodel import Session

from storage import upsert
from storage.audit import GENESIS, entry_hash
from storage.uow import lock_for_audit
from workspace.errors import InputRejected
from workspace.import_fields import Found, show
from workspace.import_records import RECORDED, Parsed
from workspace.policy import known_tiers
from workspace.policy_file import policy_from_text
from workspace.vocabulary import DEFAULT_TIER

_DESCRIBED = {
    "contact_hold": "hold",
    "action": "action",
    "delivery": "delivery",
    "shipment": "shipment",
    "follow_up": "follow-up",
    "policy_version": "policy version",
    "team_setting": "team setting",
    "audit_entry": "audit entry",
}


_UNIQUE: dict[str, tuple[tuple[str, str], ...]] = {
    "delivery": (("action", "action_id"), ("webhook_id", "webhook_id")),
    "shipment": (("action", "action_id"), ("ref", "ref")),
}
"""(field, column) of the records of CareDesk's own that no two of a type may share."""


class LineContext:
    """What a line is checked against beyond itself: the tiers known and, for CareDesk's own
    records, a database without any, ids in order and an audit chain that holds.

    The tiers are those of the policy in effect, until the file installs policies of its
    own (`export --all` writes them before the customers): then those of the newest one.
    """

    def __init__(self, session: Session, tiers: Collection[str]) -> None:
        self.session = session
        self.tiers = frozenset(tiers) | {DEFAULT_TIER}
        self.admitted: bool | None = None  # None until the first record of CareDesk's own
        self.last: dict[str, int] = {}
        self.refs: set[str] = set()
        self.actions: set[int] = set()
        """The ids of the actions earlier in the file (the database holds none)."""
        self.taken: dict[tuple[str, str], set[Any]] = {}
        """The values of each unique field (`_UNIQUE`) given so far."""
        self.chain = GENESIS
        # Before any line is written: the import itself starts holds for held contacts.
        self.first_hold = upsert.first_hold(session)

    def check(self, parsed: Parsed) -> Found:
        """The problems of `parsed` in its context (none: it may be written)."""
        row = parsed.row
        if parsed.kind == "customer" and row["tier"] not in self.tiers:
            known = ", ".join(sorted(self.tiers))
            return [
                ("tier", f"expected a tier the policy knows ({known}), got {show(row['tier'])}")
            ]
        if parsed.kind == "order":
            # What refunds gave back on it is CareDesk's own: it goes in with the rest.
            return [] if row["refunded"] is None else self._admission("refunded")
        if parsed.kind not in RECORDED:
            return []
        refused = self._admission("type")
        if refused or not self.admitted:
            return refused  # said once, on the first such line
        if parsed.kind == "action":
            self.actions.add(row["id"])  # out of order, it is said once: on its own line
        if "id" in row:
            last = self.last.get(parsed.kind, 0)
            if row["id"] <= last:
                return [("id", f"expected a number above {last} (ids go up line by line)")]
            self.last[parsed.kind] = row["id"]
        if parsed.kind in _UNIQUE:
            found = self._belongs(parsed.kind, row)
            if found:
                return found
        if parsed.kind == "action":
            if row["ref"] in self.refs:
                return [("ref", f"{show(row['ref'])} is given to an earlier action")]
            self.refs.add(row["ref"])
        elif parsed.kind == "audit":
            return self._chained(row)
        elif parsed.kind == "policy_version":
            return self._installed(row)
        return []

    def _admission(self, field: str) -> Found:
        """On the first of CareDesk's own records, the refusal (at `field`) if the database
        holds some; nothing after that."""
        return self._admit(field) if self.admitted is None else []

    def _belongs(self, kind: str, row: dict[str, Any]) -> Found:
        """A delivery or shipment names an action earlier in the file, and shares none of
        its unique fields with an earlier one."""
        if row["action_id"] not in self.actions:
            return [("action", f"no action {row['action_id']} earlier in the file")]
        for field, column in _UNIQUE[kind]:
            taken = self.taken.setdefault((kind, column), set())
            value = row[column]
            if value in taken:
                said = f"action {value} has" if field == "action" else f"{show(value)} is given to"
                return [(field, f"{said} an earlier {kind}")]
            taken.add(value)
        return []

    def _admit(self, field: str) -> Found:
        """Let CareDesk's own records in only if the database holds none; until the import
        commits nobody else appends to the audit log."""
        lock_for_audit(self.session)
        first = upsert.first_recorded(self.session)
        if first is None and self.first_hold is not None:
            first = ("contact_hold", self.first_hold)
        self.admitted = first is None
        if first is None:
            return []
        table, number = first
        return [
            (
                field,
                f"this database already holds CareDesk's own records ({_DESCRIBED[table]} "
                f"#{number} is the first): the records of `export --all` only go into a "
                "database that holds none",
            )
        ]

    def _chained(self, row: dict[str, Any]) -> Found:
        expected, self.chain = self.chain, row["hash"]
        if row["prev_hash"] != expected:
            before = "the start of the chain" if expected == GENESIS else "the entry before it"
            return [("prev_hash", f"expected {expected[:12]}… ({before}), got {row['prev_hash']}")]
        fields = ("at", "actor", "action", "entity", "entity_id", "before", "after")
        if entry_hash(expected, *(row[name] for name in fields)) != row["hash"]:
            return [("hash", "does not match the entry: its contents were changed")]
        return []

    def _installed(self, row: dict[str, Any]) -> Found:
        try:
            policy = policy_from_text(row["body"], Path(row["source"]))
        except InputRejected as rejected:
            first = rejected.problems[0] if rejected.problems else rejected
            return [("body", f"not a policy CareDesk can read: {first}")]
        self.tiers = known_tiers(policy)
        return []
