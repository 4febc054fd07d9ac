"""Delivery: how fast executed actions reach the system that fulfils them (the outbox).

A receiver runs on this machine (`127.0.0.1`), in a process of its own: a threaded HTTP
server that checks each message's signature, notes its `webhook-id` and the moment it
answered, and answers 204 at once. Deliverers send to it through the real code path,
`workspace.delivery.Deliverer`: take due messages under a lease, sign, POST, mark.

- Throughput (`delivery_per_s`): the outbox is filled with `messages` messages (one
  action taken through the policy, cloned in bulk as executed actions with their
  messages, as `delivery.enqueue` writes them), then `deliverers` processes, each a
  `Deliverer` of its own name, call `run_once` until nothing is left for them. The figure
  is messages delivered per second, from the release of all of them until the last one
  has marked its last message.
- Latency (`delivery_latency_p95_ms`): one deliverer runs as `caredesk deliver` does
  (`Deliverer.run`, woken by each commit through the live feed) while this process takes
  `actions` store credits through `Actions.take`, one at a time, a few dozen milliseconds
  apart. A delay runs from just after `take` returned (the action, and its message, just
  committed) to the moment the receiver answered that message. The same from just before
  `take` was called (its own work counted) is kept beside it.

Checked, and reported as counts that should be 0: requests beyond the first for one
`webhook-id` (`duplicates`), messages the receiver never had (`missing`) or the outbox does
not say were delivered (`undelivered`), requests whose signature did not verify
(`bad_signatures`), and database errors that reached a deliverer (`errors`). Beside the
throughput, what each message cost on the CPU: in the deliverers, in the PostgreSQL server
(on their connections) and in the receiver. Both measurements write, so they run on a copy.
"""

from __future__ import annotations

import base64
import multiprocessing
import os
import queue
import random
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from benchmarks.claims import agent_names
from benchmarks.common import BenchmarkError, median, percentile
from benchmarks.cpu import backend_cpu_s, backend_pid
from benchmarks.crew import Crew, Signals
from storage import delivery_queries
from storage.bulk import insert_rows
from storage.engine import Database, make_database
from storage.models import Action, Customer, Delivery
from storage.uow import read_session, unit_of_work
from workspace import delivery
from workspace.action_view import ActionRecord, ActionRequest
from workspace.actions import Actions
from workspace.agents import resolve_agent
from workspace.delivery import Deliverer, Endpoints
from workspace.errors import CareDeskError
from workspace.policy_store import effective_policy
from workspace.timefmt import utcnow
from workspace.vocabulary import ActionStatus

#: Seconds one attempt may take (the receiver is on this machine).
TIMEOUT = 5.0
#: The longest a deliverer's feed waits at once (`Deliverer.run`'s `wait`).
WAIT = 1.0
#: Seconds between two actions: drawn between these.
GAP = (0.02, 0.05)
#: Seconds to wait for the messages the set already holds to be delivered before the
#: actions, and for every action's message after them.
GRACE = 30.0
#: Errors a deliverer takes before it gives up (the database is gone, not busy).
MAX_ERRORS = 100
#: The amount of each store credit taken (small: an agent's monthly budget allows many).
AMOUNT = "1.00"


@dataclass(frozen=True)
class DeliveryThroughput:
    """Messages delivered per second by deliverers running at once."""

    delivery_per_s: float
    """Messages delivered per second of wall time: the figure."""
    messages: int
    """Messages due when the deliverers were released (every one must be delivered)."""
    deliverers: int
    """Deliverer processes running at once."""
    seconds: float
    """Wall time, from the release to the last deliverer done."""
    fewest: int
    """Messages the least busy deliverer delivered."""
    most: int
    """Messages the busiest deliverer delivered."""
    received: int
    """Requests the receiver answered."""
    duplicates: int
    """Requests beyond the first for the same `webhook-id`."""
    missing: int
    """Messages the receiver never had."""
    undelivered: int
    """Messages the outbox does not say were delivered afterwards."""
    bad_signatures: int
    """Requests whose signature did not verify."""
    errors: int
    """Database errors that reached a deliverer (its round was tried again)."""
    client_cpu_ms: float
    """CPU time the deliverers spent per message (CareDesk's Python, the HTTP client and
    the driver; on SQLite the database as well)."""
    server_cpu_ms: float | None
    """CPU time the PostgreSQL server spent per message on the deliverers' connections
    (None on SQLite, or when the server is not on this machine)."""
    receiver_cpu_ms: float
    """CPU time the receiver spent per request it answered."""


