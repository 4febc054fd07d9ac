"""The team's configuration: its service levels and who works the escalation queue.

An operations manager writes it as a small YAML file; `caredesk config install FILE` checks it
and stores it in the database, like the policy, so every workspace and import works by the
same one. Until one is installed CareDesk's own targets hold (`sla.DEFAULT_LEVELS`) and only
supervisors work escalations. The file is read strictly: a key it does not know, a word that
is not a channel, priority or role, or a duration without its unit is refused with the
file, the line, the key path and what was expected, and nothing is installed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from storage import setting_queries
from storage.engine import Database, Reader
from storage.uow import read_session, unit_of_work
from workspace.audit_trail import AuditTrail
from workspace.errors import InputRejected, Problem
from workspace.sla import DEFAULT_LEVELS, ServiceLevels, Target
from workspace.timefmt import _UNITS, parse_duration
from workspace.vocabulary import AuditEvent, Channel, Entity, Priority, Role, member
from workspace.yaml_safe import join, key_name, refusal, strict_loader

MAX_BYTES = 1024 * 1024
"""Configuration files over 1 MB are refused unread."""

LONGEST = timedelta(days=365)
"""No target is longer than a year."""

_SECTIONS = ("version", "service_levels", "escalation")
_TARGET_KEYS = ("first_response", "resolution")
_DURATION_HINT = "a duration with its unit, like 90s, 30m, 4h or 1d12h"


@dataclass(frozen=True)
class TeamConfig:
    """How the team works: its service levels, and who works the escalation queue."""

    service_levels: ServiceLevels
    """First-response and resolution targets by channel and priority."""
    escalation_roles: frozenset[Role]
    """The roles that see and claim escalated contacts; supervisors always among them."""

    def works_escalations(self, role: str) -> bool:
        """Whether someone of `role` sees and claims the escalation queue."""
        known = member(Role, role)
        return known is not None and known in self.escalation_roles


DEFAULT_CONFIG = TeamConfig(DEFAULT_LEVELS, frozenset({Role.SUPERVISOR}))
"""In effect until a team installs its own."""


@dataclass(frozen=True)
class InstalledConfig:
    """The team's configuration as installed in the database."""

    installed_at: datetime
    """When."""
    installed_by: str
    """By whom."""
    source: str
    """The file name it was installed from."""
    body: str
    """The file's text."""


# -- reading a file ---------------------------------------------------------------------------


# Aliases and deep nesting; a key given twice is named by the reader, at its key path.
_NoAliasLoader = strict_loader("a configuration", repeated_keys=False)


def duration_text(span: timedelta) -> str:
    """A duration as a configuration file writes it (`1d12h`, `30m`, `90s` is `1m30s`)."""
    seconds = int(span.total_seconds())
    parts = []
    for unit, size in _UNITS.items():
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


