"""`caredesk agent`: add the team's people, list them, and change their role, name or email,
or let them go. Each change is audited and reaches open workspaces at once."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from workspace.cli.common import Subparsers, add_db, database_of, settings_of
from workspace.cli.terminal import echo
from workspace.vocabulary import Role

if TYPE_CHECKING:
    from workspace.agents import AgentRecord
    from workspace.team import Team, TeamChange

ROLES = tuple(role.value for role in Role)
"""What `--role` takes."""

AGENT_EPILOG = """\
on PostgreSQL:
  the database login is the agent, and only an administrator (a superuser, or a member of
  the database's admin group) changes the team. `agent add` creates the login role ID, or
  links the role of that name that exists, and puts it in its CareDesk role's group;
  `agent set --role` moves it to another group, `--active no` stops it logging in, and
  any `agent set` repairs a login that is missing (someone imported). A new login has no
  password: set one with psql's \\password ID, or use your server's authentication.
  Each database has its own groups, which `caredesk agent list` names.

exit status:
  0 done, 2 bad input (a malformed id, name, role or email; an id taken, or nobody's),
  4 refused (not an administrator, or the database refused)."""

LIST_EPILOG = """\
output:
  one line per person (id, name, role, email, whether they still work here); on
  PostgreSQL, then the database's group roles. With --json, one JSON array instead:
  [{"id", "name", "role", "email", "active"}, ...]."""


def _yes_no(text: str) -> bool:
    answer = {"yes": True, "no": False}.get(text.strip().lower())
    if answer is None:
        raise argparse.ArgumentTypeError("expected yes or no")
    return answer


def add(commands: Subparsers) -> None:
    agent = commands.add_parser(
        "agent",
        help="add the team's people, list them, change or let them go",
        description="The team's people: who may open the workspace, in which role.\n"
        "Every change is audited. Someone let go (--active no) cannot open the\n"
        "workspace, and every contact they held goes back to the queue.",
        epilog=AGENT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    what = agent.add_subparsers(dest="what", metavar="ACTION", required=True)
    adding = what.add_parser(
        "add",
        help="add someone to the team",
        description="Add someone: their id is their login name (on PostgreSQL, their\n"
        "database login), their name is what colleagues see.",
        epilog=AGENT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    adding.add_argument("id", metavar="ID", help="their login name, e.g. hana")
    adding.add_argument("--name", metavar="TEXT", required=True, help="their name, shown")
    adding.add_argument(
        "--role", choices=ROLES, metavar="ROLE", required=True, help="one of %(choices)s"
    )
    adding.add_argument("--email", metavar="ADDRESS", help="where to reach them")
    add_db(adding)
    listing = what.add_parser(
        "list",
        help="list the team",
        description="Everyone on the team, by id, whether they still work here or not.",
        epilog=LIST_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    listing.add_argument("--json", action="store_true", help="print one JSON array")
    add_db(listing)
    setting = what.add_parser(
        "set",
        help="change someone's role, name or email, or let them go",
        description="Change what is given and nothing else.",
        epilog=AGENT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    setting.add_argument("id", metavar="ID", help="their login name")
    setting.add_argument("--role", choices=ROLES, metavar="ROLE", help="one of %(choices)s")
    setting.add_argument("--name", metavar="TEXT", help="their name, shown")
    setting.add_argument("--email", metavar="ADDRESS", help='where to reach them ("" for none)')
    setting.add_argument(
        "--active",
        type=_yes_no,
        metavar="yes|no",
        help="no: they have left (cannot open the workspace; their contacts go back)",
    )
    add_db(setting)
    agent.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from workspace.boot import migrate
    from workspace.errors import CareDeskError, NotAllowed
    from workspace.team import Team
    from workspace.text import one_line

    if args.what == "set" and all(
        getattr(args, option) is None for option in ("role", "name", "email", "active")
    ):
        raise CareDeskError("nothing to change: give --role, --name, --email or --active")
    settings = settings_of(args)
    db = database_of(settings)
    try:
        migrate(db)
        team = Team(db, actor=settings.agent)
        if args.what == "list":
            _list(team, json_out=args.json)
            return 0
        if args.what == "add":
            done = team.add(args.id, args.name, args.role, args.email)
        else:
            done = team.change(
                args.id, role=args.role, name=args.name, email=args.email, active=args.active
            )
    except NotAllowed as error:
        echo(f"caredesk: {one_line(str(error))}", err=True)
        return 4
    finally:
        db.dispose()
    _report(args.what, done)
    return 0


def _list(team: Team, *, json_out: bool) -> None:
    from workspace.team import groups

    people = team.members()
    if json_out:
        echo(json.dumps([_person(a) for a in people]), json=True)
        return
    from workspace.text import one_line

    rows = [("ID", "NAME", "ROLE", "EMAIL", "ACTIVE")]
    rows += [
        (
            one_line(a.name),
            one_line(a.display_name),
            one_line(a.role),
            one_line(a.email or "-"),
            "yes" if a.active else "no",
        )
        for a in people
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        echo("  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]))
    if not people:
        echo("nobody yet: add someone with `caredesk agent add ID --name TEXT --role ROLE`")
    names = groups(team.db)
    if names:
        listed = ", ".join(f"{word} {role}" for word, role in names.items())
        echo(f"PostgreSQL groups of this database: {listed}")
        echo(f"a read-only login (a wallboard) goes in {names['monitor']}")


def _person(agent: AgentRecord) -> dict[str, object]:
    return {
        "id": agent.name,
        "name": agent.display_name,
        "role": agent.role,
        "email": agent.email,
        "active": agent.active,
    }


def _report(what: str, done: TeamChange) -> None:
    from workspace.text import one_line

    agent = done.agent
    who = f"{one_line(agent.name)} ({one_line(agent.display_name)})"
    if what == "add":
        echo(f"added {who} as {agent.role}")
    elif not done.changed:
        echo(f"{who}: nothing changed")
    else:
        parts = [
            f"{field.replace('display_', '')} {_shown(old)} -> {_shown(new)}"
            for field, (old, new) in done.changed.items()
        ]
        echo(f"{who}: " + "; ".join(parts))
    if done.released:
        n = len(done.released)
        contacts = ", ".join(one_line(t) for t in done.released)
        echo(f"{n} contact{'s' if n != 1 else ''} they held went back to the queue: {contacts}")
    login = done.login
    if login is not None:
        how = "created" if login.created else ("linked" if what == "add" else "kept")
        can = "may log in" if login.can_login else "may not log in"
        echo(f"PostgreSQL login {one_line(login.login)}: {how}, in group {login.group}, {can}")
        if login.created and login.can_login:
            echo(f"it has no password yet: set one with psql's \\password {login.login}")


def _shown(value: object) -> str:
    from workspace.text import one_line

    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return one_line(str(value))
