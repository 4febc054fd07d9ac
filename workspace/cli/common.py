"""What `caredesk` commands share: the options they offer, settings, database and policy.

Heavy imports are deferred into each function so `caredesk --help` answers at once.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeAlias, TypeVar

if TYPE_CHECKING:
    from storage.engine import Database
    from workspace.policy import Policy
    from workspace.settings import Settings

T = TypeVar("T")

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""What a command module's `add` adds its parser to."""


def add_db(parser: argparse.ArgumentParser) -> None:
    """`--db`, for a command that opens the database."""
    parser.add_argument(
        "--db",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="database URL (default: CAREDESK_DB, else a SQLite file in the data directory)",
    )


def add_policy(parser: argparse.ArgumentParser) -> None:
    """`--policy`, for a command that decides, or shows, by the policy."""
    parser.add_argument(
        "--policy",
        metavar="FILE",
        type=Path,
        default=argparse.SUPPRESS,
        help="policy file bounding agents' actions (default: CAREDESK_POLICY, else the one "
        "CareDesk ships with)",
    )


def add_output(parser: argparse.ArgumentParser) -> None:
    """`-o FILE`: where a command writes what it makes (standard output without it)."""
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        type=Path,
        default=None,
        help="file to write (default: standard output)",
    )


def write_output(path: Path | None, write: Callable[[TextIO], T], *, json: bool = False) -> T:
    """Call `write` on the file `-o` named, else on standard output; return what it returns.

    A file is written whole or not at all (`write_atomically`); a device or a pipe
    (`/dev/stdout`, a FIFO) is written straight, for a rename cannot replace it. On a
    terminal what is written is made inert (`workspace.cli.terminal`; `json` when it is
    JSON or YAML, whose backslashes are their own). A write that fails is a `WriteFailed`
    naming the file.
    """
    from workspace.cli.failures import WriteFailed, why
    from workspace.cli.terminal import guard

    if path is None:
        result = write(guard(sys.stdout, json=json))
        sys.stdout.flush()
        return result
    try:
        if path.exists() and not path.is_file():
            with path.open("w", encoding="utf-8", newline="\n") as device:
                return write(guard(device, json=json))
        from workspace.files import write_atomically

        return write_atomically(path, write)
    except OSError as error:
        raise WriteFailed(str(path), why(error)) from error


def add_agent(parser: argparse.ArgumentParser, help_text: str) -> None:
    """`--agent`, for a command that acts as someone; `help_text` says as whom."""
    parser.add_argument("--agent", metavar="NAME", default=argparse.SUPPRESS, help=help_text)


def settings_of(args: argparse.Namespace) -> Settings:
    """The settings from the environment, overridden by the options this command offers."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from workspace.errors import CareDeskError
    from workspace.settings import Settings

    overrides: dict[str, object] = {}
    if getattr(args, "db", None):
        overrides["db"] = args.db
    if getattr(args, "agent", None):
        overrides["agent"] = args.agent
    if getattr(args, "policy", None):
        overrides["policy"] = args.policy
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        from workspace.settings import config_file

        first = error.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else ""
        where = f"CAREDESK_{name.upper()} (or {name} in {config_file()})" if name else "settings"
        raise CareDeskError(f"{where}: {first['msg']}") from error
    except SettingsError as error:  # a value that is not even JSON, e.g. CAREDESK_KEYMAP
        field = str(error).split('"')[1] if '"' in str(error) else "settings"
        raise CareDeskError(f"CAREDESK_{field.upper()}: expected JSON, e.g. {{...}}") from error


def database_of(settings: Settings, *, create_dir: bool = True) -> Database:
    """The settings' database; the default SQLite file's folder is made unless told not to."""
    from storage.engine import make_database

    url = settings.database_url()
    if create_dir and not settings.db:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return make_database(url)


def policy_of(settings: Settings) -> Policy | None:
    """The policy file named by the settings, validated; None when none is named."""
    from workspace.policy_file import load_policy

    return None if settings.policy is None else load_policy(settings.policy)


def policy_in_effect(settings: Settings) -> Policy:
    """The policy named by the settings, else the one CareDesk ships with."""
    from workspace.policy_file import default_policy

    policy = policy_of(settings)
    return default_policy() if policy is None else policy
