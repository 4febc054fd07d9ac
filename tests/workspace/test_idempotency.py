"""An idempotency key means one request: the agent's own, replayed within its window, refused
for anything else, and one effect when two submits race with it."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from storage.engine import Database
from storage.models import Action, ActionKey
from storage.uow import read_session, unit_of_work
from tests.factories import NOW, add_agents, add_customer, add_order
from workspace.action_view import ActionOutcome, ActionRequest
from workspace.cli import main
from workspace.errors import ActionInputError
from workspace.idempotency import LEASE, WINDOW, KeyInProgress, KeyReused, claim
from workspace.policy_file import default_policy
from workspace.workbench import Workbench

POLICY = default_policy()


class Clock:
    """A clock a test moves."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now


def _shop(db: Database) -> None:
    add_customer(db, "C-1", "Dana Whitfield", "standard")
    add_customer(db, "C-2", "Ravi Mehta", "standard")
    for order, customer in (("W1", "C-1"), ("W2", "C-1"), ("W3", "C-2")):
        add_order(
            db,
            order,
            customer,
            placed=NOW - timedelta(days=10),
            delivered=NOW - timedelta(days=5),
            price="200.00",
        )


def _desk(db: Database, name: str, clock: Clock) -> Workbench:
    (agent,) = add_agents(db, name)
    return Workbench.open(db, agent, POLICY, clock=clock)


def _request(**changes: object) -> ActionRequest:
    fields: dict[str, object] = {
        "kind": "discount",
        "customer_id": "C-1",
        "order_id": "W1",
        "amount": "20",
        "reason": "late parcel",
    }
    fields.update(changes)
    return ActionRequest(**fields)  # type: ignore[arg-type]


def _actions(db: Database) -> int:
    with read_session(db) as s:
        return int(s.execute(select(func.count()).select_from(Action)).scalar_one())


def test_the_same_key_and_request_replays_the_first_action(sqlite_db: Database) -> None:
    _shop(sqlite_db)
    alex = _desk(sqlite_db, "alex", Clock())
    first = alex.actions.take(_request(), key="K")
    again = alex.actions.take(_request(amount="20.00"), key="K")  # the same amount, typed anew
    assert not first.repeated and again.repeated
    assert again.record.id == first.record.id and again.record.status == "executed"
    assert _actions(sqlite_db) == 1


@pytest.mark.parametrize(
    ("changed", "field", "said"),
    [
        ({"amount": "2000"}, "amount", 'amount "20.00", not "2000.00"'),
        ({"customer_id": "C-2", "order_id": "W3"}, "customer", 'customer "C-1", not "C-2"'),
        ({"order_id": "W2"}, "order", 'order "W1", not "W2"'),
        ({"kind": "store_credit"}, "action", 'action "discount", not "store_credit"'),
        ({"reason": "other"}, "reason", 'reason "late parcel", not "other"'),
    ],
)
def test_the_same_key_with_another_request_is_refused_naming_what_differs(
    sqlite_db: Database, changed: dict[str, object], field: str, said: str
) -> None:
    _shop(sqlite_db)
    alex = _desk(sqlite_db, "alex", Clock())
    alex.actions.take(_request(), key="K")
    with pytest.raises(KeyReused) as refused:
        alex.actions.take(_request(**changed), key="K")
    assert refused.value.field == field
    assert f"key K was first used for {said}" in str(refused.value)
    assert _actions(sqlite_db) == 1


def test_a_key_is_the_agents_own(sqlite_db: Database) -> None:
    _shop(sqlite_db)
    clock = Clock()
    alex, sam = _desk(sqlite_db, "alex", clock), _desk(sqlite_db, "sam", clock)
    mine = alex.actions.take(_request(), key="K")
    theirs = sam.actions.take(_request(amount="5"), key="K")
    assert not theirs.repeated and theirs.record.id != mine.record.id
    assert theirs.record.agent_id == sam.agent.id
    assert _actions(sqlite_db) == 2


def test_a_key_is_replayed_within_its_window_and_refused_after(sqlite_db: Database) -> None:
    _shop(sqlite_db)
    clock = Clock()
    alex = _desk(sqlite_db, "alex", clock)
    first = alex.actions.take(_request(), key="K")
    clock.now = NOW + WINDOW
    assert alex.actions.take(_request(), key="K").record.id == first.record.id
    clock.now = NOW + WINDOW + timedelta(seconds=1)
    with pytest.raises(KeyReused, match="over 24 hours ago: it is not replayed any more"):
        alex.actions.take(_request(), key="K")
    assert _actions(sqlite_db) == 1


