"""The outbox under chaos: deliverers SIGKILLed at random points, and a receiver that answers
500, 429, too late or not at all. Every executed action still reaches the receiver, which
acts on each once; after deliverers were killed it has a message again no more often than
`possible_duplicates` allows; and a rolled-back action leaves no message and sends nothing.
The last tests keep two defects the first version of these tests found from coming back: a
timed-out send was not counted as a possible duplicate, and a deliverer went on sending its
batch after its lease ran out.

The receiver is a real HTTP server on 127.0.0.1 (a `ThreadingHTTPServer` in a thread: it
must misbehave in ways pytest-httpserver cannot, such as dropping the connection), and it
verifies every request's Standard Webhooks signature as a real receiver would."""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

import pytest
from sqlalchemy import func, select, text, update
from sqlmodel import Session, col
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from storage.engine import Database
from storage.models import Action, Delivery
from storage.uow import read_session, unit_of_work
from tests.factories import NOW, add_agents
from tests.workspace.test_actions import POLICY, _desk, _discount, _shop
from workspace import delivery as outbox
from workspace.action_view import ActionRecord, ActionRequest
from workspace.delivery import LEASE, Deliverer, Endpoints, possible_duplicates
from workspace.timefmt import utcnow
from workspace.workbench import Workbench

ROOT = Path(__file__).parents[2]
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

Behaviour = Literal["ok", "slow", "error", "throttle", "hang", "drop"]
"""What the receiver does with one request:

- ok: acts on it and answers 200;
- slow: acts on it, then answers 200 only after `Receiver.slow` seconds;
- error: answers 500 without acting;
- throttle: answers 429 with `Retry-After: 1` without acting;
- hang: sleeps `Receiver.hang` seconds (longer than the deliverer waits), then acts on it and
  answers, to nobody: a receiver that was merely slow has still done the work;
- drop: closes the connection without acting or answering."""


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Receiver:
    """A fulfilling system: verifies each request's signature, acts on each `webhook-id` once
    (idempotent, as Standard Webhooks asks of receivers), and counts what came again."""

    url: str = ""
    plan: Callable[[str, int], Behaviour] = lambda _id, _nth: "ok"
    """The behaviour for the `nth` request (1, 2, ...) carrying a webhook-id."""
    slow: float = 0.25
    hang: float = 1.0
    acted: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The payload acted on, by webhook-id."""
    received: Counter[str] = field(default_factory=Counter)
    """Signed requests received, by webhook-id, whatever was answered."""
    deliveries: Counter[str] = field(default_factory=Counter)
    """Times each webhook-id reached the point where the receiver would act on it."""
    refused: int = 0
    """Requests whose signature did not verify."""
    errors: list[str] = field(default_factory=list)
    """What went wrong in a handler, other than a deliverer hanging up on it."""
    busy: int = 0
    """Handlers running now."""
    waiting: int = 0
    """`slow` requests acted on and not yet answered."""
    answered: int = 0
    """`slow` requests answered, or being answered (the deliverer may be gone by then)."""
    answered_ids: list[str] = field(default_factory=list)
    """Their webhook-ids, in that order."""
    changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def duplicates(self) -> Counter[str]:
        """Deliveries of a webhook-id already acted on, by webhook-id."""
        return Counter({wid: n - 1 for wid, n in self.deliveries.items() if n > 1})

    def wait_for(self, ready: Callable[[], bool], timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(ready, timeout)

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Until no handler runs: whatever the deliverers sent has been acted on or refused."""
        assert self.wait_for(lambda: self.busy == 0, timeout), "the receiver is still busy"

    def _act(self, webhook_id: str, payload: dict[str, Any]) -> None:
        with self.changed:
            self.deliveries[webhook_id] += 1
            if webhook_id not in self.acted:  # idempotent: a webhook-id seen before is not redone
                self.acted[webhook_id] = payload
            self.changed.notify_all()

    def handle(self, request: _Handler) -> None:
        body = request.rfile.read(int(request.headers.get("content-length") or 0))
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            payload = Webhook(SECRET).verify(body, headers)
        except WebhookVerificationError:
            with self.changed:
                self.refused += 1
            request.answer(400, b"the signature does not verify")
            return
        webhook_id = headers["webhook-id"]
        with self.changed:
            self.received[webhook_id] += 1
            nth = self.received[webhook_id]
        behaviour = self.plan(webhook_id, nth)
        if behaviour == "drop":
            request.close_connection = True
            with suppress(OSError):
                request.connection.shutdown(socket.SHUT_RDWR)
        elif behaviour == "error":
            request.answer(500, b"internal error")
        elif behaviour == "throttle":
            request.answer(429, b"slow down", {"Retry-After": "1"})
        elif behaviour == "hang":
            time.sleep(self.hang)
            self._act(webhook_id, payload)
            request.answer(200, b"{}")
        elif behaviour == "slow":
            self._act(webhook_id, payload)
            with self.changed:
                self.waiting += 1
                self.changed.notify_all()
            time.sleep(self.slow)
            with self.changed:  # counted first: a deliverer may record the answer at once
                self.waiting -= 1
                self.answered += 1
                self.answered_ids.append(webhook_id)
                self.changed.notify_all()
            request.answer(200, json.dumps({"reference": webhook_id}).encode())
        else:
            self._act(webhook_id, payload)
            request.answer(200, json.dumps({"reference": webhook_id}).encode())


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        self.server.receiver.handle(self)

    def answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        """Answer, unless the deliverer already hung up (it was killed, or timed out)."""
        with suppress(OSError):
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, receiver: Receiver) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.receiver = receiver

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self.receiver.changed:
            self.receiver.busy += 1
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.receiver.changed:
                self.receiver.busy -= 1
                self.receiver.changed.notify_all()

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, OSError):  # a killed deliverer resets its connection
            self.receiver.errors.append(repr(error))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """The fulfilling system, listening on 127.0.0.1 for the test."""
    found = Receiver()
    server = _Server(found)
    found.url = f"http://127.0.0.1:{server.server_address[1]}/fulfil"
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    serving.start()
    try:
        yield found
    finally:
        server.shutdown()
        serving.join()
        server.server_close()
    assert found.errors == []