@dataclass(frozen=True)
class DeliveryLatency:
    """Time from an action's commit to the receiver's answer, a deliverer running."""

    p50_ms: float
    """Median delay, from just after the action committed."""
    p95_ms: float
    """95th percentile delay, from just after the action committed: the figure."""
    max_ms: float
    """The longest delay seen."""
    p95_before_ms: float
    """95th percentile delay from just before the action was called (its own work counted)."""
    action_p50_ms: float
    """Median time of `Actions.take` itself."""
    actions: int
    """Actions taken (each executed, with its message)."""
    backlog: int
    """Messages already waiting in the set, delivered before the actions began."""
    received: int
    """Requests the receiver answered, the backlog's included."""
    duplicates: int
    """Requests beyond the first for the same `webhook-id`."""
    missing: int
    """Actions whose message the receiver never had."""
    undelivered: int
    """Messages the outbox does not say were delivered afterwards."""
    bad_signatures: int
    """Requests whose signature did not verify."""
    errors: int
    """Database errors that reached the deliverer."""


# -- the receiver --------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, port: int, secret: str, reuse_port: bool) -> None:
        self.reuse_port = reuse_port
        self.signer = Webhook(secret)
        self.log: list[tuple[str, float]] = []
        """(`webhook-id`, when it was answered), one per request."""
        self.bad = 0
        super().__init__(("127.0.0.1", port), _Handler)

    def server_bind(self) -> None:
        if self.reuse_port:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        super().server_bind()


class _Handler(BaseHTTPRequestHandler):
    """Check the signature, note the message, answer 204: keep-alive, no logging."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        webhook_id = self.headers.get("webhook-id") or ""
        try:
            self.server.signer.verify(body, dict(self.headers.items()), json_parse=False)
        except WebhookVerificationError:
            self.server.bad += 1
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()
        self.server.log.append((webhook_id, time.time()))

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve(port: int, secret: str, reuse_port: bool, stop: Any, out: Any) -> None:
    """One receiver process: report its port, serve until `stop`, then report its log and
    the CPU time it spent serving."""
    server = _Server(port, secret, reuse_port)
    cpu = time.process_time()
    out.put(("port", server.server_address[1]))
    worker = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    worker.start()
    stop.wait()
    server.shutdown()
    worker.join()
    server.server_close()
    out.put(("log", server.log, server.bad, time.process_time() - cpu))


class Receiver:
    """Receiver processes on one port of 127.0.0.1 (several share it with SO_REUSEPORT);
    `url` while it runs, `log` and `bad` once it stopped."""

    def __init__(self, secret: str, processes: int = 1) -> None:
        self._secret = secret
        self._count = processes
        self._ctx = multiprocessing.get_context("spawn")
        self._stop = self._ctx.Event()
        self._out: Any = self._ctx.Queue()
        self._processes: list[Any] = []
        self.url = ""
        self.log: list[tuple[str, float]] = []
        self.bad = 0
        self.cpu_s = 0.0
        """CPU seconds the receiver processes spent serving."""

    def _start(self, port: int) -> int:
        args = (port, self._secret, self._count > 1, self._stop, self._out)
        process = self._ctx.Process(target=_serve, args=args, daemon=True)
        process.start()
        self._processes.append(process)
        deadline = time.monotonic() + 60
        while True:
            try:
                kind, bound = self._out.get(timeout=0.5)
                break
            except queue.Empty:
                if not process.is_alive() or time.monotonic() > deadline:
                    raise BenchmarkError(
                        f"the receiver did not start (exit code {process.exitcode})"
                    ) from None
        assert kind == "port"
        return int(bound)

    def __enter__(self) -> Receiver:
        port = self._start(0)
        for _ in range(self._count - 1):
            self._start(port)
        self.url = f"http://127.0.0.1:{port}/fulfil"
        return self

    def stop(self) -> None:
        """Stop serving and gather what every process answered."""
        if self._stop.is_set():
            return
        self._stop.set()
        for _ in self._processes:
            try:
                _, log, bad, cpu = self._out.get(timeout=60)
            except queue.Empty as error:
                raise BenchmarkError("the receiver did not report") from error
            self.log += log
            self.bad += bad
            self.cpu_s += cpu
        self.log.sort(key=lambda entry: entry[1])

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        for process in self._processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()


def new_secret() -> str:
    """A Standard Webhooks signing secret."""
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


def _endpoints(url: str, secret: str) -> dict[str, Any]:
    """The deliverer's configuration, as plain values a spawned process can be handed."""
    return {"urls": {"*": url}, "secrets": (secret,), "timeout": TIMEOUT}


