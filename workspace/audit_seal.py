"""The team's audit key, and the seals it makes.

The hash chain shows that nothing in the log was changed after it was written, but anyone
who can write to the database can append a correctly chained entry of their own. So each
entry is also sealed: `<key id>:<HMAC-SHA256 of its hash>`, made with a key the database
never sees. An entry forged in SQL has no seal that verifies, and a row changed to match it
is found (see `workspace.audit_cover`).

One kind of entry is not sealed: a claim of a contact, which on PostgreSQL is chained in
the database, by the claim's own statement (the next contact) or in one round trip
(`UNSEALED`): claims are the team's busiest writes. A claim moves no money and promises
nothing, and who holds a contact is in the contact itself.

The key is, in order: `CAREDESK_AUDIT_KEY` (or `audit_key` in the config file); else, for
a SQLite database, a file beside it (`caredesk.db.key`), made on first use; else
`audit.key` in the data directory, made on first use. A team on PostgreSQL sets the same
`audit_key` on every workspace, deliverer and auditor: entries sealed with another key are
named as such by `caredesk audit verify`.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
import tempfile
from pathlib import Path

from sqlalchemy import Engine

from storage.audit import sealing_key_id
from storage.audit_cover import PARTS
from workspace.errors import CareDeskError
from workspace.paths import default_data_dir

COVERED = frozenset(PARTS)
"""The entities whose entries record the state of their rows."""
UNSEALED = frozenset({("claim", "ticket")})
"""The (event, entity) of the entries that may have no seal: claims of contacts."""
SEAL_SHAPE = re.compile(r"[0-9a-f]{8}:[0-9a-f]{64}")

ENV = "CAREDESK_AUDIT_KEY"
SHORTEST = 16
"""The fewest characters an audit key may have."""
_KEY_ID = b"caredesk audit key id"


class AuditKey:
    """A key that seals entries; `id` names it without giving it away."""

    __slots__ = ("_secret", "id", "source")

    def __init__(self, secret: bytes, source: str) -> None:
        self._secret = secret
        self.source = source
        """Where it was read (for messages): the setting, or a file."""
        self.id = hmac.digest(secret, _KEY_ID, "sha256").hex()[:8]
        """Eight hex characters that name this key (an HMAC of a constant)."""

    def __repr__(self) -> str:
        return f"AuditKey(id={self.id!r}, source={self.source!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AuditKey) and hmac.compare_digest(self._secret, other._secret)

    def __hash__(self) -> int:
        return hash(self.id)

    def seal(self, digest: str) -> str:
        """The seal of an entry with hash `digest`."""
        return f"{self.id}:{hmac.digest(self._secret, digest.encode('ascii'), 'sha256').hex()}"

    def sign(self, text: str) -> str:
        """The signature of a text (a checkpoint's fields)."""
        return hmac.digest(self._secret, text.encode("utf-8"), "sha256").hex()


def _from_text(text: str, source: str) -> AuditKey:
    text = text.strip()
    if len(text) < SHORTEST:
        raise CareDeskError(
            f"{source}: the audit key must be at least {SHORTEST} characters, got {len(text)}"
        )
    return AuditKey(text.encode("utf-8"), source)


def _from_file(path: Path, sealed_by: str | None) -> AuditKey:
    """The key in `path`, made (32 random bytes, hex, readable by its owner only) when the
    file does not exist yet and the log holds no sealed entry (`sealed_by`: the id of the
    key that sealed one): a key made then could only seal entries the team cannot verify."""
    if not path.exists():
        if sealed_by is not None:
            raise CareDeskError(
                f"this database's audit log is sealed with key {sealed_by}, and no audit key "
                f"is set here ({path} does not exist): set {ENV} (or audit_key in the config "
                "file) to the key that sealed it"
            )
        _make_key_file(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CareDeskError(f"{path}: cannot read the audit key ({error})") from None
    return _from_text(text, str(path))


def _make_key_file(path: Path) -> None:
    """Write a new key beside `path` and link it into place whole, so a process starting at
    the same moment reads either no file or the whole key (the one that linked first)."""
    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".audit-key-")
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(secrets.token_hex(32) + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first: theirs is the key
        finally:
            os.unlink(temporary)
    except OSError as error:
        raise CareDeskError(
            f"{path}: cannot make the audit key ({error.strerror}); set {ENV} instead"
        ) from None


_KEYS: dict[tuple[str, ...], AuditKey] = {}


def key_for(engine: Engine) -> AuditKey:
    """The audit key for the database of `engine`, as the settings name it now."""
    named = os.environ.get(ENV)
    url = engine.url
    where = (
        named or "",
        url.render_as_string(hide_password=True),
        os.environ.get("CAREDESK_DATA_DIR", ""),
        os.environ.get("CAREDESK_CONFIG", ""),
    )
    found = _KEYS.get(where)
    if found is None:
        found = _resolve(named, engine)
        _KEYS[where] = found
    return found


def _resolve(named: str | None, engine: Engine) -> AuditKey:
    if named:
        return _from_text(named, ENV)
    from workspace.settings import Settings, config_file  # loaded when first asked

    configured = Settings().audit_key
    if configured is not None:
        return _from_text(configured.get_secret_value(), f"{config_file()}: audit_key")
    url = engine.url
    sealed_by = sealing_key_id(engine)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        database = str(url.database)
        if not database.startswith("file:"):
            return _from_file(Path(f"{database}.key"), sealed_by)
    named_dir = os.environ.get("CAREDESK_DATA_DIR")
    data_dir = Path(named_dir) if named_dir else default_data_dir()
    data_dir.mkdir(parents=True, exist_ok=True)
    return _from_file(data_dir / "audit.key", sealed_by)


class Seals:
    """Checks each entry's seal with one key (`storage.audit.SealCheck`); entries up to
    `unsealed_through` (those an adoption vouched for, written before CareDesk sealed
    entries) may have none."""

    def __init__(
        self, key: AuditKey, unsealed_through: int = 0, sealed_from: int | None = None
    ) -> None:
        self.key = key
        self._id = key.id
        self.unsealed_through = unsealed_through
        self.sealed_from = sealed_from
        """The first sealed entry: an unsealed one after it is no old entry, but a forgery."""

    def problem(
        self, entry_id: int, action: str, entity: str, digest: str, seal: str | None
    ) -> str | None:
        """What is wrong with an entry's seal, or None when it holds or it needs none."""
        if not seal:
            if (action, entity) in UNSEALED or entry_id <= self.unsealed_through:
                return None
            advice = (
                " (a log from before seals is adopted with caredesk audit adopt)"
                if self.sealed_from is None or entry_id < self.sealed_from
                else ""
            )
            return (
                "it is not sealed: every entry CareDesk writes is sealed with the team's "
                f"audit key, so this one was written around CareDesk{advice}"
            )
        if seal == self.key.seal(digest):  # the usual case first: one HMAC, one compare
            return None
        if not seal.isascii() or SEAL_SHAPE.fullmatch(seal) is None:
            return f"its seal is not one: {seal[:24]!r}"
        key_id, _, mac = seal.partition(":")
        if key_id != self._id:
            return (
                f"it was sealed with audit key {key_id!r}, not with this one "
                f"({self._id}): verify with the key that wrote it ({ENV}; a SQLite "
                "database's own key is in the file beside it, <name>.db.key)"
            )
        if not hmac.compare_digest(seal, self.key.seal(digest)):
            return f"its seal does not match its contents: it was forged ({mac[:12]}…)"
        return None