def _messages(db: Database) -> list[Delivery]:
    """The outbox's rows, as they stand (copies, usable after the session ends)."""
    with read_session(db) as s:
        rows = s.exec(select(Delivery).order_by(col(Delivery.id))).scalars().all()  # type: ignore[call-overload]
        return [Delivery.model_validate(row.model_dump()) for row in rows]


def _credit(n: int) -> ActionRequest:
    """A store credit the policy lets an agent give at once (no order, far inside the budget)."""
    return ActionRequest(
        kind="store_credit", customer_id="C-1", amount="1.00", reason=f"goodwill {n}"
    )


# -- 1. deliverers SIGKILLed at random points --------------------------------------------------

MESSAGES = 30
SEED = 20261107

Kill = Literal["starting", "in flight", "answered", "any time"]
"""Where a round's kill lands:

- starting: a random delay short enough that the deliverer has sent nothing yet (it is still
  starting, or taking its messages);
- in flight: a random moment while the receiver is slow to answer the round's k-th request,
  which it has already acted on: the deliverer dies waiting for the answer, with the rest of
  the messages it took leased to it and never sent;
- answered: once the receiver answered the round's k-th request (or the one after), while the
  deliverer waits to record the answer (the test holds the outbox's write lock meanwhile): it
  dies between the send and the mark;
- any time: a random delay after the round's first request reached the receiver, spread
  over the next few sends: in a send, between an answer and its mark, or between two sends.

The kills are placed from what the receiver sees rather than by the clock alone: how long a
deliverer takes to start differs from machine to machine, and with the load of the run."""

# Each round but a "starting" one waits for a deliverer to start (a second or more, most of it
# importing, and several on a loaded machine): six rounds, and the last run, are most of the
# test's time.
KILLS: tuple[Kill, ...] = ("starting", "in flight", "answered", "answered", "any time", "any time")


def _deliverer_command(db: Database, *options: str) -> list[str]:
    return [sys.executable, "-m", "workspace.cli", "deliver", "--db", db.url, *options]


def _deliverer_env(receiver: Receiver) -> dict[str, str]:
    return {
        **os.environ,
        "CAREDESK_DELIVERY_URL": receiver.url,
        "CAREDESK_DELIVERY_SECRET": SECRET,
        # Far longer than the receiver is slow: no attempt of this test times out.
        "CAREDESK_DELIVERY_TIMEOUT": "10",
    }


