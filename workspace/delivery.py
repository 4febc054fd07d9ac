"""Actions reach the systems that fulfil them: a transactional outbox and its deliverer.

When an action executes, its message is written in the same transaction (`enqueue`), so a
rolled-back action leaves none and an executed one always has one. A deliverer takes due
messages under a lease and POSTs each as JSON to the endpoint configured for its action
kind, signed as Standard Webhooks define it (`webhook-id`, the message's idempotency key and
the same on every retry; `webhook-timestamp`; `webhook-signature`, one signature per secret
so a secret can be rotated while both are valid). The receiver's answer decides what
becomes of it:

- 2xx: delivered (and the receiver's reference kept, if its JSON answer has one);
- timeouts, dropped connections, 429 and 5xx: retried later, with exponential backoff and
  jitter, never sooner than a `Retry-After` asks;
- 410 (Gone): the endpoint is disabled, and its messages wait (none is lost) until someone
  enables it again (`caredesk deliver --enable URL`);
- any other 4xx: failed for good, the answer kept.

Retries are rows, not a loop in memory: a deliverer killed at any point loses nothing, and
another one takes the message once its lease runs out. (That is why this is written here
rather than with an in-process retry library: the backoff is one line, the state is the
outbox's.) A receiver may see a message twice when its answer never came back: a deliverer
died mid-send, or the answer timed out or the connection dropped after the request went out.
Each such send is counted (`possible_duplicates`), and the `webhook-id` tells the receiver.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import httpx
from sqlmodel import Session
from standardwebhooks.webhooks import Webhook

from storage import changes, delivery_queries
from storage.engine import Database
from storage.uow import read_session, unit_of_work
from workspace.action_view import ActionRecord
from workspace.audit_trail import AuditTrail
from workspace.errors import CareDeskError
from workspace.timefmt import utcnow
from workspace.vocabulary import ActionKind, AuditEvent, ChangeKind, Entity

if TYPE_CHECKING:
    from workspace.settings import Settings

LEASE = timedelta(seconds=30)
"""How long a deliverer holds the messages it took: longer than one attempt can last."""

FIRST_RETRY = timedelta(seconds=2)
"""The first retry's delay; each next one doubles, up to `LONGEST_WAIT`."""

LONGEST_WAIT = timedelta(minutes=30)

PARALLEL = 16
"""Messages a deliverer sends at once: each round takes this many, all in flight together,
so what is counted in flight is what was sent."""

GATHER = 0.05
"""Seconds to wait, once an answer came, for others to record with it in one transaction."""


@dataclass(frozen=True)
class Endpoints:
    """Where each action kind's messages go, and the secrets they are signed with."""

    urls: dict[str, str]
    """By action kind; `*` for every kind without its own."""
    secrets: tuple[str, ...]
    """Standard Webhooks secrets (`whsec_...`), each one signs: the first is the current."""
    timeout: float = 10.0
    """Seconds for one attempt (connect, send, answer)."""

    @property
    def configured(self) -> bool:
        """Whether there is somewhere to send, and a secret to sign with."""
        return bool(self.urls and self.secrets)

    def url(self, kind: str) -> str | None:
        return self.urls.get(kind) or self.urls.get("*")

    @classmethod
    def from_settings(
        cls, settings: Settings | None = None, environ: Mapping[str, str] | None = None
    ) -> Endpoints:
        """From the settings (the environment, then the config file): `delivery_url` for
        every kind, `delivery_urls` by kind, or `CAREDESK_DELIVERY_URL_<KIND>` for one kind
        in the environment (`..._URL_REFUND`, which beats the file); `delivery_secret`
        (two, comma-separated, while one is rotated); `delivery_timeout`. Raises
        `CareDeskError` naming a kind CareDesk does not have."""
        from workspace.settings import Settings

        found = Settings() if settings is None else settings
        env = os.environ if environ is None else environ
        urls = {kind.lower(): url for kind, url in found.delivery_urls.items() if url}
        prefix = "CAREDESK_DELIVERY_URL_"
        for name, value in env.items():
            if name.startswith(prefix) and value:
                urls[name.removeprefix(prefix).lower()] = value
        kinds = {k.value for k in ActionKind}
        for kind in urls:
            if kind not in kinds:
                raise CareDeskError(
                    f"delivery_urls: {kind!r} is not an action kind; expected "
                    + ", ".join(sorted(kinds))
                )
        if found.delivery_url:
            urls["*"] = found.delivery_url
        secret = found.delivery_secret.get_secret_value() if found.delivery_secret else ""
        secrets = tuple(part.strip() for part in secret.split(",") if part.strip())
        return cls(urls, secrets, found.delivery_timeout)


