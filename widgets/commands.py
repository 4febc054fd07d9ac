"""Every command of CareDesk, declared once: its id, keys, action, title, what it does, and
where it works. Bindings, the on-screen hints, the help, the command palette and the guard
that keeps letters typed into text from running commands are all derived from here, and
`CAREDESK_KEYMAP` is checked against it.

The first part of an id names the widget or screen that binds it (`queue.claim` is bound
by the queue table); ids are what users remap, so they never change once released.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from textual.binding import Binding, BindingType

from workspace.errors import CareDeskError

ANYWHERE = "anywhere"
"""The pane of a command that works wherever the agent is in the workspace."""


@dataclass(frozen=True)
class Command:
    """One command, in every place it shows."""

    id: str
    """Its binding id (`workspace.next`), what `CAREDESK_KEYMAP` remaps."""
    keys: str
    """Its default keys, comma-separated (`home,g`)."""
    action: str
    """The action it runs on its owner (`next_contact`, `cursor(-1)`)."""
    title: str
    """Its name in the footer, the palette and the help."""
    pane: str
    """Where it works: a pane of the workspace, `anywhere`, or the screen that owns it."""
    tooltip: str = ""
    """What it does, in a line (the palette and the help)."""
    show: bool = True
    """Whether the footer shows it."""
    priority: bool = False
    """Whether it runs before the focused widget's own keys (ctrl+s in a text area)."""

    @property
    def owner(self) -> str:
        """The widget or screen that binds it: the first part of its id."""
        return self.id.split(".", 1)[0]

    def binding(self) -> Binding:
        """The Textual binding of this command, under its default keys."""
        return Binding(
            self.keys,
            self.action,
            self.title,
            show=self.show,
            priority=self.priority,
            tooltip=self.tooltip,
            id=self.id,
        )


def _c(
    id: str,
    keys: str,
    action: str,
    title: str,
    pane: str,
    tooltip: str = "",
    *,
    show: bool = True,
    priority: bool = False,
) -> Command:
    return Command(id, keys, action, title, pane, tooltip, show, priority)


