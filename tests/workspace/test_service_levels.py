"""The team's service levels and escalation roles: a strict file, installed in the database
like the policy, and in effect for every workspace opened after."""

from __future__ import annotations

import argparse
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.engine import Database
from storage.models import AuditEntry, TeamSetting
from storage.uow import read_session
from tests.factories import NOW, add_agents
from workspace.cli import config as config_command
from workspace.desk import Desk
from workspace.errors import InputRejected
from workspace.sla import DEFAULT_LEVELS, SLA_MINUTES, Target, sla_due
from workspace.team_config import (
    DEFAULT_CONFIG,
    config_text,
    duration_text,
    fingerprint,
    in_effect,
    install,
    installed,
    load_config,
    parse_config,
    parse_duration,
)
from workspace.vocabulary import Channel, Priority, Role

TEAM = """\
version: 1
service_levels:
  chat:
    urgent: {first_response: 2m, resolution: 30m}
    high:
      first_response: 5m
      resolution: 1h30m
  email:
    low: {resolution: 3d}
escalation:
  roles: [senior]
"""


def _write(tmp_path: Path, text: str, name: str = "team.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(text: str) -> list[str]:
    with pytest.raises(InputRejected) as refused:
        parse_config(text, "team.yaml")
    return [str(p) for p in refused.value.problems]


# -- what a file says -------------------------------------------------------------------------


def test_without_a_file_the_targets_are_caredesks_own() -> None:
    assert DEFAULT_CONFIG.escalation_roles == {Role.SUPERVISOR}
    for channel, by_priority in SLA_MINUTES.items():
        for priority, minutes in by_priority.items():
            target = DEFAULT_LEVELS.target(channel, priority)
            assert target == Target(timedelta(minutes=minutes), timedelta(minutes=minutes))
    # The importer's call keeps working, with the same answers as before.
    assert sla_due("call", "urgent", NOW) - NOW == timedelta(minutes=2)
    assert sla_due("fax", "whenever", NOW) == sla_due("email", "normal", NOW)


def test_a_file_sets_targets_by_channel_and_priority_and_who_works_escalations() -> None:
    team = parse_config(TEAM, "team.yaml")
    levels = team.service_levels
    assert levels.target("chat", "urgent") == Target(timedelta(minutes=2), timedelta(minutes=30))
    assert levels.target("chat", "high").resolution == timedelta(hours=1, minutes=30)
    # A target left out keeps CareDesk's own; one half given keeps the other half.
    assert levels.target("call", "urgent") == DEFAULT_LEVELS.target("call", "urgent")
    assert levels.target("email", "low") == Target(timedelta(days=2), timedelta(days=3))
    # The due time of a contact is its resolution target; the first reply is due sooner.
    assert sla_due("chat", "urgent", NOW, levels) == NOW + timedelta(minutes=30)
    assert levels.first_response_due("chat", "urgent", NOW) == NOW + timedelta(minutes=2)
    # Supervisors always work the escalation queue; the file adds seniors.
    assert team.escalation_roles == {Role.SUPERVISOR, Role.SENIOR}
    assert team.works_escalations("senior") and team.works_escalations("supervisor")
    assert not team.works_escalations("agent") and not team.works_escalations("nobody")


def test_a_file_written_out_reads_back_the_same() -> None:
    team = parse_config(TEAM, "team.yaml")
    assert parse_config(config_text(team), "again.yaml") == team
    assert parse_config(config_text(DEFAULT_CONFIG), "defaults.yaml") == DEFAULT_CONFIG
    assert fingerprint(team) != fingerprint(DEFAULT_CONFIG)
    assert fingerprint(parse_config(TEAM + "# a comment\n", "b.yaml")) == fingerprint(team)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("30m", 1800), ("4h", 14400), ("1d12h", 129600), ("1h30m", 5400), (" 2m ", 120)],
)
def test_durations_carry_their_unit(text: str, seconds: int) -> None:
    span = parse_duration(text)
    assert span == timedelta(seconds=seconds)
    assert parse_duration(duration_text(span)) == span


