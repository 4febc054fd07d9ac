"""Checking the audit log's hash chain, and saying in one line what was found.

A hash chain cannot see its own last entries deleted: what remains still chains. So
operations take a checkpoint of the head (how many entries, the last one's id and hash) and
keep it outside the database; `verify_against` then finds the head it recorded gone.
"""

from __future__ import annotations

import hmac
import json
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from storage.audit import (
    BrokenLink,
    ChainReport,
    adoptions,
    entry_hash_at,
    entry_time,
    first_sealed,
    head,
    verify_chain,
)
from storage.engine import Database, Reader
from storage.uow import read_session, snapshot_session
from workspace.audit_cover import CoverReport, Uncovered, describe_uncovered, verify_cover
from workspace.audit_seal import SEAL_SHAPE, AuditKey, Seals, key_for
from workspace.errors import CareDeskError
from workspace.text import one_line

MAX_CHECKPOINT_BYTES = 64 * 1024
"""A checkpoint is four fields; anything much bigger is not one."""

MAX_ID = 2**63 - 1
"""The largest id a database column can hold."""

_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


@dataclass(frozen=True)
class AuditReport:
    """What verifying a database's audit log found: the chain (with its seals), then the
    rows it covers."""

    chain: ChainReport
    cover: CoverReport | None
    """None when the chain is broken (the rows are not compared with a broken log)."""

    @property
    def ok(self) -> bool:
        """Whether nothing is wrong."""
        return self.chain.broken is None and self.cover is not None and not self.cover.uncovered

    @property
    def broken(self) -> BrokenLink | Uncovered | None:
        """The first thing wrong (a broken link or an uncovered row), or None."""
        if self.chain.broken is not None:
            return self.chain.broken
        return None if self.cover is None else self.cover.uncovered


def audit_key(db: Reader) -> AuditKey:
    """The audit key that seals `db`'s entries, as the settings name it."""
    return key_for(db.read)


def verify_audit(db: Reader) -> AuditReport:
    """Walk the whole audit log of `db`, checking each entry's link and seal, then compare
    every row it covers with its entries; report the first problem, if any."""
    key = audit_key(db)
    # One snapshot: a deliverer's commit between a page of rows and their entries would
    # otherwise look like a row changed by hand.
    with snapshot_session(db) as session:
        return verify_in(session, key)


def verify_in(session: Session, key: AuditKey) -> AuditReport:
    """`verify_audit` within a session of the caller's (one that may have changed the log)."""
    seals = Seals(key, adopted_through(session, key), first_sealed(session))
    chain = verify_chain(session, seals=seals)
    if chain.broken is not None:
        return AuditReport(chain, None)
    return AuditReport(chain, verify_cover(session))


def adopted_through(session: Session, key: AuditKey) -> int:
    """The last entry an adoption sealed with `key` vouches for (0: none): entries up to it
    were written before CareDesk sealed entries, and may have no seal."""
    through = 0
    for row in adoptions(session):
        entry_id, last, digest, seal = tuple(row)
        last = str(last)
        if not (isinstance(seal, str) and SEAL_SHAPE.fullmatch(seal) and last.isdigit()):
            continue  # not one CareDesk wrote: the walk names it
        if isinstance(digest, str) and hmac.compare_digest(seal, key.seal(digest)):
            through = max(through, min(int(last), int(entry_id) - 1))
    return through


def describe_audit(report: AuditReport) -> str:
    """The one-line message for a person: intact with its size, or the first problem."""
    if report.cover is None or report.cover.uncovered is None:
        text = describe(report.chain)
        if report.cover is not None and report.chain.broken is None and report.cover.rows:
            rows = report.cover.rows
            text += f", covering {rows:,} {_rows(rows)}"
        return text
    chain = _entries(report.chain.entries)
    return f"{describe_uncovered(report.cover.uncovered)}; the chain of {chain} holds"


def _rows(n: int) -> str:
    return "action or follow-up as it stands" if n == 1 else "actions and follow-ups as they stand"


@dataclass(frozen=True)
class Checkpoint:
    """The head of the audit log at one moment, to be kept outside the database."""

    entries: int
    """How many entries the log held, up to and including the head."""
    head_id: int
    """The id of the last entry."""
    head_hash: str
    """The last entry's hash (64 lowercase hex characters): it covers every entry before it."""
    at: datetime
    """When the last entry was written (aware UTC)."""
    source: str = field(default="", compare=False)
    """The file it was read from, as the user named it; empty for one just taken."""
    signature: str | None = field(default=None, compare=False)
    """The HMAC of the fields above with the team's audit key (None: an unsigned file)."""

    def signed_text(self) -> str:
        """What the signature covers: the four fields, one a line."""
        return "\n".join(
            [
                "caredesk audit checkpoint",
                str(self.entries),
                str(self.head_id),
                self.head_hash,
                _stamp(self.at),
            ]
        )

    def signed(self, key: AuditKey) -> Checkpoint:
        """This checkpoint, signed with `key`."""
        return replace(self, signature=key.sign(self.signed_text()))

    def to_json(self) -> str:
        """The checkpoint file's text: one JSON object, with a final newline."""
        body: dict[str, object] = {
            "entries": self.entries,
            "head_id": self.head_id,
            "head_hash": self.head_hash,
            "at": _stamp(self.at),
        }
        if self.signature is not None:
            body["signature"] = self.signature
        return json.dumps(body, indent=2) + "\n"


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


