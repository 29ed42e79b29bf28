"""The hub's bounds: its window in memory, connections per user, desktops that stop answering."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp import web

from intulse_desktop.events import parse
from intulse_desktop.hub import client as hub_client
from intulse_desktop.hub import server as hub_module
from intulse_desktop.hub.client import stream_url
from intulse_desktop.hub.protocol import STREAM_PATH, authorization, event_message, hello_message

from .helpers.builders import payload
from .helpers.hub import Desk
from .helpers.waiting import eventually

NUMBER = "+13175550100"


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    monkeypatch.setattr(hub_client, "backoff", lambda attempt: 0.01)


async def test_the_window_in_memory_is_bounded_in_bytes_and_what_fell_out_comes_from_the_journal(
    hub, tmp_path, monkeypatch
):
    monkeypatch.setattr(hub_module, "RING_BYTES", 10_000)
    _, token = hub.add("204", [NUMBER])
    desk = Desk(tmp_path / "a", "204", [NUMBER])
    await desk.connect(hub.url(), token)
    await desk.until(lambda: desk.client.state == "connected")
    await desk.quit()  # away while the texts arrive
    for n in range(1, 11):
        await hub.post("TextMessageReceived", Id=n, To=NUMBER, Body=f"{n} " + "x" * 2000)
    assert hub.hub.ring_bytes <= 10_000
    assert len(hub.hub._ring) < 10  # by count (2048) every one of them would still be there
    await desk.connect(hub.url(), token)
    await desk.until(lambda: len(desk.got) == 10)
    assert desk.ids() == [f"TextMessageReceived:{n}" for n in range(1, 11)]
    await desk.quit()


async def test_a_user_may_hold_only_so_many_connections_at_once(hub, monkeypatch):
    monkeypatch.setattr(hub_module, "MAX_CONNECTIONS_PER_USER", 2)
    user_id, token = hub.add("204")
    headers = {"Authorization": authorization(token)}
    async with aiohttp.ClientSession() as session:
        first = await session.ws_connect(stream_url(hub.url()), headers=headers)
        second = await session.ws_connect(stream_url(hub.url()), headers=headers)
        async with session.get(f"{hub.url()}{STREAM_PATH}", headers=headers) as response:
            assert response.status == 429
            assert await response.json() == {"error": "this token already has 2 connections"}
        await first.close()
        await eventually(lambda: hub.hub._connections[user_id] == 1)
        third = await session.ws_connect(stream_url(hub.url()), headers=headers)  # room again
        await second.close()
        await third.close()


async def test_a_desktop_refused_for_too_many_connections_says_so_and_keeps_trying(
    hub, tmp_path, monkeypatch
):
    monkeypatch.setattr(hub_module, "MAX_CONNECTIONS_PER_USER", 1)
    _, token = hub.add("204")
    first, second = Desk(tmp_path / "a", "204"), Desk(tmp_path / "b", "204")
    await first.connect(hub.url(), token)
    await first.until(lambda: first.client.state == "connected")
    await second.connect(hub.url(), token)
    await second.until(lambda: second.states.count("reconnecting") >= 2)
    assert "too many connections with this desktop's token" in second.client.detail
    await first.quit()
    await second.until(lambda: second.client.state == "connected")
    await second.quit()


def _upgrade(port: int, token: str, query: str) -> socket.socket:
    """A WebSocket that completes the handshake and then neither reads nor answers a ping."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # fills at once
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET {STREAM_PATH}?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Authorization: {authorization(token)}\r\n\r\n".encode()
    )
    assert sock.recv(12) == b"HTTP/1.1 101"
    sock.setblocking(False)
    return sock


def _cut_off(sock: socket.socket) -> bool:
    """Whether the hub has reset the connection: a write to it fails (once the hub gave up on it:
    what the hub reads counts as a sign of life)."""
    try:
        sock.send(b"\x89\x80" + os.urandom(4))  # a masked, empty pong: harmless if it still reads
    except BlockingIOError:
        return False
    except OSError:
        return True
    return False


async def test_a_desktop_whose_heartbeat_failed_is_cut_off_not_left_open(hub, monkeypatch):
    monkeypatch.setattr(hub_module, "HEARTBEAT_SECONDS", 0.5)
    _, token = hub.add("204", [NUMBER])
    received = datetime.now(UTC)
    texts = [
        parse(payload("TextMessageReceived") | {"Id": n, "To": NUMBER, "Body": "x" * 15_000})
        for n in range(600)
    ]  # ~9 MB waiting for it: more than the kernel's buffers hold
    await hub.service.writer.run(lambda store: [store.record(text, True, received) for text in texts])
    await hub.post("TextMessageReceived", Id=600, To=NUMBER)  # the hub reads the journal on a delivery
    sock = await asyncio.to_thread(_upgrade, hub.port, token, f"since=0&journal={hub.hub.origin}")
    try:
        await eventually(lambda: hub.hub.audience.desktops)
        await eventually(lambda: not hub.hub.audience.desktops, what="the hub to give up on the desktop")
        await eventually(lambda: _cut_off(sock), timeout=5, what="the hub to abort the connection")
    finally:
        sock.close()


async def test_a_message_nested_too_deeply_is_skipped_and_the_stream_goes_on(
    aiohttp_server, tmp_path, caplog
):
    async def hostile_hub(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(hello_message("j", 0, 1, False, {"extension": "204"}))
        await ws.send_str('{"type": "event", "seq": 1, "event": ' + "[" * 200_000 + "]" * 200_000 + "}")
        call = json.dumps(payload("CallStarted") | {"Extension": "204"})
        await ws.send_str(event_message(2, "CallStarted", datetime.now(UTC), call))
        await ws.receive()  # until the desktop goes
        return ws

    app = web.Application()
    app.router.add_get(STREAM_PATH, hostile_hub)
    server = await aiohttp_server(app)
    desk = Desk(tmp_path / "a", "204")
    await desk.connect(str(server.make_url("")), "ihub_AAAAAAAAAAAA.whatever")
    await desk.until(lambda: len(desk.got) == 1)
    assert desk.client.state == "connected"
    assert "not understood" in caplog.text
    await desk.quit()


async def test_a_burst_larger_than_the_live_queue_holds_in_bytes_arrives_whole_and_once(
    hub, tmp_path, monkeypatch
):
    monkeypatch.setattr(hub_module, "RING_BYTES", 5_000)  # two of these texts fill a desktop's queue
    _, token = hub.add("204", [NUMBER])
    desk = Desk(tmp_path / "a", "204", [NUMBER])
    await desk.connect(hub.url(), token)
    await desk.until(lambda: desk.client.state == "connected")
    body = "x" * 2000
    await asyncio.gather(*(hub.post("TextMessageReceived", Id=n, To=NUMBER, Body=body) for n in range(20)))
    await desk.until(lambda: len(desk.got) == 20)
    assert sorted(desk.ids()) == sorted(f"TextMessageReceived:{n}" for n in range(20))
    await desk.quit()
