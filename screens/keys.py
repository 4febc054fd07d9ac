"""The key that runs a command right now, after the user's remapping, for hints on screen."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding

from widgets.commands import BY_ID, keys_of


def keymap_of(app: App[object]) -> dict[str, str]:
    """The user's remapping by command id (empty when there is none)."""
    keymap: dict[str, str] = getattr(app, "keymap", None) or {}
    return keymap


def key_of(app: App[object], command_id: str) -> str:
    """How to show the first key of the command `command_id`, as the user mapped it."""
    key = keys_of(BY_ID[command_id], keymap_of(app))[0]
    return app.get_key_display(Binding(key, ""))


def keys_shown(app: App[object], command_id: str) -> str:
    """Every key of the command, shown as the footer shows keys (`home g`)."""
    keys = keys_of(BY_ID[command_id], keymap_of(app))
    return " ".join(app.get_key_display(Binding(k, "")) for k in keys)