COMMANDS: tuple[Command, ...] = (
    # The workspace screen: these work wherever the agent is.
    _c("workspace.queue", "1,f2", "focus_pane('queue')", "Queue", ANYWHERE, "Go to the queue"),
    _c(
        "workspace.context",
        "2,f3",
        "focus_pane('context')",
        "Context",
        ANYWHERE,
        "Go to the customer's history",
    ),
    _c("workspace.reply", "3,f4", "focus_pane('reply')", "Reply", ANYWHERE, "Go to the reply box"),
    _c(
        "workspace.next",
        "n",
        "next_contact",
        "Next",
        ANYWHERE,
        "Claim the most urgent contact nobody holds",
    ),
    _c(
        "workspace.resolve",
        "r",
        "resolve",
        "Resolve",
        ANYWHERE,
        "Close the contact you hold, with a disposition",
    ),
    _c(
        "workspace.release",
        "x",
        "release",
        "Release",
        ANYWHERE,
        "Hand the contact you hold back to the queue",
    ),
    _c(
        "workspace.act",
        "a",
        "act",
        "Act",
        ANYWHERE,
        "Discount, refund, replacement, credit, reship or cancel, within the policy",
    ),
    _c(
        "workspace.withdraw",
        "w",
        "withdraw",
        "Withdraw",
        ANYWHERE,
        "Withdraw your request waiting for approval for this customer",
        show=False,
    ),
    _c(
        "workspace.redeliver",
        "D",
        "redeliver",
        "Deliver again",
        ANYWHERE,
        "Send this customer's failed delivery again, once its system can take it",
        show=False,
    ),
    _c(
        "workspace.follow_up",
        "u",
        "follow_up",
        "Follow up",
        ANYWHERE,
        "Promise the customer a follow-up (call back, check tracking, confirm an arrival): "
        "it comes back to your queue when due",
    ),
    _c(
        "workspace.approvals",
        "p",
        "approvals",
        "Approvals",
        ANYWHERE,
        "Requests waiting for a supervisor's decision (supervisors)",
    ),
    _c(
        "workspace.find",
        "f",
        "find",
        "Find",
        ANYWHERE,
        "Find any customer by name, e-mail, phone, order or contact id, and open them",
    ),
    _c(
        "workspace.new_contact",
        "N",
        "new_contact",
        "New contact",
        ANYWHERE,
        "Start a contact for the customer shown (a call, a walk-in e-mail) and hold it",
        show=False,  # the customer pane names it once a customer is found
    ),
    _c(
        "workspace.search",
        "slash",
        "search",
        "Search",
        ANYWHERE,
        "Find words in this customer's history",
    ),
    _c(
        "workspace.channel",
        "c",
        "cycle_channel",
        "Channel",
        ANYWHERE,
        "Filter the queue by channel",
    ),
    _c("workspace.status", "s", "cycle_status", "Status", ANYWHERE, "Filter the queue by status"),
    _c(
        "workspace.mine",
        "m",
        "toggle_mine",
        "Mine",
        ANYWHERE,
        "Filter the queue to the contacts you hold",
    ),
    _c(
        "workspace.free",
        "X",
        "free",
        "Free",
        ANYWHERE,
        "Take the contact from whoever holds it, back to the queue (supervisors)",
        show=False,
    ),
    _c(
        "workspace.assign",
        "T",
        "assign",
        "Assign",
        ANYWHERE,
        "Give the contact to another agent (supervisors)",
        show=False,
    ),
    _c(
        "workspace.reload",
        "f5",
        "reload",
        "Reload",
        ANYWHERE,
        "Reload the queue now",
        show=False,
    ),
    _c("workspace.help", "f1,question_mark", "help", "Help", ANYWHERE, "What this pane is for"),
    _c("workspace.escape", "escape", "escape", "Back", ANYWHERE, "Back to the queue", show=False),
    # The queue table.
    _c("queue.up", "up,k", "cursor(-1)", "Up", "queue", show=False),
    _c("queue.down", "down,j", "cursor(1)", "Down", "queue", show=False),
    _c("queue.page_up", "pageup", "page(-1)", "Page up", "queue", show=False),
    _c("queue.page_down", "pagedown", "page(1)", "Page down", "queue", show=False),
    _c("queue.top", "home,g", "jump(0)", "Top", "queue", show=False),
    _c("queue.bottom", "end,G", "jump(-1)", "Bottom", "queue", show=False),
    _c(
        "queue.claim",
        "enter",
        "claim",
        "Claim",
        "queue",
        "Claim the contact under the cursor: nobody else can then take it",
    ),
    # The timeline.
    _c("timeline.up", "up,k", "cursor(-1)", "Up", "context", show=False),
    _c("timeline.down", "down,j", "cursor(1)", "Down", "context", show=False),
    _c("timeline.page_up", "pageup", "page(-1)", "Page up", "context", show=False),
    _c("timeline.page_down", "pagedown", "page(1)", "Page down", "context", show=False),
    _c("timeline.top", "home,g", "jump(0)", "Newest", "context", show=False),
    _c("timeline.bottom", "end,G", "jump(-1)", "Oldest", "context", show=False),
    _c("timeline.open", "enter,o", "open", "Open", "context", "Show the entry in full"),
    # The reply box.
    _c(
        "composer.send",
        "ctrl+s",
        "submit",
        "Send",
        "resolution",
        "Send the reply, or save the note",
        priority=True,
    ),
    _c(
        "composer.toggle",
        "ctrl+t",
        "toggle_note",
        "Reply/Note",
        "resolution",
        "Switch between a reply to the customer and an internal note",
        priority=True,
    ),
    _c(
        "composer.saved",
        "ctrl+r",
        "saved_reply",
        "Saved reply",
        "resolution",
        "Insert a saved reply, filled with the customer's name and order",
        show=False,  # the mode line names it; the footer keeps room for the pane keys
        priority=True,
    ),
    # The approval queue.
    _c(
        "approvals.approve",
        "a",
        "approve",
        "Approve",
        "approvals",
        "Approve the highlighted request, with a reason",
    ),
    _c(
        "approvals.deny",
        "d",
        "deny",
        "Deny",
        "approvals",
        "Deny the highlighted request, with a reason",
    ),
    _c("approvals.reload", "f5", "reload", "Reload", "approvals", "Look for requests now"),
    _c("approvals.close", "escape,q", "close", "Close", "approvals", "Back to the workspace"),
    # The action form and the other dialogs.
    _c(
        "action.submit",
        "ctrl+s",
        "submit",
        "Submit",
        "action",
        "Execute, or ask for approval",
        priority=True,
    ),
    _c("action.cancel", "escape", "cancel", "Cancel", "action", "Close the form; nothing is done"),
    # The lookup and the new contact form: the field keeps the focus, so the arrows that
    # move through the results run before it.
    _c("lookup.down", "down", "move(1)", "Next result", "lookup", show=False, priority=True),
    _c("lookup.up", "up", "move(-1)", "Previous result", "lookup", show=False, priority=True),
    _c("lookup.open", "enter", "open", "Open", "lookup", "Open the customer of the result"),
    _c("lookup.cancel", "escape", "cancel", "Cancel", "lookup"),
    _c(
        "new_contact.submit",
        "ctrl+s",
        "submit",
        "Open and hold",
        "new_contact",
        "Open the contact, held by you",
        priority=True,
    ),
    _c("new_contact.cancel", "escape", "cancel", "Cancel", "new_contact"),
    _c(
        "follow_up.submit",
        "ctrl+s",
        "submit",
        "Promise",
        "follow_up",
        "Make the follow-up: it comes back when due",
        priority=True,
    ),
    _c("follow_up.cancel", "escape", "cancel", "Cancel", "follow_up"),
    # The supervisor's monitor: its screen, its panels (boards) and a contact opened from it.
    _c("monitor.next", "tab", "app.focus_next", "Next panel", "monitor", show=False),
    _c("monitor.refresh", "f5", "refresh_all", "Refresh", "monitor", "Read every panel now"),
    _c("monitor.help", "f1,question_mark", "help", "Help", "monitor", "What the wallboard shows"),
    _c("board.up", "up,k", "cursor(-1)", "Up", "monitor", show=False),
    _c("board.down", "down,j", "cursor(1)", "Down", "monitor", show=False),
    _c("board.page_up", "pageup", "page(-1)", "Page up", "monitor", show=False),
    _c("board.page_down", "pagedown", "page(1)", "Page down", "monitor", show=False),
    _c("board.top", "home,g", "jump(0)", "Top", "monitor", show=False),
    _c("board.bottom", "end,G", "jump(-1)", "Bottom", "monitor", show=False),
    _c(
        "board.open",
        "enter",
        "open",
        "Open read-only",
        "monitor",
        "Open the customer of the line, read-only",
    ),
    _c("monitor_view.back", "escape", "back", "Back", "monitor contact", "Back to the wallboard"),
    _c(
        "monitor_view.help",
        "f1,question_mark",
        "help",
        "Help",
        "monitor contact",
        "What this view shows",
    ),
    _c(
        "monitor_view.search",
        "slash",
        "search",
        "Search history",
        "monitor contact",
        "Find words in this customer's history",
    ),
    _c("help.close", "escape,f1,q", "dismiss", "Close", "help"),
    _c("entry.close", "escape,q,enter", "dismiss", "Close", "entry"),
    _c(
        "replay_report.close", "escape,q,enter", "close", "Close", "replay_report", "End the replay"
    ),
    _c("disposition.cancel", "escape", "cancel", "Cancel", "disposition"),
    _c("quit.cancel", "escape", "cancel", "Stay", "quit"),
    _c("assign.cancel", "escape", "cancel", "Cancel", "assign"),
    _c("decision_reason.cancel", "escape", "cancel", "Cancel", "decision_reason"),
    _c("saved_replies.cancel", "escape", "cancel", "Cancel", "saved_replies"),
    *(
        _c(f"saved_replies.{n}", str(n), f"pick({n - 1})", f"Insert reply {n}", "saved_replies")
        for n in range(1, 10)
    ),
)

