"""What a user picks in the workspace and expects to find again next time (the theme), kept
in a small JSON file in the data directory, beside the SQLite database."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from workspace.files import write_atomically

FILE_NAME = "preferences.json"
"""The file's name in the data directory."""

MAX_BYTES = 64 * 1024
"""A preferences file larger than this is not read (it is not one CareDesk wrote)."""


@dataclass(frozen=True)
class Preferences:
    """A user's choices; None: CareDesk's default."""

    theme: str | None = None
    """The Textual theme by name."""


def load(path: Path) -> tuple[Preferences, str | None]:
    """The preferences in `path` (defaults when there is no file) and, when the file cannot
    be used, one sentence naming it and what is wrong (the defaults are used then)."""
    try:
        if path.stat().st_size > MAX_BYTES:
            return Preferences(), f"{path}: larger than {MAX_BYTES // 1024} KiB, not read"
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Preferences(), None
    except (OSError, UnicodeDecodeError) as error:
        return Preferences(), f"{path}: cannot be read ({error})"
    except json.JSONDecodeError as error:
        return Preferences(), f"{path}: line {error.lineno}: not JSON ({error.msg})"
    if not isinstance(data, dict):
        return Preferences(), f"{path}: expected a JSON object"
    theme = data.get("theme")
    if theme is not None and not isinstance(theme, str):
        return Preferences(), f"{path}: theme: expected a theme's name"
    return Preferences(theme=theme), None


def save(path: Path, preferences: Preferences) -> None:
    """Write `preferences` to `path` (atomically: a crash leaves the old file or the new)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"theme": preferences.theme}, indent=2) + "\n"
    write_atomically(path, lambda out: out.write(body))