def message(record: ActionRecord, executed_at: datetime) -> dict[str, Any]:
    """The JSON body for an executed action: what the fulfilling system needs, nothing of
    the agent's reasoning."""
    return {
        "type": f"action.{record.kind}",
        "action": {
            "id": record.id,
            "ref": record.ref,
            "kind": record.kind,
            "customer": record.customer_id,
            "order": record.order_id,
            "contact": record.ticket_id,
            "items": list(record.items),
            "amount": f"{record.amount:.2f}",
            "currency": record.currency,
            "executed_at": executed_at.isoformat().replace("+00:00", "Z"),
            "shipment": record.shipment,
        },
    }


def outbox_row(record: ActionRecord, at: datetime) -> dict[str, Any]:
    """The outbox row of an action executed at `at`: its message, queued, due at once."""
    body = json.dumps(message(record, at), sort_keys=True, separators=(",", ":"))
    return {
        "action_id": record.id,
        "kind": record.kind,
        "webhook_id": f"msg_{uuid.uuid4().hex}",
        "payload": body,
        "status": "queued",
        "attempts": 0,
        "created_at": at,
        "next_at": at,
    }


def enqueue(session: Session, record: ActionRecord, at: datetime) -> None:
    """Write the executed action's message in the transaction that executes it."""
    delivery_queries.enqueue(session, outbox_row(record, at))


def backoff(attempt: int, rand: Callable[[], float] = random.random) -> timedelta:
    """The wait after failed attempt `attempt` (1, 2, ...): doubling, capped, with half of it
    random so deliverers that failed together do not come back together."""
    full: timedelta = min(LONGEST_WAIT, FIRST_RETRY * 2 ** min(max(0, attempt - 1), 20))
    wait: timedelta = full * (0.5 + rand() / 2)
    return wait


def retry_after(answer: httpx.Response, now: datetime) -> timedelta | None:
    """The wait a `Retry-After` asks for (seconds, or an HTTP date)."""
    value = answer.headers.get("retry-after")
    if not value:
        return None
    if value.strip().isdigit():
        return timedelta(seconds=int(value.strip()))
    try:
        return max(timedelta(0), parsedate_to_datetime(value) - now)
    except (TypeError, ValueError):
        return None


def _reference(answer: httpx.Response) -> str | None:
    try:
        body = answer.json()
    except ValueError:
        return None
    if isinstance(body, dict):
        found = body.get("reference") or body.get("id")
        return str(found)[:200] if found is not None else None
    return None


def _maybe_sent(error: httpx.TransportError) -> bool:
    """Whether the receiver may have had the request though no answer came: anything but
    failing to connect (a read that timed out, a connection dropped mid-answer)."""
    return not isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


@dataclass(frozen=True)
class _Gone:
    """An endpoint found gone in this round (as `disabled_endpoints` rows read)."""

    reason: str


