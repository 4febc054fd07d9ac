"""`caredesk monitor --serve`: the wallboard reaches a browser over textual-serve's websocket,
figures and all, from a server listening on this machine only."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

from storage.engine import Database
from tests.workspace.test_monitor import fill_floor

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


async def _screen(port: int, seconds: float = 30.0) -> str:
    """What the served monitor sends a 160x48 browser until its panels have drawn."""
    seen = ""
    url = f"ws://127.0.0.1:{port}/ws?width=160&height=48"
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not ("Queue depth" in seen and "Agents" in seen):
            try:
                message = await ws.receive(timeout=2)
            except TimeoutError:
                continue
            if message.type == aiohttp.WSMsgType.BINARY:
                seen += message.data.decode("utf-8", "replace")
            elif message.type == aiohttp.WSMsgType.TEXT:
                seen += message.data
            elif message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                break
    return seen


def test_the_served_monitor_sends_its_figures_over_the_websocket(
    sqlite_db: Database,
) -> None:
    fill_floor(sqlite_db)
    port = _free_port()
    env = {**os.environ, "CAREDESK_DB": sqlite_db.url}
    server = subprocess.Popen(
        [sys.executable, "-m", "workspace.cli", "monitor", "--serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(port)
        shown = asyncio.run(_screen(port))
    finally:
        server.terminate()
        try:
            _out, err = server.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            _out, err = server.communicate()
    assert "Queue depth" in shown and "Agents" in shown, shown[-2000:]
    assert "Monitor" in shown and "read-only" in shown
    assert f"serving http://127.0.0.1:{port} (read-only)" in err


def test_serve_refuses_a_port_that_is_none(sqlite_db: Database, capsys) -> None:
    from workspace.cli import main

    code = main(["monitor", "--db", sqlite_db.url, "--serve", "--port", "70000"])
    assert code == 2
    assert "--port: 70000 is not a port (1 to 65535)" in capsys.readouterr().err
