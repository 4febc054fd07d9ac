"""The outbox: an executed action's message is written in its own transaction and delivered
to a real HTTP server on 127.0.0.1, signed as Standard Webhooks define it; 5xx, 429 and
timeouts are retried (a Retry-After honoured), other 4xx fail for good, and a rolled-back
action sends nothing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from werkzeug import Request, Response

from storage.engine import Database
from storage.models import Delivery
from storage.uow import read_session
from tests.factories import NOW
from tests.workspace.test_actions import _desk, _discount, _shop
from workspace.delivery import Deliverer, Endpoints, backoff, failed_messages, pending

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
OLD_SECRET = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def _messages(db: Database) -> list[Delivery]:
    """The outbox's rows, as they stand (copies, usable after the session ends)."""
    with read_session(db) as s:
        rows = s.execute(select(Delivery).order_by(Delivery.id)).scalars().all()  # type: ignore[arg-type]
        return [Delivery.model_validate(row.model_dump()) for row in rows]


def _deliverer(db: Database, server: HTTPServer, clock: Clock, **kw: object) -> Deliverer:
    endpoints = Endpoints({"*": server.url_for("/fulfil")}, (SECRET, OLD_SECRET), timeout=2.0)
    return Deliverer(db, endpoints, clock, **kw)  # type: ignore[arg-type]


def test_an_executed_action_is_delivered_signed_and_once(
    db: Database, httpserver: HTTPServer
) -> None:
    _shop(db)
    alex = _desk(db, "alex")
    record = alex.actions.take(_discount("20")).record
    (queued,) = _messages(db)
    assert (queued.action_id, queued.status, queued.kind) == (record.id, "queued", "discount")
    seen: list[Request] = []

    def receive(request: Request) -> Response:
        seen.append(request)
        return Response(json.dumps({"reference": "WH-77"}), status=200)

    httpserver.expect_request("/fulfil", method="POST").respond_with_handler(receive)
    clock = Clock()
    deliverer = _deliverer(db, httpserver, clock)
    try:
        assert deliverer.run_once().delivered == 1
        assert deliverer.run_once().delivered == 0  # nothing is sent twice
    finally:
        deliverer.close()
    (request,) = seen
    body = request.get_data(as_text=True)
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert json.loads(body)["action"]["id"] == record.id
    assert headers["webhook-id"] == queued.webhook_id
    # The receiver verifies with either secret, as the reference code does.
    for secret in (SECRET, OLD_SECRET):
        Webhook(secret).verify(body, headers)
    (done,) = _messages(db)
    assert (done.status, done.receiver_ref, done.attempts) == ("delivered", "WH-77", 1)
    assert pending(db) == 0


@pytest.mark.parametrize("part", ["body", "webhook-id", "webhook-timestamp", "webhook-signature"])
def test_one_bit_changed_anywhere_is_refused(
    db: Database, httpserver: HTTPServer, part: str
) -> None:
    _shop(db)
    _desk(db, "alex").actions.take(_discount("20"))
    seen: list[tuple[str, dict[str, str]]] = []

    def receive(request: Request) -> Response:
        seen.append((request.get_data(as_text=True), dict(request.headers)))
        return Response("{}", status=204)

    httpserver.expect_request("/fulfil").respond_with_handler(receive)
    deliverer = _deliverer(db, httpserver, Clock())
    try:
        deliverer.run_once()
    finally:
        deliverer.close()
    ((body, raw),) = seen
    headers = {k.lower(): v for k, v in raw.items()}
    Webhook(SECRET).verify(body, headers)  # as sent: good

    def flip(text: str) -> str:
        return text[:-1] + chr(ord(text[-1]) ^ 1)

    if part == "body":
        body = flip(body)
    elif part == "webhook-signature":
        headers[part] = " ".join(flip(sig) for sig in headers[part].split(" "))
    else:
        headers[part] = flip(headers[part])
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(body, headers)


def test_5xx_and_429_are_retried_later_and_retry_after_is_honoured(
    db: Database, httpserver: HTTPServer
) -> None:
    _shop(db)
    _desk(db, "alex").actions.take(_discount("20"))
    httpserver.expect_ordered_request("/fulfil").respond_with_data("down", status=503)
    httpserver.expect_ordered_request("/fulfil").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "120"}
    )
    httpserver.expect_ordered_request("/fulfil").respond_with_data("{}", status=200)
    clock = Clock()
    deliverer = _deliverer(db, httpserver, clock)
    try:
        assert deliverer.run_once().retrying == 1
        (first,) = _messages(db)
        assert (first.status, first.attempts) == ("retrying", 1)
        assert "503" in (first.last_error or "")
        assert deliverer.run_once().retrying == 0  # not due yet: nothing is sent
        clock.now += timedelta(minutes=1)
        assert deliverer.run_once().retrying == 1
        (second,) = _messages(db)
        assert second.next_at >= clock.now + timedelta(seconds=120)  # as the receiver asked
        clock.now += timedelta(minutes=3)
        assert deliverer.run_once().delivered == 1
    finally:
        deliverer.close()
    (done,) = _messages(db)
    assert (done.status, done.attempts) == ("delivered", 3)
    httpserver.check_assertions()