@dataclass
class Round:
    """What one pass of a deliverer did."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def taken(self) -> int:
        """Messages tried in the pass."""
        return self.delivered + self.retrying + self.failed


class Deliverer:
    """Sends due messages; several may run at once, each under its own name."""

    def __init__(
        self,
        db: Database,
        endpoints: Endpoints,
        clock: Callable[[], datetime] = utcnow,
        transport: httpx.BaseTransport | None = None,
        name: str | None = None,
    ) -> None:
        if not endpoints.secrets:
            raise CareDeskError(
                "delivery needs a signing secret: set CAREDESK_DELIVERY_SECRET (whsec_...), "
                "or delivery_secret in the config file"
            )
        from workspace.audit_seal import key_for

        key_for(db.write)  # it audits each message settled: without the team's key, say so now
        self.db = db
        self.endpoints = endpoints
        self.clock = clock
        self.name = name or f"deliverer-{uuid.uuid4().hex[:8]}"
        self.signers = [Webhook(secret) for secret in endpoints.secrets]
        limits = httpx.Limits(max_connections=PARALLEL, max_keepalive_connections=PARALLEL)
        self.client = httpx.Client(timeout=endpoints.timeout, transport=transport, limits=limits)
        self.pool = ThreadPoolExecutor(PARALLEL, thread_name_prefix=self.name)
        self.trail = AuditTrail(self.name)

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.client.close()

    def run(
        self,
        stopped: Callable[[], bool],
        wait: float = 1.0,
        retry: float = 3.0,
        chore: Callable[[], object] | None = None,
    ) -> None:
        """Deliver until `stopped()`: woken by each commit (the live feed), and at least every
        `wait` seconds for retries that fell due, calling `chore` (if any) each time round.
        A database that goes away is waited for (`retry` seconds between tries): the outbox
        keeps everything meanwhile."""
        import time

        from workspace.errors import database_lost
        from workspace.live import LiveFeed

        feed = LiveFeed(self.db)
        try:
            while not stopped():
                try:
                    if chore is not None:
                        chore()
                    if not self.run_once().taken:
                        feed.wait(wait)
                except Exception as error:
                    if not database_lost(error):
                        raise
                    time.sleep(retry)
        finally:
            feed.close()

    def run_once(self, limit: int = PARALLEL) -> Round:
        """Take up to `limit` due messages and send them all at once, each marked in flight
        in the transaction that took it, so a deliverer that dies mid-send is known by the
        next to take them. Answers are recorded as they come, those that come together in
        one transaction (one NOTIFY): a slow receiver holds back only its own message."""
        now = self.clock()
        with unit_of_work(self.db) as s:
            taken = list(delivery_queries.take_due(s, now, now + LEASE, self.name, limit))
            disabled: dict[str, Any] = delivery_queries.disabled_endpoints(s) if taken else {}
        done = Round()
        if not taken:
            return done
        futures = {self.pool.submit(self._attempt, row, dict(disabled), now): row for row in taken}
        waiting: set[Future[dict[str, Any]]] = set(futures)
        while waiting:
            finished, waiting = wait(waiting, return_when=FIRST_COMPLETED)
            if waiting:  # those answered together are recorded together
                more, waiting = wait(waiting, timeout=GATHER)
                finished |= more
            self._record([(futures[f], f.result()) for f in finished], done, disabled)
        return done

    def _attempt(self, row: Any, disabled: dict[str, Any], now: datetime) -> dict[str, Any]:
        """One message's attempt (in the pool): sent, or held for a disabled endpoint."""
        url = self.endpoints.url(row.kind)
        if url is not None and url in disabled:
            return self._later(
                row.attempts,
                now,
                f"its endpoint is disabled ({disabled[url].reason}); "
                "enable it with caredesk deliver --enable URL",
                LONGEST_WAIT,
            )
        return self._send(row.kind, row.webhook_id, row.payload, row.attempts + 1)

    def _record(
        self, answered: list[tuple[Any, dict[str, Any]]], done: Round, disabled: dict[str, Any]
    ) -> None:
        """Record the answers in one transaction: each message's state, an endpoint found
        gone, and one change per message for the workspaces showing its action."""
        at = self.clock()
        announced: list[dict[str, Any]] = []
        settled: list[tuple[int, str]] = []
        with unit_of_work(self.db) as s:
            for row, outcome in answered:
                gone = outcome.pop("disable", None)
                unknown = bool(outcome.pop("unknown", False))
                if gone is not None:
                    disabled[gone] = _Gone(outcome["last_error"])
                    delivery_queries.disable_endpoint(s, gone, at, outcome["last_error"])
                if delivery_queries.mark(s, row.id, self.name, outcome, unknown=unknown):
                    contact = json.loads(row.payload)["action"].get("contact")
                    announced.append({"kind": ChangeKind.DELIVERY, "at": at, "ticket_id": contact})
                    if outcome["status"] in _FINAL:
                        settled.append((row.action_id, outcome["status"]))
            # Audited last: the chain's lock is held from the first entry to the commit.
            for action_id, status in settled:
                self.trail.record(
                    s, at, _FINAL[status], Entity.ACTION, str(action_id), after={"delivery": status}
                )
            changes.record_many(s, announced)
        for row, outcome in answered:
            status = outcome["status"]
            if status == "delivered":
                done.delivered += 1
            elif status == "retrying":
                done.retrying += 1
            else:
                done.failed += 1
                done.errors.append(f"{row.webhook_id}: {outcome['last_error']}")

    def _headers(self, webhook_id: str, body: str, at: datetime) -> dict[str, str]:
        signatures = " ".join(signer.sign(webhook_id, at, body) for signer in self.signers)
        return {
            "content-type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signatures,
        }

    def _send(self, kind: str, webhook_id: str, body: str, attempt: int) -> dict[str, Any]:
        now = self.clock()
        url = self.endpoints.url(kind)
        if url is None:
            return self._later(attempt, now, f"no endpoint is configured for {kind}")
        try:
            # Stamped with the wall clock: a receiver refuses a timestamp minutes off its own.
            headers = self._headers(webhook_id, body, utcnow())
            answer = self.client.post(url, content=body, headers=headers)
        except httpx.TimeoutException as error:
            later = self._later(attempt, now, "the receiver did not answer in time")
            later["unknown"] = _maybe_sent(error)
            return later
        except httpx.TransportError as error:
            later = self._later(
                attempt, now, f"could not reach the receiver ({type(error).__name__})"
            )
            later["unknown"] = _maybe_sent(error)
            return later
        code = answer.status_code
        if 200 <= code < 300:
            return {
                "status": "delivered",
                "attempts": attempt,
                "delivered_at": self.clock(),
                "receiver_ref": _reference(answer),
                "last_error": None,
            }
        if code == 410:
            # The receiver says the endpoint is gone for good: stop sending there, and keep
            # the message (and every other for it) until someone points it somewhere.
            why = f"the receiver answered 410 (Gone) at {now:%Y-%m-%d %H:%M} UTC"
            later = self._later(attempt, now, why, LONGEST_WAIT)
            later["disable"] = url
            return later
        if code == 429 or code >= 500:
            asked = retry_after(answer, now)
            return self._later(attempt, now, f"the receiver answered {code}", asked)
        return {
            "status": "failed",
            "attempts": attempt,
            "last_error": f"the receiver refused it ({code})",
            "response": answer.text[:2000],
        }

    def _later(
        self, attempt: int, now: datetime, why: str, asked: timedelta | None = None
    ) -> dict[str, Any]:
        wait = backoff(attempt)
        if asked is not None:
            wait = max(wait, asked)
        return {"status": "retrying", "attempts": attempt, "next_at": now + wait, "last_error": why}