# -- what both check ------------------------------------------------------------------------


def _outbox(db: Database) -> dict[int, tuple[str, str]]:
    """Every message, by action id: (`webhook-id`, status)."""
    stmt = select(col(Delivery.action_id), col(Delivery.webhook_id), col(Delivery.status))
    with read_session(db) as s:
        return {int(a): (str(w), str(st)) for a, w, st in s.execute(stmt).all()}


def _tally(
    log: list[tuple[str, float]], expected: set[str], outbox: dict[int, tuple[str, str]]
) -> tuple[int, int, int]:
    """Duplicates, missing and undelivered among the `expected` webhook-ids."""
    seen = Counter(w for w, _ in log)
    duplicates = sum(n - 1 for n in seen.values() if n > 1)
    missing = len(expected - set(seen))
    status = {w: st for w, st in outbox.values()}
    undelivered = sum(1 for w in expected if status.get(w) != "delivered")
    return duplicates, missing, undelivered


# -- throughput -----------------------------------------------------------------------------


def _taken(db: Database) -> ActionRecord:
    """A store credit taken through the policy by the first agent who may: the template of
    the messages filled in bulk."""
    policy = effective_policy(db, None)
    with read_session(db) as s:
        customer = s.execute(select(func.min(col(Customer.id)))).scalar_one()
    for name in agent_names(db.url):
        actions = Actions(db, resolve_agent(db, name), policy, utcnow)
        request = ActionRequest(
            kind="store_credit", customer_id=customer, amount=AMOUNT, reason="benchmark"
        )
        taken = actions.take(request).record
        if taken.status == ActionStatus.EXECUTED:
            return taken
    raise BenchmarkError("no agent may take a store credit under the policy in effect")


def fill_outbox(url: str, messages: int) -> int:
    """Add executed actions and their messages until `messages` are due in the outbox at
    `url` (which this changes: give it a copy); returns how many are due.

    One store credit is taken through the policy; the rest are copies of it, inserted in
    bulk as executed actions, each with its message as `delivery.enqueue` writes it."""
    db = make_database(url)
    try:
        template = _taken(db)
        now = utcnow()
        with read_session(db) as s:
            table: Any = Action.__table__  # type: ignore[attr-defined]
            row = s.execute(select(table).where(table.c.id == template.id)).mappings().one()
            customers = list(
                s.execute(select(col(Customer.id)).order_by(col(Customer.id)).limit(1000))
                .scalars()
                .all()
            )
            due = len(_due(s, now))
        values = {k: v for k, v in row.items() if k != "id"}
        batch = uuid.uuid4().hex[:12]
        extra = max(0, messages - due)
        refs = [f"A-bench-{batch}-{n}" for n in range(extra)]
        with unit_of_work(db) as s:
            insert_rows(
                s,
                "action",
                (
                    values
                    | {
                        "ref": ref,
                        "customer_id": customers[n % len(customers)],
                        "requested_at": now,
                        "executed_at": now,
                        "amount": Decimal(AMOUNT),
                    }
                    for n, ref in enumerate(refs)
                ),
            )
        with unit_of_work(db) as s:
            ids = dict(
                s.execute(
                    select(col(Action.ref), col(Action.id)).where(
                        col(Action.ref).like(f"A-bench-{batch}-%")
                    )
                ).all()
            )
            insert_rows(s, "delivery", _messages(template, refs, ids, customers, now))
        with read_session(db) as s:
            found = len(_due(s, utcnow()))
    finally:
        db.dispose()
    return found