class ChainBroken(CareDeskError):
    """The log does not hold, so there is no head worth checkpointing."""

    def __init__(self, report: AuditReport) -> None:
        self.report = report
        super().__init__(describe_audit(report))


def checkpoint(db: Database) -> Checkpoint:
    """The head of the audit log of `db`, after checking the whole chain up to it.

    Raises `ChainBroken` when the chain does not hold, and `CareDeskError` when the log is
    empty. The head is read before the chain is walked, so entries appended meanwhile are
    walked too and the checkpointed head is always one that was verified.
    """
    key = audit_key(db)
    # One snapshot: a deliverer's commit between a page of rows and their entries would
    # otherwise look like a row changed by hand.
    with snapshot_session(db) as session:
        found = head(session)
        if found is None:
            raise CareDeskError("the audit log is empty: there is no head to checkpoint yet")
        report = verify_in(session, key)
        if not report.ok:
            raise ChainBroken(report)
        entries, head_id, head_hash = found
        at = entry_time(session, head_id)
    if at is None:  # deleted while the chain was walked: what was verified is gone
        raise CareDeskError(f"entry #{head_id} vanished while the chain was checked; try again")
    taken = Checkpoint(entries=entries, head_id=head_id, head_hash=head_hash, at=at)
    return taken.signed(key)


def verify_against(db: Reader, checkpoint: Checkpoint) -> str | None:
    """What is wrong with the log of `db` by `checkpoint`, or None when its head still holds
    (see `against`)."""
    key = audit_key(db)
    with read_session(db) as session:
        return against(session, key, checkpoint)


def against(session: Session, key: AuditKey, checkpoint: Checkpoint) -> str | None:
    """What is wrong with the log by `checkpoint` (signed with `key`), or None when its head
    still holds.

    The entry the checkpoint recorded must still be there with its hash, and at least as many
    entries as it counted must lead up to it. Entries appended since are fine.
    """
    recorded = f"{_checkpoint_name(checkpoint)} recorded #{checkpoint.head_id}"
    if checkpoint.signature is None:
        return (
            f"{_checkpoint_name(checkpoint)} is not signed: anyone could have written it; "
            "take a new one with caredesk audit checkpoint"
        )
    if not hmac.compare_digest(checkpoint.signature, key.sign(checkpoint.signed_text())):
        return (
            f"{_checkpoint_name(checkpoint)} was not signed with this audit key ({key.id}): "
            "it was changed or forged, or taken with another key"
        )
    stored = entry_hash_at(session, checkpoint.head_id)
    if stored is not None and stored != checkpoint.head_hash:
        # The chain still holds, so it was rewritten from some entry up to this one.
        return (
            f"audit log broken: entry #{checkpoint.head_id} was replaced, perhaps with "
            f"entries before it: {recorded} with hash {_short(checkpoint.head_hash)}, "
            f"which is gone (#{checkpoint.head_id} now has hash {_short(stored)})"
        )
    if stored is None:
        before = head(session, up_to=checkpoint.head_id - 1)
        where = (
            f"entries up to #{checkpoint.head_id}"
            if before is None
            else f"entries after #{before[1]}"
        )
        return (
            f"audit log broken: {where} are missing or were replaced: {recorded} "
            f"with hash {_short(checkpoint.head_hash)}, which is gone"
        )
    up_to = head(session, up_to=checkpoint.head_id)
    remaining = 0 if up_to is None else up_to[0]
    if remaining < checkpoint.entries:
        verb = "leads" if remaining == 1 else "lead"
        return (
            f"audit log broken: entries before #{checkpoint.head_id} are missing: {recorded} "
            f"as entry {checkpoint.entries:,} of the log, but only {_entries(remaining)} "
            f"{verb} up to it now"
        )
    return None


def describe_match(checkpoint: Checkpoint) -> str:
    """The one-line message for a log whose head the checkpoint still finds."""
    return (
        f"{_checkpoint_name(checkpoint)} holds: entry #{checkpoint.head_id} still has hash "
        f"{_short(checkpoint.head_hash)} with at least {_entries(checkpoint.entries)} up to it"
    )