class _Reader:
    """Walks the YAML node tree, collecting every problem with the line it is on."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.problems: list[Problem] = []

    def problem(self, node: Node, path: str, message: str) -> None:
        where = f"{self.name}:{node.start_mark.line + 1}"
        self.problems.append(Problem(where=where, field=path or None, message=message))

    def mapping(self, node: Node, path: str, expected: str) -> Iterator[tuple[str, Node, Node]]:
        """Each (key, key node, value node) of a mapping; a duplicate or non-text key is a
        problem, and an empty value (`escalation:`) reads as an empty mapping."""
        if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null":
            return
        if not isinstance(node, MappingNode):
            self.problem(node, path, f"expected a mapping of {expected}, got {_shown(node)}")
            return
        seen: dict[str, int] = {}
        for key_node, value in node.value:
            if not isinstance(key_node, ScalarNode):
                self.problem(key_node, path, f"expected {expected} as keys, got {_shown(key_node)}")
                continue
            key = key_node.value
            at = join(path, key)
            if key in seen:
                self.problem(key_node, at, f"appears twice (first on line {seen[key]})")
                continue
            seen[key] = key_node.start_mark.line + 1
            yield key, key_node, value

    def unknown(self, key_node: Node, path: str, expected: tuple[str, ...]) -> None:
        self.problem(key_node, path, f"unknown key; expected one of {', '.join(expected)}")

    def duration(self, node: Node, path: str) -> timedelta | None:
        text = node.value if isinstance(node, ScalarNode) else None
        span = parse_duration(text) if isinstance(text, str) else None
        if span is None:
            self.problem(node, path, f"expected {_DURATION_HINT}, got {_shown(node)}")
            return None
        if not timedelta(0) < span <= LONGEST:
            wanted = f"expected more than 0s and at most 365d, got {key_name(text)}"
            self.problem(node, path, wanted)
            return None
        return span

    def levels(self, node: Node) -> ServiceLevels:
        targets = dict(DEFAULT_LEVELS.targets)
        channels = tuple(Channel)
        for channel, key_node, by_priority in self.mapping(node, "service_levels", "channels"):
            path = join("service_levels", channel)
            if channel not in channels:
                self.unknown(key_node, path, channels)
                continue
            for priority, p_node, entry in self.mapping(by_priority, path, "priorities"):
                at = join(path, priority)
                if priority not in tuple(Priority):
                    self.unknown(p_node, at, tuple(Priority))
                    continue
                pair = (Channel(channel), Priority(priority))
                found = self.target(entry, at, targets[pair])
                if found is not None:
                    targets[pair] = found
        return ServiceLevels(MappingProxyType(targets))

    def target(self, node: Node, path: str, default: Target) -> Target | None:
        given: dict[str, timedelta | None] = {}
        for key, key_node, value in self.mapping(node, path, "targets"):
            if key not in _TARGET_KEYS:
                self.unknown(key_node, join(path, key), _TARGET_KEYS)
                continue
            given[key] = self.duration(value, join(path, key))
        if not given:
            self.problem(node, path, "expected first_response, resolution or both")
            return None
        if None in given.values():
            return None
        first = given.get("first_response") or default.first_response
        resolution = given.get("resolution") or default.resolution
        if first > resolution:
            self.problem(
                node,
                path,
                f"first_response ({duration_text(first)}) is later than resolution "
                f"({duration_text(resolution)}); expected it at or before",
            )
            return None
        return Target(first, resolution)

    def roles(self, node: Node) -> frozenset[Role]:
        roles = {Role.SUPERVISOR}
        for key, key_node, value in self.mapping(node, "escalation", "escalation settings"):
            if key != "roles":
                self.unknown(key_node, join("escalation", key), ("roles",))
                continue
            if not isinstance(value, SequenceNode):
                wanted = f"expected a list of roles, like [senior], got {_shown(value)}"
                self.problem(value, "escalation.roles", wanted)
                continue
            for item in value.value:
                word = item.value if isinstance(item, ScalarNode) else None
                role = member(Role, word) if isinstance(word, str) else None
                if role is None:
                    wanted = f"expected one of {', '.join(Role)}, got {_shown(item)}"
                    self.problem(item, "escalation.roles", wanted)
                else:
                    roles.add(role)
        return frozenset(roles)


def _shown(node: Node) -> str:
    """What a node holds, for a message: a scalar's text, or the kind of collection."""
    if isinstance(node, ScalarNode):
        if node.tag == "tag:yaml.org,2002:null":
            return "nothing"
        text = repr(node.value)
        return text if len(text) <= 60 else f"{text[:57]}..."
    return "a list" if isinstance(node, SequenceNode) else "a mapping"


def parse_config(text: str, name: str) -> TeamConfig:
    """Validate the text of a configuration file called `name`; raises `InputRejected`
    listing every problem."""

    def refuse(message: str, where: str = name) -> InputRejected:
        return InputRejected(name, [Problem(where=where, field=None, message=message)])

    try:
        root = yaml.compose(text, Loader=_NoAliasLoader)
    except yaml.YAMLError as error:
        line, path, reason = refusal(error)
        where = name if line is None else f"{name}:{line}"
        problem = Problem(where=where, field=path, message=f"is not valid YAML: {reason}")
        raise InputRejected(name, [problem]) from None
    if root is None:
        raise refuse("is empty; expected service_levels, escalation or both")
    reader = _Reader(name)
    levels, roles = DEFAULT_LEVELS, DEFAULT_CONFIG.escalation_roles
    for key, key_node, value in reader.mapping(root, "", "sections"):
        if key == "version":
            if not (isinstance(value, ScalarNode) and value.value == "1"):
                reader.problem(value, "version", f"expected 1, got {_shown(value)}")
        elif key == "service_levels":
            levels = reader.levels(value)
        elif key == "escalation":
            roles = reader.roles(value)
        else:
            reader.unknown(key_node, key_name(key), _SECTIONS)
    if reader.problems:
        raise InputRejected(name, reader.problems)
    return TeamConfig(levels, roles)


