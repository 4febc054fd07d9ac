"""The key that runs a binding right now, after the user's remapping, for hints on screen."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding


def key_of(app: App[object], binding_id: str, default: str) -> str:
    """How to show the key bound to `binding_id` (`default` unless the keymap moved it)."""
    keymap: dict[str, str] = getattr(app, "keymap", None) or {}
    key = keymap.get(binding_id, default).split(",")[0].strip()
    return app.get_key_display(Binding(key, ""))