def test_a_submit_while_the_first_is_deciding_is_told_it_is_in_progress(
    sqlite_db: Database,
) -> None:
    _shop(sqlite_db)
    clock = Clock()
    alex = _desk(sqlite_db, "alex", clock)
    # The first submit has claimed the key and not settled it yet.
    held = claim(sqlite_db, alex.agent.id, "K", _request(), NOW)
    assert not isinstance(held, int)
    with pytest.raises(KeyInProgress, match="still being decided; nothing was done"):
        alex.actions.take(_request(), key="K")
    assert _actions(sqlite_db) == 0
    # Its process died: once its lease ends, a retry takes the key over and acts once.
    clock.now = NOW + LEASE + timedelta(seconds=1)
    taken = alex.actions.take(_request(), key="K")
    assert not taken.repeated and _actions(sqlite_db) == 1
    # The first submit, come back late, cannot settle it: it was taken over.
    with pytest.raises(KeyInProgress, match="took it over"):
        alex.actions._take(_request(), "A-late", held)
    assert _actions(sqlite_db) == 1


def test_a_refused_request_frees_its_key(sqlite_db: Database) -> None:
    _shop(sqlite_db)
    alex = _desk(sqlite_db, "alex", Clock())
    with pytest.raises(ActionInputError, match="not an amount"):
        alex.actions.take(_request(amount="twenty"), key="K")
    with read_session(sqlite_db) as s:
        assert s.execute(select(func.count()).select_from(ActionKey)).scalar_one() == 0
    assert not alex.actions.take(_request(), key="K").repeated


def test_two_submits_at_once_with_one_key_act_once(db: Database) -> None:
    _shop(db)
    clock = Clock()
    alex = _desk(db, "alex", clock)
    desks = [alex] + [
        Workbench.open(db, alex.agent, POLICY, clock=clock) for _ in range(5)
    ]  # six workspaces of one agent (or one double-click, six times over)
    start = threading.Barrier(len(desks))
    outcomes: list[ActionOutcome | Exception] = []

    def submit(desk: Workbench) -> None:
        start.wait()
        try:
            outcomes.append(desk.actions.take(_request(), key="K"))
        except Exception as error:  # noqa: BLE001 - every outcome is asserted below
            outcomes.append(error)

    threads = [threading.Thread(target=submit, args=(d,)) for d in desks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    taken = [o for o in outcomes if isinstance(o, ActionOutcome) and not o.repeated]
    others = [o for o in outcomes if not (isinstance(o, ActionOutcome) and not o.repeated)]
    assert len(taken) == 1 and len(others) == len(desks) - 1
    assert all(
        isinstance(o, KeyInProgress)
        or (isinstance(o, ActionOutcome) and o.repeated and o.record.id == taken[0].record.id)
        for o in others
    ), others
    assert _actions(db) == 1


def test_act_refuses_a_reused_key_naming_the_option(sqlite_db: Database, capsys) -> None:
    add_agents(sqlite_db, "alex", role="supervisor")
    _shop(sqlite_db)
    base = ["act", "--db", sqlite_db.url, "--customer", "C-1", "--order", "W1", "--reason", "late"]
    assert main([*base, "--action", "discount", "--amount", "20", "--key", "line-7"]) == 0
    capsys.readouterr()
    code = main([*base, "--action", "discount", "--amount", "2000", "--key", "line-7"])
    err = capsys.readouterr().err
    assert code == 2
    assert '--amount: key line-7 was first used for amount "20.00", not "2000.00"' in err
    assert len(err.strip().splitlines()) == 1
    assert _actions(sqlite_db) == 1


def test_a_key_used_before_keys_were_each_agents_still_replays(sqlite_db: Database) -> None:
    # Before schema 0021 a key was stored as the action's ref, A-<key>.
    _shop(sqlite_db)
    alex = _desk(sqlite_db, "alex", Clock())
    first = alex.actions.take(_request())
    with unit_of_work(sqlite_db) as s:
        s.execute(
            text("UPDATE action SET ref = 'A-line-7' WHERE id = :id"), {"id": first.record.id}
        )
    again = alex.actions.take(_request(), key="line-7")
    assert again.repeated and again.record.id == first.record.id
    assert _actions(sqlite_db) == 1


def test_a_key_longer_than_its_column_is_refused(sqlite_db: Database) -> None:
    _shop(sqlite_db)
    alex = _desk(sqlite_db, "alex", Clock())
    with pytest.raises(ActionInputError, match="a key is 1 to 64 characters, got 65"):
        alex.actions.take(_request(), key="k" * 65)
