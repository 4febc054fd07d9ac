"""A workspace is one of the team's deliverers: an action an agent executes reaches the
receiver with nobody running `caredesk deliver`, when delivery is configured."""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer

from storage.engine import Database
from tests.app.conftest import make_app, settle, until
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
        # A colleague's desk (another process, as far as the workspace knows) executes one.
        sam = Workbench.open(desk_db, resolve_agent(desk_db, "sam"), default_policy(), app.clock)
        sam.actions.take(
            ActionRequest(kind="store_credit", customer_id="C-2", amount="5.00", reason="sorry")
        )
        await until(pilot, lambda: [m.status for m in _messages(desk_db)] == ["delivered"])
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