def _let_leases_run_out(db: Database) -> None:
    """Time passing, without waiting for it: a killed deliverer's lease (`LEASE`, 30 s) would
    run out, so every lease held is moved into the past, as if that much time had gone by."""
    with unit_of_work(db) as s:
        # First, on PostgreSQL, wait for the killed deliverer's transaction, if one was open, to
        # be rolled back by the server; on SQLite, BEGIN IMMEDIATE already waited for its lock.
        s.execute(select(col(Delivery.id)).with_for_update())
        s.execute(
            update(Delivery)
            .where(col(Delivery.leased_until).is_not(None))
            .values(leased_until=datetime(2000, 1, 1, tzinfo=UTC))
        )


@contextmanager
def _marks_wait(db: Database) -> Iterator[None]:
    """Hold the outbox's write lock: a deliverer that got its answer waits to record it."""
    with unit_of_work(db) as s:
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("LOCK TABLE delivery IN EXCLUSIVE MODE"))
        else:
            s.execute(text("SELECT 1"))  # the unit of work's BEGIN IMMEDIATE takes the lock
        yield


def _status(db: Database, webhook_id: str) -> str:
    with read_session(db) as s:
        found: str = s.execute(
            select(col(Delivery.status)).where(col(Delivery.webhook_id) == webhook_id)
        ).scalar_one()
    return found