@pytest.mark.parametrize("text", ["30", "1:30", "1h1h", "30m1h", "m", "", "1.5h", "-5m", "2 m"])
def test_a_duration_without_a_plain_unit_is_refused(text: str) -> None:
    assert parse_duration(text) is None


def test_every_mistake_is_named_with_its_line_key_and_what_was_expected() -> None:
    text = """\
version: 2
service_levels:
  chat:
    urgent: {first_response: 1:30, resolution: 30}
    soon: {first_response: 2m, resolution: 3m}
  fax:
    urgent: {first_response: 2m, resolution: 3m}
  email:
    normal: {first_response: 5h, resolution: 4h}
    high: {reply: 5m}
    low: {}
escalation:
  roles: [senior, boss]
  everyone: true
colour: blue
"""
    assert _problems(text) == [
        "team.yaml:1: version: expected 1, got '2'",
        "team.yaml:4: service_levels.chat.urgent.first_response: expected a duration with "
        "its unit, like 90s, 30m, 4h or 1d12h, got '1:30'",
        "team.yaml:4: service_levels.chat.urgent.resolution: expected a duration with its "
        "unit, like 90s, 30m, 4h or 1d12h, got '30'",
        "team.yaml:5: service_levels.chat.soon: unknown key; expected one of urgent, high, "
        "normal, low",
        "team.yaml:6: service_levels.fax: unknown key; expected one of chat, email, call, "
        "social, sms",
        "team.yaml:9: service_levels.email.normal: first_response (5h) is later than "
        "resolution (4h); expected it at or before",
        "team.yaml:10: service_levels.email.high.reply: unknown key; expected one of "
        "first_response, resolution",
        "team.yaml:10: service_levels.email.high: expected first_response, resolution or both",
        "team.yaml:11: service_levels.email.low: expected first_response, resolution or both",
        "team.yaml:13: escalation.roles: expected one of agent, senior, supervisor, trainer, "
        "got 'boss'",
        "team.yaml:14: escalation.everyone: unknown key; expected one of roles",
        "team.yaml:15: colour: unknown key; expected one of version, service_levels, escalation",
    ]


def test_yaml_traps_are_refused() -> None:
    twice = "service_levels:\n  chat: {}\nservice_levels:\n  email: {}\n"
    assert _problems(twice) == ["team.yaml:3: service_levels: appears twice (first on line 1)"]
    alias = "service_levels:\n  chat:\n    urgent: &t {resolution: 9m}\n    high: *t\n"
    assert _problems(alias) == [
        "team.yaml:4: is not valid YAML: aliases (*name) are not allowed in a configuration"
    ]
    assert _problems("escalation:\n  roles: senior\n") == [
        "team.yaml:2: escalation.roles: expected a list of roles, like [senior], got 'senior'"
    ]
    assert _problems("service_levels: [chat]\n") == [
        "team.yaml:1: service_levels: expected a mapping of channels, got a list"
    ]
    assert _problems("# nothing but a comment\n") == [
        "team.yaml: is empty; expected service_levels, escalation or both"
    ]
    assert _problems("service_levels: {chat\n")[0].startswith("team.yaml:2: is not valid YAML")


def test_a_file_too_large_or_not_text_is_refused_unread(tmp_path: Path) -> None:
    big = _write(tmp_path, "#" * (1024 * 1024 + 1), "big.yaml")
    with pytest.raises(InputRejected, match="at most 1 MB"):
        load_config(big)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InputRejected, match="is not UTF-8 text"):
        load_config(binary)
    with pytest.raises(InputRejected, match=r"missing\.yaml: cannot be read"):
        load_config(tmp_path / "missing.yaml")


# -- installed for the team -------------------------------------------------------------------