BY_ID: Mapping[str, Command] = {command.id: command for command in COMMANDS}
"""Every command by its id."""

FOOTER: Mapping[str, tuple[str, ...]] = {
    "queue": (
        "queue.claim",
        "workspace.next",
        "workspace.find",
        "workspace.channel",
        "workspace.status",
        "workspace.mine",
        "workspace.approvals",
        "workspace.act",
        "workspace.search",
        "workspace.context",
        "workspace.reply",
    ),
    "context": (
        "timeline.open",
        "workspace.reply",
        "workspace.search",
        "workspace.act",
        "workspace.resolve",
        "workspace.release",
        "workspace.find",
        "workspace.next",
        "workspace.approvals",
        "workspace.queue",
    ),
    "resolution": (
        "composer.send",
        "composer.toggle",
        "composer.saved",
        "workspace.queue",
        "workspace.context",
        "workspace.escape",
    ),
}
"""What the workspace's footer shows while each pane has the focus, most needed first: what
does not fit the width is left out (help, which always shows, and the palette list every
command). While the agent types in the reply, single-letter commands are text and not shown."""

FOOTER_ALWAYS = "workspace.help"
"""The command the footer shows in every pane, at its end."""

#: Owners whose commands are live at the same time: the workspace screen's own with the
#: focused widget's. Every other owner is a screen of its own, live alone.
TOGETHER: tuple[frozenset[str], ...] = (
    frozenset({"workspace", "queue"}),
    frozenset({"workspace", "timeline"}),
    frozenset({"workspace", "composer"}),
    frozenset({"monitor", "board"}),
)