def _kill_round(
    db: Database, receiver: Receiver, kill: Kill, rng: random.Random, log: Path
) -> None:
    """Start `caredesk deliver` (the long-running one), and SIGKILL it where `kill` says."""
    with receiver.changed:
        slowed = receiver.answered + receiver.waiting
        received = receiver.received.total()
    k = rng.randint(1, 3)

    def slowed_k() -> bool:
        return receiver.answered + receiver.waiting >= slowed + k

    def until(ready: Callable[[], bool]) -> None:
        """Wait for `ready`, failing at once if the deliverer stopped on its own."""
        deadline = time.monotonic() + 30
        while not receiver.wait_for(ready, 0.1):
            assert process.poll() is None, f"the deliverer stopped:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"the deliverer got stuck:\n{log.read_text()}"

    with log.open("w") as stderr:
        process = subprocess.Popen(
            _deliverer_command(db),
            cwd=ROOT,
            env=_deliverer_env(receiver),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        if kill == "starting":
            time.sleep(rng.uniform(0.05, 0.6))
        elif kill == "in flight":
            until(slowed_k)
            time.sleep(rng.uniform(0, receiver.slow / 3))
        elif kill == "answered":
            until(slowed_k)
            with _marks_wait(db):
                # Whatever the receiver answers from now on cannot be recorded until we let go.
                with receiver.changed:
                    n = receiver.answered
                until(lambda: receiver.answered > n)
                time.sleep(rng.uniform(0.05, 0.15))  # the deliverer reads the answer, then waits
                assert process.poll() is None, f"the deliverer stopped:\n{log.read_text()}"
                process.kill()
                process.wait()
            # The receiver acted on it and answered 200, and the deliverer never recorded it.
            assert _status(db, receiver.answered_ids[n]) != "delivered"
        else:
            until(lambda: receiver.received.total() > received)
            time.sleep(rng.uniform(0, 4 * receiver.slow))
        assert kill == "answered" or process.poll() is None, (
            f"the deliverer stopped on its own:\n{log.read_text()}"
        )
    finally:
        process.kill()  # SIGKILL: no clean-up, no last mark
        process.wait()
    _let_leases_run_out(db)


def test_deliverers_killed_anywhere_lose_nothing_and_never_hide_a_duplicate(
    db: Database, receiver: Receiver, tmp_path: Path
) -> None:
    _shop(db)
    (agent,) = add_agents(db, "alex")
    # On the real clock: `caredesk deliver` runs on it, so the messages must be due by it.
    alex = Workbench.open(db, agent, POLICY, clock=utcnow)
    for n in range(MESSAGES):
        assert alex.actions.take(_credit(n)).record.status == "executed"
    sent = {m.webhook_id: m.action_id for m in _messages(db)}
    assert len(sent) == MESSAGES
    receiver.plan = lambda _id, _nth: "slow"
    rng = random.Random(SEED)
    kills = list(KILLS)
    rng.shuffle(kills)
    for n, kill in enumerate(kills):
        _kill_round(db, receiver, kill, rng, tmp_path / f"deliver-{n}.log")

    receiver.plan = lambda _id, _nth: "ok"
    last = subprocess.run(
        _deliverer_command(db, "--once"),
        cwd=ROOT,
        env=_deliverer_env(receiver),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert last.returncode == 0, last.stderr
    receiver.wait_idle()

    rows = _messages(db)
    assert [m.status for m in rows] == ["delivered"] * MESSAGES
    assert receiver.refused == 0
    # Every executed action reached the receiver, which acted on each exactly once.
    assert {wid: p["action"]["id"] for wid, p in receiver.acted.items()} == sent
    # Each message came again at most as often as a deliverer was lost while holding it...
    orphaned = {m.webhook_id: m.orphaned for m in rows}
    extra = receiver.duplicates
    assert all(n <= orphaned[wid] for wid, n in extra.items()), (extra, orphaned)
    assert extra.total() <= possible_duplicates(db)
    # ... and the kills did land between sends and marks: some came twice.
    assert extra.total() >= 1


# -- 2. a misbehaving receiver ------------------------------------------------------------------


def test_a_misbehaving_receiver_gets_each_message_in_the_end_and_acts_once(
    db: Database, receiver: Receiver
) -> None:
    _shop(db)
    alex = _desk(db, "alex")
    for n in range(5):
        alex.actions.take(_credit(n))
    ids = [m.webhook_id for m in _messages(db)]
    first: dict[str, list[Behaviour]] = dict(
        zip(ids, [["error", "error"], ["throttle"], ["hang"], ["drop"], []], strict=True)
    )

    def plan(webhook_id: str, nth: int) -> Behaviour:
        misbehaving = first[webhook_id]
        return misbehaving[nth - 1] if nth <= len(misbehaving) else "ok"

    receiver.plan = plan
    receiver.hang = 1.0  # the deliverer gives up after 0.3 s
    clock = Clock()
    deliverer = Deliverer(db, Endpoints({"*": receiver.url}, (SECRET,), timeout=0.3), clock)
    try:
        done = deliverer.run_once()
        assert (done.delivered, done.retrying, done.failed) == (1, 4, 0)
        after = {m.webhook_id: m for m in _messages(db)}
        assert [(after[i].status, after[i].attempts, after[i].last_error) for i in ids] == [
            ("retrying", 1, "the receiver answered 500"),
            ("retrying", 1, "the receiver answered 429"),
            ("retrying", 1, "the receiver did not answer in time"),
            ("retrying", 1, "could not reach the receiver (RemoteProtocolError)"),
            ("delivered", 1, None),
        ]
        waits = [after[i].next_at - NOW for i in ids[:4]]
        assert all(timedelta(seconds=1) <= w <= timedelta(seconds=2) for w in waits), waits
        assert after[ids[4]].receiver_ref == ids[4]
        assert deliverer.run_once().taken == 0  # none is due before its backoff ends

        clock.now += timedelta(minutes=1)
        done = deliverer.run_once()
        assert (done.delivered, done.retrying) == (3, 1)
        (again,) = [m for m in _messages(db) if m.status == "retrying"]
        assert (again.webhook_id, again.attempts) == (ids[0], 2)
        assert again.last_error == "the receiver answered 500"
        assert again.next_at - clock.now >= timedelta(seconds=2)  # the wait doubled

        clock.now += timedelta(minutes=1)
        assert deliverer.run_once().delivered == 1
    finally:
        deliverer.close()
    receiver.wait_idle()

    rows = {m.webhook_id: m for m in _messages(db)}
    assert {(m.status, m.last_error) for m in rows.values()} == {("delivered", None)}
    attempts = {wid: m.attempts for wid, m in rows.items()}
    assert attempts == dict(zip(ids, [3, 2, 2, 2, 1], strict=True))
    # Every attempt recorded is one the receiver had, and it acted on each message once.
    assert dict(receiver.received) == attempts
    assert set(receiver.acted) == set(ids)
    assert receiver.refused == 0
    # The receiver that hung had done the work before the deliverer gave up on it: the retry
    # reached it a second time, which its webhook-id told it.
    assert receiver.duplicates == Counter({ids[2]: 1})


# -- 3. a rolled-back action ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["taken", "approved"])
def test_a_rolled_back_action_leaves_no_message_and_sends_nothing(
    db: Database, receiver: Receiver, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    _shop(db)
    alex = _desk(db, "alex")
    jordan = _desk(db, "jordan", role="supervisor")
    waiting = alex.actions.take(_discount("30")).record  # above the limit: a supervisor decides
    assert waiting.status == "requested"
    real_enqueue = outbox.enqueue
    written: list[int] = []

    def enqueue_then_fail(session: Session, record: ActionRecord, at: datetime) -> None:
        real_enqueue(session, record, at)
        count = select(func.count()).select_from(Delivery)
        written.append(session.execute(count).scalar_one())  # the message is in the transaction
        raise RuntimeError("the transaction fails after the message was written")

    monkeypatch.setattr(outbox, "enqueue", enqueue_then_fail)
    with pytest.raises(RuntimeError, match="after the message was written"):
        if path == "taken":
            alex.actions.take(_discount("20", reason="another"))
        else:
            jordan.approvals.approve(waiting.id, "loyal customer")
    monkeypatch.undo()

    assert written == [1]
    assert _messages(db) == []
    with read_session(db) as s:
        statuses = s.execute(select(col(Action.status))).scalars().all()
    assert statuses == ["requested"]  # the action went with it; the waiting one still waits
    deliverer = Deliverer(db, Endpoints({"*": receiver.url}, (SECRET,), timeout=2.0), Clock())
    try:
        assert deliverer.run_once().taken == 0
    finally:
        deliverer.close()
    receiver.wait_idle()
    assert receiver.received == Counter() and receiver.acted == {}


# -- defects found, kept fixed ------------------------------------------------------------


def test_a_send_that_timed_out_counts_as_a_possible_duplicate(
    db: Database, receiver: Receiver
) -> None:
    _shop(db)
    _desk(db, "alex").actions.take(_credit(1))
    receiver.plan = lambda _id, nth: "hang" if nth == 1 else "ok"
    receiver.hang = 0.6
    clock = Clock()
    deliverer = Deliverer(db, Endpoints({"*": receiver.url}, (SECRET,), timeout=0.2), clock)
    try:
        assert deliverer.run_once().retrying == 1  # timed out: tried again later
        clock.now += timedelta(minutes=1)
        assert deliverer.run_once().delivered == 1
    finally:
        deliverer.close()
    receiver.wait_idle()
    assert receiver.duplicates.total() == 1  # the receiver had it twice
    assert possible_duplicates(db) >= receiver.duplicates.total()


def test_a_deliverer_does_not_send_what_its_lease_ran_out_on(
    db: Database, receiver: Receiver
) -> None:
    _shop(db)
    alex = _desk(db, "alex")
    for n in range(3):
        alex.actions.take(_credit(n))
    ids = [m.webhook_id for m in _messages(db)]
    receiver.plan = lambda wid, nth: "slow" if (wid, nth) == (ids[0], 1) else "ok"
    receiver.slow = 1.0
    clock = Clock()  # shared: both deliverers see the same time pass
    endpoints = Endpoints({"*": receiver.url}, (SECRET,), timeout=5.0)
    first = Deliverer(db, endpoints, clock, name="first")
    second = Deliverer(db, endpoints, clock, name="second")
    worker = threading.Thread(target=first.run_once)
    try:
        worker.start()  # takes all three, sends them at once: slow to answer the first
        assert receiver.wait_for(lambda: receiver.waiting == 1, 10)

        for _ in range(200):  # until the quick answers are recorded
            if sum(m.status == "delivered" for m in _messages(db)) == 2:
                break
            time.sleep(0.05)
        clock.now += LEASE + timedelta(seconds=1)  # the answer took longer than the lease
        assert second.run_once().delivered == 1  # the lease ran out: it takes the one left
        worker.join(10)
    finally:
        first.close()
        second.close()
    receiver.wait_idle()
    # Only the one in flight when the lease ran out may have reached the receiver twice, and
    # that is what is counted.
    assert receiver.duplicates.total() <= possible_duplicates(db) == 1
    assert receiver.duplicates == Counter({ids[0]: 1})