_FINAL = {"delivered": AuditEvent.ACTION_DELIVERED, "failed": AuditEvent.ACTION_UNDELIVERED}
"""The outcomes that settle a message, each audited: it reached its receiver, or never will."""


def failed_messages(db: Database) -> list[str]:
    """One line per message failed for good."""
    with read_session(db) as s:
        rows = delivery_queries.failed(s)
    return [f"action #{r.action_id} ({r.kind}, {r.webhook_id}): {r.last_error}" for r in rows]


def disabled_endpoints(db: Database) -> list[str]:
    """One line per endpoint a receiver said is gone, with the messages waiting for it."""
    with read_session(db) as s:
        found = delivery_queries.disabled_endpoints(s)
    return [
        f"endpoint {url} is disabled: {row.reason}; its messages wait until "
        f"caredesk deliver --enable {url}"
        for url, row in sorted(found.items())
    ]


def enable(db: Database, url: str, clock: Callable[[], datetime] = utcnow) -> bool:
    """Send to `url` again (its waiting messages are due at once); False if it was not
    disabled."""
    with unit_of_work(db) as s:
        return delivery_queries.enable_endpoint(s, url, clock())


def possible_duplicates(db: Database) -> int:
    """Sends a receiver may have had twice: each time a deliverer's lease on a message ran
    out before it recorded the answer (it died, or hung past the lease), and another sent it
    again with the same `webhook-id`."""
    with read_session(db) as s:
        return delivery_queries.orphaned(s)


def pending(db: Database) -> int:
    """Messages still to deliver (queued or retrying)."""
    with read_session(db) as s:
        found = delivery_queries.counts(s)
    return sum(found.get(status, 0) for status in delivery_queries.WAITING)