#: Keys the App keeps for itself: a command cannot take them.
RESERVED = {
    "ctrl+p": "the command palette: every command, searchable",
    "ctrl+q": "quit",
    "ctrl+c": "copy",
}


def bindings(owner: str) -> list[BindingType]:
    """The bindings of `owner`, for its `BINDINGS`."""
    return [c.binding() for c in COMMANDS if c.owner == owner]


def keys_of(command: Command, keymap: Mapping[str, str]) -> tuple[str, ...]:
    """The keys that run `command` under `keymap` (its defaults unless remapped)."""
    return tuple(k.strip() for k in keymap.get(command.id, command.keys).split(",") if k.strip())


def is_typed(key: str) -> bool:
    """Whether `key` types a character into a text field (a letter, a digit, `/`...)."""
    return len(key) == 1 or key in ("slash", "question_mark", "space")


def typed_actions(owner: str, keymap: Mapping[str, str]) -> frozenset[str]:
    """The actions of `owner` whose every key types text under `keymap`: while the agent
    types, those keys are text, so those commands hold back (a command that also has a
    key such as f2 keeps it)."""
    return frozenset(
        c.action
        for c in COMMANDS
        if c.owner == owner and all(is_typed(k) for k in keys_of(c, keymap))
    )


def of_pane(pane: str) -> list[Command]:
    """The commands that work in `pane` (a workspace pane's own, then those of anywhere)."""
    own = [c for c in COMMANDS if c.pane == pane]
    return own + [c for c in COMMANDS if c.pane == ANYWHERE and pane != ANYWHERE]


class KeymapError(CareDeskError):
    """`CAREDESK_KEYMAP` names a command that does not exist, or gives two commands one key."""


def check_keymap(keymap: Mapping[str, str]) -> None:
    """Refuse a keymap that names no command, gives one something other than keys, or puts
    two live commands on one key, with one line naming them; raises KeymapError."""
    unknown = sorted((id_ for id_ in keymap if id_ not in BY_ID), key=str)
    if unknown:
        near = _near(unknown[0])
        named = ", ".join(_quoted(id_) for id_ in unknown[:5])
        named += f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise KeymapError(
            f"CAREDESK_KEYMAP: no command has the id {named}"
            + (f" (did you mean {near!r}?)" if near else "; see `f1` in the workspace for ids")
        )
    for id_, keys in keymap.items():
        if not isinstance(keys, str):
            raise KeymapError(
                f"CAREDESK_KEYMAP: {id_!r}: expected keys as text, like ctrl+n,f2,"
                f" got {_quoted(keys)}"
            )
        if not keys_of(BY_ID[id_], keymap):
            raise KeymapError(f"CAREDESK_KEYMAP: {id_!r} is given no key")
        for key in keys_of(BY_ID[id_], keymap):
            if key in RESERVED:
                raise KeymapError(
                    f"CAREDESK_KEYMAP: {id_!r} cannot take {key}, which is {RESERVED[key]}"
                )
            if not key.isprintable() or len(key) > 40:
                raise KeymapError(
                    f"CAREDESK_KEYMAP: {id_!r}: expected key names like ctrl+n or f2,"
                    f" got {_quoted(key)}"
                )
    groups = [*TOGETHER, *({c.owner} for c in COMMANDS if c.owner != "workspace")]
    for owners in groups:
        holder: dict[str, Command] = {}
        for command in (c for c in COMMANDS if c.owner in owners):
            for key in keys_of(command, keymap):
                other = holder.setdefault(key, command)
                if other is not command and (command.id in keymap or other.id in keymap):
                    raise KeymapError(
                        f"CAREDESK_KEYMAP: {other.id!r} and {command.id!r} would both be on {key}"
                    )


def _quoted(value: object) -> str:
    """A value from the user's keymap as a message quotes it: escaped, and short."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _near(word: object) -> str | None:
    from difflib import get_close_matches

    if not isinstance(word, str) or len(word) > 64:  # difflib is quadratic in the length
        return None
    found = get_close_matches(word, list(BY_ID), n=1)
    return found[0] if found else None