def _messages(
    template: ActionRecord,
    refs: list[str],
    ids: dict[str, int],
    customers: list[str],
    at: datetime,
) -> Iterator[dict[str, Any]]:
    """The message of each copy of `template`, as `delivery.enqueue` writes it."""
    for n, ref in enumerate(refs):
        record = replace(template, id=ids[ref], ref=ref, customer_id=customers[n % len(customers)])
        yield delivery.outbox_row(record, at)


def _due(session: Session, now: datetime) -> list[str]:
    """The webhook-ids of the messages due now."""
    stmt = select(col(Delivery.webhook_id)).where(
        col(Delivery.status).in_(delivery_queries.WAITING),
        col(Delivery.next_at) <= now,
    )
    return [str(w) for w in session.execute(stmt).scalars()]


def _drainer(url: str, name: str, endpoints: dict[str, Any], signals: Signals) -> dict[str, Any]:
    """One deliverer process: `run_once` until nothing is left for it; report what it did
    and when it started and finished."""
    db = make_database(url)
    deliverer = Deliverer(db, Endpoints(**endpoints), name=name)
    pid = backend_pid(db)  # connects before the start, not inside the timing
    delivered = retrying = failed = errors = 0
    signals.ready()
    started = time.time()
    cpu, server = time.process_time(), backend_cpu_s(pid)
    while True:
        try:
            done = deliverer.run_once()
        except DBAPIError:
            errors += 1
            if errors > MAX_ERRORS:
                raise
            continue
        delivered += done.delivered
        retrying += done.retrying
        failed += done.failed
        if not done.taken:
            break
    finished = time.time()
    cpu, server_after = time.process_time() - cpu, backend_cpu_s(pid)
    if server is not None and server_after is not None and backend_pid(db) == pid:
        server = server_after - server
    else:  # SQLite, a server elsewhere, or a connection replaced on the way
        server = None
    deliverer.close()
    db.dispose()
    return {
        "delivered": delivered,
        "retrying": retrying,
        "failed": failed,
        "errors": errors,
        "started": started,
        "finished": finished,
        "cpu": cpu,
        "server_cpu": server,
    }


def measure_delivery(
    url: str, deliverers: int = 4, messages: int = 2000, receivers: int = 1
) -> DeliveryThroughput:
    """Fill the outbox of the database at `url` (which this changes: give it a copy) with
    `messages` due messages, then time `deliverers` processes delivering them all to a
    receiver of `receivers` processes on this machine."""
    fill_outbox(url, messages)
    db = make_database(url)
    try:
        with read_session(db) as s:
            expected = set(_due(s, utcnow()))
        secret = new_secret()
        with Receiver(secret, receivers) as receiver:
            endpoints = _endpoints(receiver.url, secret)
            members: list[tuple[Any, tuple[Any, ...]]] = [
                (_drainer, (url, f"bench-deliverer-{i + 1}", endpoints)) for i in range(deliverers)
            ]
            with Crew(members) as crew:
                crew.release()
                reports = crew.reports()
            receiver.stop()
        outbox = _outbox(db)
    finally:
        db.dispose()
    duplicates, missing, undelivered = _tally(receiver.log, expected, outbox)
    seconds = max(r["finished"] for r in reports) - min(r["started"] for r in reports)
    counts = [int(r["delivered"]) for r in reports]
    server = [r["server_cpu"] for r in reports]
    return DeliveryThroughput(
        delivery_per_s=len(expected) / seconds,
        messages=len(expected),
        deliverers=deliverers,
        seconds=seconds,
        fewest=min(counts),
        most=max(counts),
        received=len(receiver.log),
        duplicates=duplicates,
        missing=missing,
        undelivered=undelivered,
        bad_signatures=receiver.bad,
        errors=sum(int(r["errors"]) for r in reports),
        client_cpu_ms=sum(r["cpu"] for r in reports) / len(expected) * 1000,
        server_cpu_ms=None if None in server else sum(server) / len(expected) * 1000,
        receiver_cpu_ms=receiver.cpu_s / max(1, len(receiver.log)) * 1000,
    )


# -- latency --------------------------------------------------------------------------------


