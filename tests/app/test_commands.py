"""One declaration per command: bindings, hints, help, palette and the typing guard follow the
registry, and a keymap that names no command or puts two on one key is refused."""

from __future__ import annotations

import json

import pytest
from textual.widgets import Footer

from screens.action_form import ActionFormScreen
from screens.approvals import ApprovalsScreen
from screens.assign import AssignScreen
from screens.decision_reason import DecisionReasonScreen
from screens.disposition import DispositionScreen
from screens.entry import EntryScreen
from screens.follow_up import FollowUpScreen
from screens.help import HelpScreen
from screens.leaving import LeavingScreen
from screens.lookup import LookupScreen
from screens.monitor import ContactView, MonitorScreen
from screens.new_contact import NewContactScreen
from screens.replay import ReplayReportScreen
from screens.saved_replies import SavedRepliesScreen
from screens.workspace import WorkspaceScreen
from tests.app.conftest import settle
from tests.app.screen import screen_text
from widgets.board import Board
from widgets.commands import COMMANDS, KeymapError, check_keymap, typed_actions
from widgets.composer import Composer
from widgets.queue_table import QueueTable
from widgets.timeline import Timeline
from workspace.app import AgentLaunch, CareDeskApp
from workspace.cli import main

SIZE = (120, 35)

OWNERS = {
    "workspace": WorkspaceScreen,
    "queue": QueueTable,
    "timeline": Timeline,
    "composer": Composer,
    "approvals": ApprovalsScreen,
    "action": ActionFormScreen,
    "help": HelpScreen,
    "entry": EntryScreen,
    "disposition": DispositionScreen,
    "decision_reason": DecisionReasonScreen,
    "saved_replies": SavedRepliesScreen,
    "quit": LeavingScreen,
    "assign": AssignScreen,
    "lookup": LookupScreen,
    "new_contact": NewContactScreen,
    "follow_up": FollowUpScreen,
    "monitor": MonitorScreen,
    "board": Board,
    "monitor_view": ContactView,
    "replay_report": ReplayReportScreen,
}


def test_every_binding_is_a_registered_command_and_every_command_is_bound() -> None:
    bound = set()
    for owner, cls in OWNERS.items():
        for binding in cls.BINDINGS:
            assert not isinstance(binding, tuple)
            assert binding.id is not None and binding.id.split(".")[0] == owner
            bound.add(binding.id)
    assert bound == {c.id for c in COMMANDS}


def test_the_typing_guard_follows_the_keys_as_mapped() -> None:
    guarded = typed_actions("workspace", {})
    assert {"next_contact", "resolve", "search", "cycle_channel"} <= guarded
    # A command with a key that types nothing keeps it while the agent types.
    assert "help" not in guarded and "focus_pane('queue')" not in guarded
    assert "resolve" not in typed_actions("workspace", {"workspace.resolve": "ctrl+e"})
    assert "reload" in typed_actions("workspace", {"workspace.reload": "l"})


@pytest.mark.parametrize(
    ("keymap", "said"),
    [
        ({"workspace.nxt": "ctrl+n"}, "no command has the id 'workspace.nxt'"),
        ({"workspace.nxt": "ctrl+n"}, "did you mean 'workspace.next'?"),
        ({"workspace.next": "r"}, "'workspace.next' and 'workspace.resolve' would both be on r"),
        ({"queue.claim": "n"}, "'workspace.next' and 'queue.claim' would both be on n"),
        ({"workspace.resolve": "ctrl+r"}, "'workspace.resolve' and 'composer.saved'"),
        ({"workspace.next": "ctrl+q"}, "'workspace.next' cannot take ctrl+q, which is quit"),
        ({"workspace.next": ""}, "'workspace.next' is given no key"),
    ],
)
def test_a_bad_keymap_is_refused_naming_what_is_wrong(keymap: dict[str, str], said: str) -> None:
    with pytest.raises(KeymapError) as refused:
        check_keymap(keymap)
    assert said in str(refused.value)
    assert "\n" not in str(refused.value)


def test_keys_live_apart_may_be_shared() -> None:
    check_keymap({"approvals.approve": "n"})  # the approval queue is a screen of its own
    check_keymap({"timeline.open": "enter", "workspace.next": "ctrl+n"})


def test_the_cli_refuses_a_bad_keymap_in_one_line(monkeypatch, capsys) -> None:
    monkeypatch.setenv("CAREDESK_KEYMAP", json.dumps({"workspace.next": "r"}))
    assert main(["--no-demo"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "caredesk: CAREDESK_KEYMAP: 'workspace.next' and 'workspace.resolve' would both be on r\n"
    )


async def test_a_remapped_command_keeps_its_place_in_the_footer_help_and_hints(desk_db) -> None:
    launch = AgentLaunch(lambda: desk_db, fill_demo=False)
    app = CareDeskApp(launch, keymap={"workspace.next": "ctrl+n"}, show_clock=False)
    async with app.run_test(size=(160, 35)) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(Footer)
        shown = " ".join(str(item.render()) for item in footer.children)
        assert "^n Next" in shown and " n Next" not in shown
        assert "^n) claims it" in screen_text(app)  # the contact bar's hint
        await pilot.press("f1")
        await pilot.pause()
        text = screen_text(app)
        assert "^n" in text and "Claim the most urgent contact nobody holds" in text
        assert "Scroll Left" not in text and "Maximize" not in text  # CareDesk's commands only


def test_the_keymap_document_lists_every_command_with_its_default_keys() -> None:
    """docs/keymap.md is what a user remaps from: every id, with the keys it has today."""
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "keymap.md").read_text(encoding="utf-8")
    rows = {
        cells[1].strip("` "): cells[2]
        for line in doc.splitlines()
        if line.startswith("| `") and len(cells := line.split("|")) > 3
    }
    for command in COMMANDS:
        assert command.id in rows, f"docs/keymap.md does not list {command.id}"
        keys = [k.strip() for k in command.keys.split(",")]
        assert all(f"`{k}`" in rows[command.id] for k in keys), command.id
