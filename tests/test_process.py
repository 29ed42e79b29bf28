"""The headless receiver as a real process: crashes, signals, what it prints."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import aiohttp
import pytest

from intulse_desktop.paths import Paths
from intulse_desktop.store import CallQuery, Store

from .helpers.builders import payload
from .helpers.process import Headless

pytestmark = pytest.mark.slow


@pytest.fixture
def headless(home):
    started = []

    def start(*extra):
        process = Headless(home, *extra)
        started.append(process)
        return process

    yield start
    for process in started:
        process.close()


def stored_call_ids(home: Path) -> set[str]:
    store = Store(Paths.resolve(home).database)
    try:
        return {row.id for row in store.iter_calls(CallQuery(limit=None))}
    finally:
        store.close()


@pytest.mark.posix
def test_kill_9_in_a_burst_loses_no_acknowledged_event(headless, home):
    server = headless()
    acknowledged: list[str] = []
    killed = threading.Event()

    async def burst():
        connector = aiohttp.TCPConnector(limit=32)
        async with aiohttp.ClientSession(connector=connector) as session:
            counter = iter(range(10**6))

            async def sender():
                while not killed.is_set():
                    call_id = f"burst-{next(counter)}"
                    try:
                        async with session.post(
                            server.url("CallCompleted"), json=payload("CallCompleted") | {"Id": call_id}
                        ) as response:
                            if response.status == 200:
                                acknowledged.append(call_id)
                    except aiohttp.ClientError:
                        return

            async def killer():
                while len(acknowledged) < 300:
                    await asyncio.sleep(0.005)
                server.proc.kill()  # SIGKILL: no clean-up of any kind
                killed.set()

            await asyncio.gather(killer(), *(sender() for _ in range(32)))

    asyncio.run(burst())
    assert server.proc.wait(10) == -signal.SIGKILL
    assert len(acknowledged) >= 300
    missing = set(acknowledged) - stored_call_ids(home)
    assert not missing, f"{len(missing)} acknowledged events were lost"

    restarted = headless()  # the log opens again after the crash and keeps receiving
    response = asyncio.run(_post(restarted.url("CallStarted"), payload("CallStarted")))
    assert response == 200
    assert restarted.stop() == 0


async def _post(url, body):
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as response:
        return response.status


@pytest.mark.posix
def test_sigterm_finishes_requests_in_flight_and_exits_0_within_10_s(headless, home):
    server = headless()
    body = json.dumps(payload("CallStarted")).encode()
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        head = (
            f"POST /hooks/{server.secret}/CallStarted HTTP/1.1\r\nHost: x\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        sock.sendall(head + body[:20])  # the request is in flight: half its body sent
        time.sleep(0.3)
        started = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        with pytest.raises(ConnectionRefusedError):  # no new connections once stopping
            socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
        sock.sendall(body[20:])
        answer = sock.recv(65536).decode()
    assert answer.startswith("HTTP/1.1 200"), answer
    assert server.proc.wait(10) == 0
    assert time.monotonic() - started < 10
    assert "1764130211.5512" in stored_call_ids(home)


@pytest.mark.posix
def test_sigint_also_exits_cleanly(headless):
    assert headless().stop(signal.SIGINT) == 0


@pytest.mark.posix
def test_one_line_per_event_and_the_secret_in_no_output(headless):
    server = headless("-v")
    for name, event_type in [("CallStarted", "CallStarted"), ("TextMessageReceived", "TextMessageReceived")]:
        assert asyncio.run(_post(server.url(event_type), payload(name))) == 200
    asyncio.run(_post(server.url("CallStarted"), {"Id": "bad"}))
    asyncio.run(_post(server.url("Nope"), {}))
    assert server.stop() == 0
    lines = [line for line in server.out if line.strip()]
    assert len(lines) == 2
    assert "CallStarted 1764130211.5512" in lines[0]
    assert "TextMessageReceived 90211" in lines[1]
    assert "Running 10 minutes late" in lines[1]  # -v: the text's body too
    assert server.secret not in server.output()
    assert "/hooks/<secret>/" in server.output()


def test_message_bodies_are_printed_only_when_verbose(headless):
    quiet = headless()
    assert asyncio.run(_post(quiet.url("TextMessageReceived"), payload("TextMessageReceived"))) == 200
    quiet.stop()
    assert "TextMessageReceived 90211" in quiet.output()
    assert "Running 10 minutes late" not in quiet.output()


def test_send_test_delivers_a_sample_to_the_running_receiver(headless, home):
    server = headless()
    env = os.environ | {"INTULSE_DESKTOP_HOME": str(home)}
    subprocess.run(
        [sys.executable, "-m", "intulse_desktop", "config", "set", "listen_port", str(server.port)],
        env=env,
        check=True,
    )
    result = subprocess.run(
        [sys.executable, "-m", "intulse_desktop", "send-test", "CallStarted", "--extension", "301"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "HTTP 200" in result.stdout
    assert server.secret not in result.stdout + result.stderr
    server.stop()
    store = Store(Paths.resolve(home).database)
    [call] = store.calls()
    store.close()
    assert call.extension == "301"
    assert call.remote_party_name == "Intulse Desktop test"


def test_send_test_says_why_when_nothing_listens(home):
    env = os.environ | {"INTULSE_DESKTOP_HOME": str(home)}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free_port = s.getsockname()[1]
    subprocess.run(
        [sys.executable, "-m", "intulse_desktop", "config", "set", "listen_port", str(free_port)],
        env=env,
        check=True,
    )
    result = subprocess.run(
        [sys.executable, "-m", "intulse_desktop", "send-test", "CallStarted"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "refused the connection" in result.stderr


def test_a_taken_port_is_a_clear_error(home):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        env = os.environ | {"INTULSE_DESKTOP_HOME": str(home)}
        result = subprocess.run(
            [sys.executable, "-m", "intulse_desktop", "--headless", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=20,
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