def test_a_refusal_fails_for_good_with_the_answer_kept(
    db: Database, httpserver: HTTPServer
) -> None:
    _shop(db)
    record = _desk(db, "alex").actions.take(_discount("20")).record
    httpserver.expect_request("/fulfil").respond_with_data("no such order", status=422)
    deliverer = _deliverer(db, httpserver, Clock())
    try:
        assert deliverer.run_once().failed == 1
    finally:
        deliverer.close()
    (failed,) = _messages(db)
    assert (failed.status, failed.response) == ("failed", "no such order")
    assert failed_messages(db) == [
        f"action #{record.id} (discount, {failed.webhook_id}): the receiver refused it (422)"
    ]


def test_a_410_disables_the_endpoint_and_its_messages_wait_until_enabled(
    db: Database, httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    from workspace.cli import main
    from workspace.delivery import disabled_endpoints, enable

    _shop(db)
    alex = _desk(db, "alex")
    alex.actions.take(_discount("20"))
    alex.actions.take(_discount("15", reason="again"))
    httpserver.expect_ordered_request("/fulfil").respond_with_data("gone", status=410)
    clock = Clock()
    deliverer = _deliverer(db, httpserver, clock)
    try:
        first = deliverer.run_once()
        # Both were sent at once: one answer told it the endpoint is gone (the other, 500,
        # is tried again), and from then on nothing is sent there.
        assert (first.retrying, first.failed, len(httpserver.log)) == (2, 0, 2)
        clock.now += timedelta(hours=2)
        assert deliverer.run_once().taken == 2 and len(httpserver.log) == 2
        (line,) = disabled_endpoints(db)
        assert httpserver.url_for("/fulfil") in line and "410" in line
        assert {m.status for m in _messages(db)} == {"retrying"}
        assert main(["deliver", "--enable", "http://127.0.0.1:1/never", "--db", str(db.url)]) == 2
        assert "was not disabled" in capsys.readouterr().err
        assert enable(db, httpserver.url_for("/fulfil"), clock=lambda: clock.now)
        httpserver.expect_request("/fulfil").respond_with_data("{}", status=200)
        assert deliverer.run_once().delivered == 2
    finally:
        deliverer.close()
    assert disabled_endpoints(db) == []
    assert {m.status for m in _messages(db)} == {"delivered"}


def test_a_receiver_that_does_not_answer_is_tried_again(db: Database) -> None:
    _shop(db)
    _desk(db, "alex").actions.take(_discount("20"))
    endpoints = Endpoints({"*": "http://127.0.0.1:9/fulfil"}, (SECRET,), timeout=0.5)
    deliverer = Deliverer(db, endpoints, Clock())
    try:
        assert deliverer.run_once().retrying == 1
    finally:
        deliverer.close()
    (waiting,) = _messages(db)
    assert waiting.status == "retrying" and "could not reach" in (waiting.last_error or "")


def test_a_denied_or_waiting_action_sends_nothing(db: Database) -> None:
    _shop(db)
    alex = _desk(db, "alex")
    alex.actions.take(_discount("90"))  # needs a supervisor: not executed
    alex.actions.take(_discount("500"))  # denied
    assert _messages(db) == []


def test_backoff_doubles_with_jitter_and_stays_capped() -> None:
    assert backoff(1, lambda: 1.0) == timedelta(seconds=2)
    assert backoff(3, lambda: 1.0) == timedelta(seconds=8)
    assert backoff(3, lambda: 0.0) == timedelta(seconds=4)
    assert backoff(500, lambda: 1.0) == timedelta(minutes=30)


def test_endpoints_come_from_the_environment_over_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        'delivery_url = "http://127.0.0.1:1/file"\n'
        f'delivery_secret = "{OLD_SECRET}"\n'
        "delivery_timeout = 2.5\n"
        "[delivery_urls]\n"
        'reship = "http://127.0.0.1:1/warehouse"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("CAREDESK_CONFIG", str(config))
    from_file = Endpoints.from_settings()
    assert from_file.url("refund") == "http://127.0.0.1:1/file"
    assert from_file.url("reship") == "http://127.0.0.1:1/warehouse"
    assert (from_file.secrets, from_file.timeout) == ((OLD_SECRET,), 2.5)
    monkeypatch.setenv("CAREDESK_DELIVERY_URL", "http://127.0.0.1:1/all")
    monkeypatch.setenv("CAREDESK_DELIVERY_URL_REFUND", "http://127.0.0.1:1/refunds")
    monkeypatch.setenv("CAREDESK_DELIVERY_SECRET", f"{SECRET}, {OLD_SECRET}")
    found = Endpoints.from_settings()
    assert found.url("refund") == "http://127.0.0.1:1/refunds"
    assert found.url("discount") == "http://127.0.0.1:1/all"
    assert found.url("reship") == "http://127.0.0.1:1/warehouse"
    assert found.secrets == (SECRET, OLD_SECRET)
    from workspace.settings import Settings

    assert SECRET not in repr(Settings()) and SECRET not in str(Settings())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('delivery_ulr = "http://x"\n', "'delivery_ulr' is not a setting"),
        ("delivery_url = \n", "not TOML: Invalid value (at line 1, column 16)"),
        ('delivery_timeout = "soon"\n', "delivery_timeout in"),
        ('[delivery_urls]\nrefnud = "http://x"\n', "'refnud' is not an action kind"),
    ],
)
def test_a_bad_config_file_is_named_with_what_was_expected(
    text: str,
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from workspace.cli import main

    config = tmp_path / "config.toml"
    config.write_text(text + f'delivery_secret = "{SECRET}"\n', encoding="utf-8")
    monkeypatch.setenv("CAREDESK_CONFIG", str(config))
    assert main(["deliver", "--once", "--db", f"sqlite:///{tmp_path / 'x.db'}"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and SECRET not in err


def test_caredesk_deliver_once_sends_what_is_due_and_names_each_failure(
    sqlite_db: Database,
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from workspace.cli import main

    _shop(sqlite_db)
    alex = _desk(sqlite_db, "alex")
    alex.actions.take(_discount("20"))
    httpserver.expect_ordered_request("/fulfil").respond_with_data("{}", status=200)
    monkeypatch.setenv("CAREDESK_DELIVERY_URL", httpserver.url_for("/fulfil"))
    monkeypatch.setenv("CAREDESK_DELIVERY_SECRET", SECRET)
    url = str(sqlite_db.url)
    assert main(["deliver", "--once", "--db", url]) == 0
    assert [m.status for m in _messages(sqlite_db)] == ["delivered"]
    alex.actions.take(_discount("15", reason="again"))
    httpserver.expect_ordered_request("/fulfil").respond_with_data("nope", status=400)
    assert main(["deliver", "--once", "--db", url]) == 1
    err = capsys.readouterr().err
    assert "the receiver refused it (400)" in err and SECRET not in err


def test_deliver_without_a_secret_says_what_to_set(
    sqlite_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    from workspace.cli import main

    assert main(["deliver", "--once", "--db", str(sqlite_db.url)]) == 2
    assert "CAREDESK_DELIVERY_SECRET" in capsys.readouterr().err


def test_the_monitor_counts_what_waits_and_what_failed(
    db: Database, httpserver: HTTPServer
) -> None:
    from tests.monitoring import monitor_reader
    from workspace.monitor import Monitor, deliveries_title
    from workspace.policy_file import default_policy

    _shop(db)
    alex = _desk(db, "alex")
    alex.actions.take(_discount("20"))
    alex.actions.take(_discount("10", reason="and more"))
    with monitor_reader(db) as reader:
        monitor = Monitor(reader, default_policy(), lambda: NOW + timedelta(minutes=3))
        waiting = monitor.deliveries()
        assert (waiting.waiting, waiting.failed, waiting.oldest) == (2, 0, NOW)
        assert deliveries_title(waiting, NOW + timedelta(minutes=3)) == (
            " · 2 to deliver, oldest 3m"
        )
        httpserver.expect_ordered_request("/fulfil").respond_with_data("{}", status=200)
        httpserver.expect_ordered_request("/fulfil").respond_with_data("no", status=404)
        deliverer = _deliverer(db, httpserver, Clock())
        try:
            deliverer.run_once()
        finally:
            deliverer.close()
        after = monitor.deliveries()
        assert (after.waiting, after.failed) == (0, 1)
        assert deliveries_title(after, NOW) == " · 1 failed"


def test_a_failed_delivery_is_sent_again_when_an_agent_asks(
    db: Database, httpserver: HTTPServer
) -> None:
    from storage.models import AuditEntry

    _shop(db)
    alex = _desk(db, "alex")
    record = alex.actions.take(_discount("20")).record
    httpserver.expect_ordered_request("/fulfil").respond_with_data("down for good", status=400)
    httpserver.expect_ordered_request("/fulfil").respond_with_data("{}", status=200)
    clock = Clock()
    deliverer = _deliverer(db, httpserver, clock)
    try:
        assert deliverer.run_once().failed == 1
        assert alex.actions.redeliver(record.id) is True
        assert alex.actions.redeliver(record.id) is False  # it is no longer failed
        (again,) = _messages(db)
        assert (again.status, again.response) == ("retrying", None)
        assert deliverer.run_once().delivered == 1
    finally:
        deliverer.close()
    (done,) = _messages(db)
    assert (done.status, done.attempts) == ("delivered", 2)
    assert alex.reading.customer_actions("C-1")[0].delivery == "delivered"
    with read_session(db) as s:
        audited = s.execute(select(AuditEntry.action)).scalars().all()  # type: ignore[call-overload]
    assert "action.redeliver" in audited


def _order_status(db: Database, order_id: str) -> str:
    from storage.models import Order

    with read_session(db) as s:
        found: str = s.execute(select(Order.status).where(Order.id == order_id)).scalar_one()  # type: ignore[arg-type]
    return found


def test_an_executed_cancel_cancels_its_order_in_the_same_transaction(db: Database) -> None:
    from tests.factories import add_order
    from workspace.action_view import ActionRequest

    _shop(db)
    add_order(db, "W2", placed=NOW - timedelta(hours=3), status="pending", price="40.00")
    alex = _desk(db, "alex")
    cancel = ActionRequest(kind="cancel_order", customer_id="C-1", order_id="W2", reason="x")
    assert alex.actions.take(cancel).record.status == "executed"
    assert _order_status(db, "W2") == "cancelled"
    (sent,) = _messages(db)
    assert json.loads(sent.payload)["action"]["order"] == "W2"
    # A cancel the policy refuses (the order is delivered) leaves the order as it was.
    refused = ActionRequest(kind="cancel_order", customer_id="C-1", order_id="W1", reason="x")
    assert alex.actions.take(refused).record.status == "denied"
    assert _order_status(db, "W1") == "delivered"


def _shipments(db: Database) -> list[tuple[str, str, str, list[str]]]:
    from storage.models import Shipment

    with read_session(db) as s:
        rows = s.execute(select(Shipment).order_by(Shipment.id)).scalars().all()  # type: ignore[arg-type]
        return [(r.ref, r.order_id, r.kind, json.loads(r.items)) for r in rows]


def test_a_replacement_creates_its_shipment_and_a_refund_counts_against_the_total(
    db: Database,
) -> None:
    from workspace.action_entries import action_entry
    from workspace.action_view import ActionRequest
    from workspace.reading import Reading

    _shop(db)
    alex = _desk(db, "alex")
    swap = ActionRequest(
        kind="replacement", customer_id="C-1", order_id="W1", items=("BL-200",), reason="cracked"
    )
    replaced = alex.actions.take(swap).record
    ref = f"SH-{replaced.id:06d}"
    assert replaced.shipment == ref
    assert _shipments(db) == [(ref, "W1", "replacement", ["BL-200"])]
    (sent,) = _messages(db)
    assert json.loads(sent.payload)["action"]["shipment"] == ref
    assert f"Shipment {ref} to the customer, from order W1." in action_entry(replaced).text
    refund = ActionRequest(
        kind="refund", customer_id="C-1", order_id="W1", amount="20", reason="late"
    )
    refunded = alex.actions.take(refund).record
    assert refunded.status == "executed" and refunded.shipment is None
    (order,) = Reading(db, "USD", lambda: NOW).orders("C-1")
    assert (order.refunded, order.worth) == (Decimal("20.00"), "200.00 (20.00 refunded)")
    assert "Refunded 20.00 USD of order W1's total." in action_entry(refunded).text
    assert len(_shipments(db)) == 1


def test_a_reship_sends_the_whole_order_again(db: Database) -> None:
    from tests.factories import add_order
    from workspace.action_view import ActionRequest

    _shop(db)
    add_order(db, "W3", placed=NOW - timedelta(days=20), status="shipped", price="30.00")
    again = ActionRequest(kind="reship", customer_id="C-1", order_id="W3", reason="lost")
    record = _desk(db, "alex").actions.take(again).record
    assert record.status == "executed"
    assert _shipments(db) == [(f"SH-{record.id:06d}", "W3", "reship", ["BL-200"])]