def load_checkpoint(path: Path) -> Checkpoint:
    """Read and check a checkpoint file, naming the file and field of the first mistake."""
    name = one_line(str(path))
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_CHECKPOINT_BYTES + 1)
    except OSError as error:
        raise CareDeskError(f"{name}: cannot read the checkpoint: {error.strerror}") from None
    if len(raw) > MAX_CHECKPOINT_BYTES:
        raise CareDeskError(f"{name}: over {MAX_CHECKPOINT_BYTES // 1024} KB, not a checkpoint")
    try:
        body = json.loads(
            raw.decode("utf-8"),
            parse_constant=_refuse_constant,
            object_pairs_hook=_refuse_duplicates,
        )
    except UnicodeDecodeError:
        raise CareDeskError(f"{name}: not UTF-8 text, not a checkpoint") from None
    except json.JSONDecodeError as error:
        raise CareDeskError(
            f"{name}: line {error.lineno}, column {error.colno}: not JSON: {error.msg}"
        ) from None
    except ValueError as error:  # NaN, a repeated key, an integer of thousands of digits
        raise CareDeskError(f"{name}: not a checkpoint: {one_line(str(error))}") from None
    if not isinstance(body, dict):
        raise CareDeskError(f"{name}: expected one JSON object with {', '.join(_FIELDS)}")
    unknown = [key for key in body if key not in (*_FIELDS, "signature")]
    if unknown:
        raise CareDeskError(f"{name}: {_quote(unknown[0])}: not a checkpoint field")
    for key in _FIELDS:
        if key not in body:
            raise CareDeskError(f"{name}: {key}: missing")
    return Checkpoint(
        entries=_count(name, "entries", body["entries"]),
        head_id=_count(name, "head_id", body["head_id"]),
        head_hash=_digest(name, body["head_hash"]),
        at=_time(name, body["at"]),
        source=str(path),
        signature=_signature(name, body.get("signature")),
    )


_FIELDS = ("entries", "head_id", "head_hash", "at")


def _signature(name: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or _HEX64.fullmatch(value) is None:
        raise CareDeskError(f"{name}: signature: expected 64 hex characters, got {_shown(value)}")
    return value.lower()


def _refuse_constant(constant: str) -> Any:
    raise ValueError(f"{constant} is not a number")


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for key, value in pairs:
        if key in body:
            raise ValueError(f"{_quote(key)} appears twice")
        body[key] = value
    return body


def _quote(text: str) -> str:
    shown = one_line(text[:40]) + ("…" if len(text) > 40 else "")
    return f'"{shown}"'


def _shown(value: object) -> str:
    """A value from the file as it may appear in a message: on one line, and short."""
    text = json.dumps(value, ensure_ascii=False)
    return one_line(text[:40]) + ("…" if len(text) > 40 else "")


def _count(name: str, key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise CareDeskError(f"{name}: {key}: expected a whole number from 1, got {_shown(value)}")
    return value


def _digest(name: str, value: object) -> str:
    if not isinstance(value, str) or _HEX64.fullmatch(value) is None:
        raise CareDeskError(f"{name}: head_hash: expected 64 hex characters, got {_shown(value)}")
    return value.lower()


def _time(name: str, value: object) -> datetime:
    expected = f"{name}: at: expected an ISO 8601 time with its zone, e.g. 2026-11-20T14:03:11Z"
    if not isinstance(value, str):
        raise CareDeskError(f"{expected}, got {_shown(value)}")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise CareDeskError(f"{expected}, got {_shown(value)}") from None
    if at.tzinfo is None:
        raise CareDeskError(f"{expected}, got {_shown(value)} (no zone)")
    return at.astimezone(UTC)


def _checkpoint_name(checkpoint: Checkpoint) -> str:
    source = f" {one_line(checkpoint.source)}" if checkpoint.source else ""
    return f"the checkpoint{source} (taken at {_when(checkpoint.at)})"


def _when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _short(digest: str) -> str:
    return f"{digest[:12]}…"


def _entries(n: int) -> str:
    return f"{n:,} {'entry' if n == 1 else 'entries'}"


def describe(report: ChainReport) -> str:
    """The one-line message for a person: intact with its size, or where and how it broke."""
    if report.broken is None:
        return f"audit log intact: {_entries(report.entries)} checked"
    link = report.broken
    when = _when(link.at)
    verb = "is" if report.entries == 1 else "are"
    return (
        f"audit log broken at entry #{link.entry_id} "
        f"({when}, {one_line(link.actor)}, {one_line(link.action)} {one_line(link.entity)} "
        f"{one_line(link.entity_id)}): {link.problem}; "
        f"{_entries(report.entries)} before it {verb} intact"
    )
