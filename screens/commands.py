"""The command palette lists CareDesk's own commands (the registry in `widgets.commands`) that
work where the agent is, each with the key that runs it now."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode

from widgets.commands import BY_ID


class BindingCommands(Provider):
    """Offers every binding active where the agent is, with its key as a hint."""

    def _commands(self) -> Iterator[tuple[str, str, Binding, DOMNode]]:
        seen: set[str] = set()
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            ident = binding.id or binding.action
            if binding.id not in BY_ID or ident in seen or not active.enabled:
                continue
            seen.add(ident)
            shown = self.app.get_key_display(binding) or key
            about = f"{binding.tooltip} · key {shown}" if binding.tooltip else f"key {shown}"
            yield binding.description, about, binding, active.node

    def _run(self, binding: Binding, node: DOMNode) -> None:
        self.app.call_later(self.app.run_action, binding.action, node)

    async def discover(self) -> Hits:
        for title, help_text, binding, node in self._commands():
            yield DiscoveryHit(title, partial(self._run, binding, node), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, binding, node in self._commands():
            # Match the short name or what it does ("filter" finds the queue filters).
            score = max(matcher.match(title), matcher.match(help_text) * 0.8)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(title),
                    partial(self._run, binding, node),
                    help=help_text,
                )
