"""The command palette lists CareDesk's own commands (the registry in `widgets.commands`) that
work where the agent is, each with the key that runs it now."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from textual.binding import Binding
from textual.command import Hit, Hits, Provider
from textual.dom import DOMNode

from screens.keys import keys_shown
from widgets.commands import ANYWHERE, BY_ID

#: How the palette names where a command works, in the order it lists them: the focused
#: pane's own commands first, then those that work anywhere.
PLACES = {
    "queue": "Queue",
    "context": "History",
    "resolution": "Reply",
    ANYWHERE: "Workspace",
    "monitor": "Wallboard",
    "monitor contact": "Contact",
}
_ORDER = {place: n for n, place in enumerate(PLACES)}


class BindingCommands(Provider):
    """Offers every binding active where the agent is, with its keys as a hint (remapped
    ones included), grouped by where it works; CareDesk's commands come before Textual's
    own (theme, screenshot...), which follow them."""

    def _commands(self) -> Iterator[tuple[str, str, Binding, DOMNode]]:
        seen: set[str] = set()
        found: list[tuple[int, int, str, str, Binding, DOMNode]] = []
        for n, active in enumerate(self.screen.active_bindings.values()):
            binding = active.binding
            ident = binding.id or binding.action
            command = BY_ID.get(binding.id or "")
            if command is None or ident in seen or not active.enabled:
                continue
            seen.add(ident)
            pane = command.pane
            keys = keys_shown(self.app, command.id)
            about = f"{binding.tooltip} · key {keys}" if binding.tooltip else f"key {keys}"
            title = f"{PLACES.get(pane, pane.title())} · {binding.description}"
            found.append((_ORDER.get(pane, len(_ORDER)), n, title, about, binding, active.node))
        for *_, title, about, binding, node in sorted(found, key=lambda f: f[:2]):
            yield title, about, binding, node

    def _run(self, binding: Binding, node: DOMNode) -> None:
        self.app.call_later(self.app.run_action, binding.action, node)

    async def discover(self) -> Hits:
        # Scored hits rather than discovery hits (all scored 0, listed as they arrive from
        # every provider): ours come first, in this order, ahead of Textual's own.
        commands = list(self._commands())
        for n, (title, help_text, binding, node) in enumerate(commands):
            score = 1.0 - n / (len(commands) + 1)
            yield Hit(score, title, partial(self._run, binding, node), text=title, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, binding, node in self._commands():
            # Match the short name or what it does ("filter" finds the queue filters).
            score = max(matcher.match(title), matcher.match(help_text) * 0.8)
            if score > 0:
                yield Hit(
                    0.5 + score / 2,  # ahead of Textual's commands that match as well
                    matcher.highlight(title),
                    partial(self._run, binding, node),
                    text=title,
                    help=help_text,
                )