def _running(url: str, name: str, endpoints: dict[str, Any], signals: Signals) -> dict[str, Any]:
    """One deliverer as `caredesk deliver` runs it, until told to stop."""
    db = make_database(url)
    deliverer = Deliverer(db, Endpoints(**endpoints), name=name)
    with read_session(db) as s:
        s.execute(text("SELECT 1"))
    errors = 0
    signals.ready()
    while not signals.stop.is_set():
        try:
            deliverer.run(signals.stop.is_set, wait=WAIT)
        except DBAPIError:
            errors += 1
            if errors > MAX_ERRORS:
                raise
    deliverer.close()
    db.dispose()
    return {"errors": errors}


def _settle(db: Database, until: float) -> int:
    """Wait until nothing is due in the outbox (or `until`); returns how many still are."""
    while True:
        with read_session(db) as s:
            left = len(_due(s, utcnow()))
        if not left or time.monotonic() >= until:
            return left
        time.sleep(0.05)


def measure_delivery_latency(url: str, actions: int = 200, seed: int = 13) -> DeliveryLatency:
    """Run one deliverer on the database at `url` (which this changes: give it a copy) and
    time `actions` store credits from their commit to the receiver's answer."""
    db = make_database(url)
    try:
        with read_session(db) as s:
            backlog = len(_due(s, utcnow()))
            customers = list(
                s.execute(select(col(Customer.id)).order_by(col(Customer.id)).limit(1000))
                .scalars()
                .all()
            )
        policy = effective_policy(db, None)
        takers = [Actions(db, resolve_agent(db, name), policy, utcnow) for name in agent_names(url)]
        secret = new_secret()
        rng = random.Random(seed)
        log: list[tuple[int, float, float]] = []  # action id, before, after
        with Receiver(secret) as receiver:
            endpoints = _endpoints(receiver.url, secret)
            members: list[tuple[Any, tuple[Any, ...]]] = [
                (_running, (url, "bench-deliverer", endpoints))
            ]
            with Crew(members) as crew:
                crew.release()
                left = _settle(db, time.monotonic() + GRACE)
                if left:
                    crew.stop()
                    crew.reports()  # the deliverer's own error, if it failed
                    raise BenchmarkError(f"{left} messages already waiting were not delivered")
                n = 0
                while len(log) < actions:
                    if not takers:
                        raise BenchmarkError("every agent's store-credit budget ran out")
                    taker = takers[n % len(takers)]
                    request = ActionRequest(
                        kind="store_credit",
                        customer_id=customers[rng.randrange(len(customers))],
                        amount=AMOUNT,
                        reason="benchmark: delivery latency",
                    )
                    time.sleep(rng.uniform(*GAP))
                    before = time.time()
                    try:
                        record = taker.take(request).record
                    except CareDeskError as error:
                        raise BenchmarkError(f"a store credit was refused: {error}") from error
                    after = time.time()
                    n += 1
                    if record.status != ActionStatus.EXECUTED:
                        takers.remove(taker)  # its budget is spent: the others go on
                        continue
                    log.append((record.id, before, after))
                _settle(db, time.monotonic() + GRACE)
                crew.stop()
                (report,) = crew.reports()
            receiver.stop()
        outbox = _outbox(db)
    finally:
        db.dispose()
    answered: dict[str, float] = {}
    for webhook_id, answer_at in receiver.log:
        answered.setdefault(webhook_id, answer_at)
    after_ms: list[float] = []
    before_ms: list[float] = []
    for action_id, before, after in log:
        webhook_id = outbox[action_id][0] if action_id in outbox else ""
        answer = answered.get(webhook_id)
        if answer is not None:
            after_ms.append((answer - after) * 1000)
            before_ms.append((answer - before) * 1000)
    expected = {outbox[a][0] for a, _, _ in log if a in outbox}
    duplicates, missing, undelivered = _tally(receiver.log, expected, outbox)
    missing += sum(1 for a, _, _ in log if a not in outbox)
    if not after_ms:
        raise BenchmarkError("the receiver had no message of any action")
    return DeliveryLatency(
        p50_ms=median(after_ms),
        p95_ms=percentile(after_ms, 95),
        max_ms=max(after_ms),
        p95_before_ms=percentile(before_ms, 95),
        action_p50_ms=median([(a - b) * 1000 for _, b, a in log]),
        actions=len(log),
        backlog=backlog,
        received=len(receiver.log),
        duplicates=duplicates,
        missing=missing,
        undelivered=undelivered,
        bad_signatures=receiver.bad,
        errors=int(report["errors"]),
    )
