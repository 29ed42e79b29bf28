"""Connections without the secret: bounded in number, per address and in time (loopback only)."""

from __future__ import annotations

import asyncio
import json
import logging
import resource
import socket
import subprocess
import sys

import aiohttp
import pytest
from aiohttp import web

from intulse_desktop import connections, receiver
from intulse_desktop.bus import Bus
from intulse_desktop.connections import PER_PEER_IDLE, GuardedSite, is_loopback
from intulse_desktop.matching import Matcher
from intulse_desktop.receiver import Receiver, server_options

from .helpers.builders import payload
from .helpers.process import Headless

SECRET = "s3cr3t-Zx9_abcdefghijklmnopqrstuvwxyz012345"
URL_PATH = f"/hooks/{SECRET}/CallStarted"
CONTINUE = "Expect: 100-continue\r\n"
Reader = asyncio.StreamReader


@pytest.fixture
async def site(writer):
    """The receiver as the app runs it, on a guarded loopback site."""
    app = Receiver(writer, Bus(), SECRET, Matcher.create("204", None, [], "US"), body_timeout=30).app()
    runner = web.AppRunner(app, **server_options())
    await runner.setup()
    guarded = GuardedSite(runner, "127.0.0.1", 0)
    await guarded.start()
    yield guarded
    await runner.cleanup()


async def idle_connections(site: GuardedSite, count: int) -> list[tuple[Reader, asyncio.StreamWriter]]:
    return [await asyncio.open_connection("127.0.0.1", site.port) for _ in range(count)]


async def deliver(url: str) -> int:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
        session.post(url, json=payload("CallStarted")) as response,
    ):
        return response.status


def hook(site: GuardedSite) -> str:
    return f"http://127.0.0.1:{site.port}{URL_PATH}"


async def closed(reader: Reader) -> bool:
    return await asyncio.wait_for(reader.read(), 5) == b""


async def post_on(reader: Reader, writer: asyncio.StreamWriter) -> bytes:
    """Send one delivery on an open connection; its status line."""
    body = json.dumps(payload("CallStarted")).encode()
    head = f"POST {URL_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
    return await asyncio.wait_for(reader.readline(), 5)


async def test_connections_opened_at_once_from_one_address_are_all_served(site):
    opened = await idle_connections(site, PER_PEER_IDLE + 36)  # each sends its request once all are open
    answers = await asyncio.gather(*(post_on(reader, writer) for reader, writer in opened))
    assert answers == [b"HTTP/1.1 200 OK\r\n"] * len(opened)
    for _, writer in opened:
        writer.close()


async def test_a_peer_keeps_only_its_newest_idle_connections_and_a_delivery_gets_in(site):
    site.guard.grace = 0  # every connection has been quiet long enough to count as idle
    opened = await idle_connections(site, PER_PEER_IDLE + 36)
    assert await deliver(hook(site)) == 200
    assert all([await closed(reader) for reader, _ in opened[:37]])  # the oldest, for the delivery too
    assert len(site.guard) <= PER_PEER_IDLE
    for _, writer in opened:
        writer.close()


async def test_past_the_total_limit_the_oldest_idle_connection_makes_room(site):
    site.guard.limit = 8
    opened = await idle_connections(site, 8)
    assert await deliver(hook(site)) == 200
    assert await closed(opened[0][0])
    assert len(site.guard) <= 8
    for _, writer in opened:
        writer.close()


async def test_when_every_connection_is_busy_a_new_one_is_refused_with_a_503(site):
    site.guard.limit = 2
    busy = await idle_connections(site, 2)
    for reader, writer in busy:  # deliveries under way: their bodies are still coming
        writer.write(f"POST {URL_PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n{CONTINUE}\r\n".encode())
        assert await reader.readline() == b"HTTP/1.1 100 Continue\r\n"  # its handler runs
    reader, writer = await asyncio.open_connection("127.0.0.1", site.port)
    answer = await asyncio.wait_for(reader.read(), 5)
    assert answer.startswith(b"HTTP/1.1 503 ")
    assert answer.endswith(b'{"error": "too many connections; retry later"}')
    for _, busy_writer in [*busy, (reader, writer)]:
        busy_writer.close()


async def test_a_half_sent_request_is_closed_after_the_header_timeout(writer, monkeypatch):
    monkeypatch.setattr(receiver, "HEADER_TIMEOUT", 0.2)
    app = Receiver(writer, Bus(), SECRET, Matcher.create("204", None, [], "US")).app()
    runner = web.AppRunner(app, **server_options())
    await runner.setup()
    guarded = GuardedSite(runner, "127.0.0.1", 0)
    await guarded.start()
    try:
        reader, half = await asyncio.open_connection("127.0.0.1", guarded.port)
        half.write(b"POST /hooks/x HTTP/1.1\r\nHost: x\r\n")
        assert await closed(reader)
        half.close()
    finally:
        await runner.cleanup()


def test_the_header_timeout_is_at_most_ten_seconds():
    assert server_options()["keepalive_timeout"] <= 10


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("192.168.1.20", False),
        ("hub.example.com", False),
    ],
)
def test_loopback_hosts_are_told_apart(host, loopback):
    assert is_loopback(host) is loopback


async def test_listening_beyond_loopback_is_warned_about(writer, monkeypatch, caplog):
    monkeypatch.setattr(connections, "is_loopback", lambda host: False)  # without exposing a port
    runner = web.AppRunner(Receiver(writer, Bus(), SECRET, Matcher.create("204", None, [], "US")).app())
    await runner.setup()
    with caplog.at_level(logging.WARNING):
        await GuardedSite(runner, "127.0.0.1", 0).start()
    await runner.cleanup()
    assert "listening on 127.0.0.1, not on loopback: other machines can connect" in caplog.text


def limit_descriptors(soft: int, hard: int):
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_the_soft_descriptor_limit_is_raised_to_the_hard_one_at_start():
    code = "from intulse_desktop.process import raise_fd_limit; print(raise_fd_limit())"
    result = subprocess.run(
        [sys.executable, "-c", code],
        preexec_fn=limit_descriptors(256, 4096),
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "4096"


@pytest.mark.slow
def test_idle_connections_past_the_descriptor_limit_do_not_delay_a_delivery(home):
    server = Headless(home, preexec_fn=limit_descriptors(256, 256))  # a macOS GUI app's limit
    idle = []
    try:
        idle = [socket.create_connection(("127.0.0.1", server.port), timeout=2) for _ in range(300)]
        assert asyncio.run(deliver(server.url("CallStarted"))) == 200
    finally:
        for sock in idle:
            sock.close()
        server.close()
