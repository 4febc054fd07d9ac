"""A workspace is one of the team's deliverers: an action an agent executes reaches the
receiver with nobody running `caredesk deliver`, when delivery is configured."""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer

from screens.resolution_pane import ResolutionPane
from storage.engine import Database
from tests.app.conftest import make_app, settle, until
from tests.app.screen import screen_text
from tests.workspace.test_delivery import SECRET, _messages
from workspace.action_view import ActionRequest
from workspace.agents import resolve_agent
from workspace.policy_file import default_policy
from workspace.workbench import Workbench


async def test_an_executed_action_is_sent_by_the_workspace(
    desk_db: Database, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    httpserver.expect_request("/fulfil").respond_with_json({"reference": "WH-1"})
    monkeypatch.setenv("CAREDESK_DELIVERY_URL", httpserver.url_for("/fulfil"))
    monkeypatch.setenv("CAREDESK_DELIVERY_SECRET", SECRET)
    app = make_app(desk_db, "alex")
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # Alex claims T-2, Omar Haddad's (C-2)
        await settle(pilot)
        # A colleague's desk (another process, as far as the workspace knows) executes one.
        sam = Workbench.open(desk_db, resolve_agent(desk_db, "sam"), default_policy(), app.clock)
        sam.actions.take(
            ActionRequest(kind="store_credit", customer_id="C-2", amount="5.00", reason="sorry")
        )
        await until(pilot, lambda: [m.status for m in _messages(desk_db)] == ["delivered"])
        # Alex's workspace is told: the customer's strip says it was delivered.
        strip = app.screen.query_one(ResolutionPane).strip

        def shown() -> bool:
            return [r.delivery for r in strip.records] == ["delivered"]

        await until(pilot, shown)
        assert "Store credit 5.00 USD  executed, sent" in screen_text(app)
    (request, _response), *_ = httpserver.log
    assert request.headers["webhook-id"] == _messages(desk_db)[0].webhook_id


async def test_without_configuration_the_outbox_waits(desk_db: Database) -> None:
    app = make_app(desk_db, "alex")
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        sam = Workbench.open(desk_db, resolve_agent(desk_db, "sam"), default_policy(), app.clock)
        sam.actions.take(
            ActionRequest(kind="store_credit", customer_id="C-2", amount="5.00", reason="x")
        )
        await settle(pilot)
        assert [m.status for m in _messages(desk_db)] == ["queued"]


async def test_a_failed_delivery_shows_and_d_sends_it_again(
    desk_db: Database, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    httpserver.expect_ordered_request("/fulfil").respond_with_data("bad", status=400)
    httpserver.expect_ordered_request("/fulfil").respond_with_json({"reference": "WH-2"})
    monkeypatch.setenv("CAREDESK_DELIVERY_URL", httpserver.url_for("/fulfil"))
    monkeypatch.setenv("CAREDESK_DELIVERY_SECRET", SECRET)
    app = make_app(desk_db, "alex")
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # Alex claims T-2, Omar Haddad's (C-2)
        await settle(pilot)
        sam = Workbench.open(desk_db, resolve_agent(desk_db, "sam"), default_policy(), app.clock)
        sam.actions.take(
            ActionRequest(kind="store_credit", customer_id="C-2", amount="5.00", reason="sorry")
        )
        strip = app.screen.query_one(ResolutionPane).strip
        await until(pilot, lambda: [r.delivery for r in strip.records] == ["failed"])
        assert "Store credit 5.00 USD  NOT SENT (D)" in screen_text(app)
        await pilot.press("f2", "D")
        await until(pilot, lambda: [r.delivery for r in strip.records] == ["delivered"])
    assert [m.status for m in _messages(desk_db)] == ["delivered"]
    httpserver.check_assertions()