def read_config_text(path: Path) -> str:
    """The text of a configuration file, refused unread when too large, not UTF-8 or
    unreadable."""

    def refuse(message: str) -> InputRejected:
        return InputRejected(str(path), [Problem(where=path.name, field=None, message=message)])

    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise refuse(f"is {size} bytes; a configuration file may be at most 1 MB")
        data = path.read_bytes()[: MAX_BYTES + 1]
    except OSError as error:
        raise refuse(f"cannot be read ({error.strerror})") from None
    if len(data) > MAX_BYTES:
        raise refuse("is over 1 MB; a configuration file may be at most 1 MB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise refuse("is not UTF-8 text") from None


def load_config(path: Path) -> TeamConfig:
    """Read and validate a configuration file; raises `InputRejected` naming the file, and
    each problem's line and key path."""
    try:
        return parse_config(read_config_text(path), path.name)
    except InputRejected as rejected:
        raise InputRejected(str(path), rejected.problems) from None


# -- writing one ------------------------------------------------------------------------------


def config_text(config: TeamConfig) -> str:
    """The configuration as a file that installs as it is (every target spelled out)."""
    lines = [
        "# CareDesk team configuration: `caredesk config install FILE` makes it the team's.",
        "version: 1",
        "service_levels:            # first reply and resolution, by channel and priority",
    ]
    for channel in Channel:
        lines.append(f"  {channel}:")
        for priority in Priority:
            t = config.service_levels.targets[channel, priority]
            lines.append(
                f"    {priority}: {{first_response: {duration_text(t.first_response)}, "
                f"resolution: {duration_text(t.resolution)}}}"
            )
    roles = ", ".join(r for r in Role if r in config.escalation_roles)
    lines += [
        "escalation:",
        f"  roles: [{roles}]        # who sees and claims escalated contacts (supervisors always)",
    ]
    return "\n".join(lines) + "\n"


def config_table(config: TeamConfig) -> str:
    """The configuration as a table to read."""
    rows = [("CHANNEL", "PRIORITY", "FIRST RESPONSE", "RESOLUTION")]
    for (channel, priority), t in sorted(
        config.service_levels.targets.items(),
        key=lambda item: (list(Channel).index(item[0][0]), item[0][1].rank),
    ):
        rows.append(
            (channel, priority, duration_text(t.first_response), duration_text(t.resolution))
        )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    out = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    roles = ", ".join(r for r in Role if r in config.escalation_roles)
    out.append(f"escalation queue: {roles}")
    return "\n".join(out)


def fingerprint(config: TeamConfig) -> str:
    """A short digest of what the configuration says (not how it is written)."""
    digest = hashlib.sha256(config_text(config).encode("utf-8")).hexdigest()
    return digest[:16]


# -- installed for the team -------------------------------------------------------------------


def install(db: Database, path: Path, *, by: str, at: datetime) -> tuple[TeamConfig, str]:
    """Validate `path` and make it the team's configuration, audited; returns it and its
    fingerprint. Nothing is stored when the file has any problem."""
    text = read_config_text(path)
    try:
        config = parse_config(text, path.name)
    except InputRejected as rejected:
        raise InputRejected(str(path), rejected.problems) from None
    mark = fingerprint(config)
    with unit_of_work(db) as s:
        row = setting_queries.installed_setting(s)
        before = None
        if row is not None:
            before = {"fingerprint": fingerprint(parse_config(row.body, row.source))}
        setting_queries.install_setting(s, at=at, by=by, source=path.name, body=text)
        AuditTrail(by).record(
            s,
            at,
            AuditEvent.CONFIG_INSTALL,
            Entity.CONFIG,
            mark,
            before=before,
            after={"fingerprint": mark, "source": path.name},
        )
    return config, mark


def installed(db: Reader) -> tuple[TeamConfig, InstalledConfig] | None:
    """The team's installed configuration, validated again as it is read; None if none was."""
    with read_session(db) as s:
        row = setting_queries.installed_setting(s)
    if row is None:
        return None
    stored = InstalledConfig(row.installed_at, row.installed_by, row.source, row.body)
    return parse_config(stored.body, stored.source), stored


def in_effect(db: Reader) -> TeamConfig:
    """The configuration the team works by on `db`: the installed one, else CareDesk's own."""
    found = installed(db)
    return DEFAULT_CONFIG if found is None else found[0]