def test_installing_makes_it_the_teams_and_is_audited(db: Database, tmp_path: Path) -> None:
    assert installed(db) is None and in_effect(db) == DEFAULT_CONFIG
    team, mark = install(db, _write(tmp_path, TEAM), by="jordan", at=NOW)
    assert in_effect(db) == team and mark == fingerprint(team)
    found = installed(db)
    assert found is not None
    stored = found[1]
    assert (stored.source, stored.installed_by, stored.installed_at) == ("team.yaml", "jordan", NOW)
    assert stored.body == TEAM
    # A newer file replaces it; the older one stays for the record.
    tighter = TEAM.replace("resolution: 30m", "resolution: 20m")
    newer, newer_mark = install(db, _write(tmp_path, tighter, "v2.yaml"), by="jordan", at=NOW)
    assert in_effect(db) == newer
    assert newer.service_levels.target("chat", "urgent").resolution == timedelta(minutes=20)
    with read_session(db) as s:
        assert len(s.execute(select(TeamSetting.id)).all()) == 2
        entries = s.execute(
            select(AuditEntry.action, AuditEntry.entity, AuditEntry.entity_id, AuditEntry.after)
        ).all()
    assert [(e[0], e[1], e[2]) for e in entries] == [
        ("config.install", "config", mark),
        ("config.install", "config", newer_mark),
    ]
    assert json.loads(entries[1][3] or "{}") == {"fingerprint": newer_mark, "source": "v2.yaml"}


def test_a_bad_file_is_never_installed(sqlite_db: Database, tmp_path: Path) -> None:
    bad = _write(tmp_path, "service_levels:\n  chat:\n    urgent: {resolution: soon}\n")
    with pytest.raises(InputRejected) as refused:
        install(sqlite_db, bad, by="jordan", at=NOW)
    assert [p.where for p in refused.value.problems] == ["team.yaml:3"]
    assert installed(sqlite_db) is None


def test_a_desk_opens_with_the_configuration_in_effect(sqlite_db: Database, tmp_path: Path) -> None:
    sam, mia = add_agents(sqlite_db, "sam", "mia", role="senior")
    (hana,) = add_agents(sqlite_db, "hana", role="supervisor")
    assert not Desk(sqlite_db, sam).sees_escalation
    assert Desk(sqlite_db, hana).sees_escalation
    install(sqlite_db, _write(tmp_path, TEAM), by="jordan", at=NOW)
    desk = Desk(sqlite_db, mia)
    assert desk.sees_escalation
    chat_urgent = desk.config.service_levels.target(Channel.CHAT, Priority.URGENT)
    assert chat_urgent.resolution == timedelta(minutes=30)


# -- `caredesk config` ------------------------------------------------------------------------


def _config(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="caredesk")
    config_command.add(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["config", *argv])
    code: int = args.run(args)
    return code


def test_check_install_and_show(sqlite_db: Database, tmp_path: Path, capsys) -> None:
    url = sqlite_db.url
    path = _write(tmp_path, TEAM)
    assert _config("check", str(path)) == 0
    out = capsys.readouterr().out
    assert "chat     urgent    2m              30m" in out and out.endswith(f"{path}: valid\n")
    assert _config("show", "--db", url) == 0
    out = capsys.readouterr().out
    assert "chat     urgent    5m              5m" in out
    assert "escalation queue: supervisor" in out
    assert "configuration in effect: CareDesk's own (none installed)" in out
    assert _config("install", str(path), "--db", url, "--agent", "jordan") == 0
    assert "installed as the team's configuration (fingerprint " in capsys.readouterr().out
    assert _config("show", "--db", url) == 0
    out = capsys.readouterr().out
    assert "escalation queue: senior, supervisor" in out
    assert "installed in the database from team.yaml by jordan at " in out
    assert _config("show", "--db", url, "--yaml") == 0
    written = capsys.readouterr().out
    assert parse_config(written, "shown.yaml") == parse_config(TEAM, "team.yaml")
    bad = _write(tmp_path, "escalation: {roles: [boss]}\n", "bad.yaml")
    with pytest.raises(InputRejected, match=r"bad\.yaml:1: escalation\.roles: expected one of"):
        _config("install", str(bad), "--db", url)
    with read_session(sqlite_db) as s:
        assert s.execute(select(TeamSetting.source)).scalars().all() == ["team.yaml"]
