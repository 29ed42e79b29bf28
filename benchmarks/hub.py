"""The office hub under load: delivery latency to many desktops, and memory per idle connection.

    python benchmarks/hub.py [--clients 500] [--burst 500] [--concurrency 32]

The hub runs as ``intulse-desktop hub`` in its own process, pinned to one core;
this process (pinned to the other) holds every desktop connection and posts
the webhooks. Each desktop is a plain WebSocket client speaking the hub's
protocol (a real desktop would also store each event in its own log; that is
the desktop's cost, not the hub's).

The same burst of CallStarted webhooks is posted twice, each event timed from
the moment its POST starts to the moment its desktop receives it:
- baseline: one connected desktop that owns every event (by user id);
- loaded: ``--clients`` desktops, each owning one extension, so every event
  goes to exactly one of them, and the same number of messages is delivered.
Memory: the hub's RSS before and after the loaded desktops connect, idle.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intulse_desktop.hub.client import stream_url
from intulse_desktop.hub.users import Users

SAMPLE = json.loads((ROOT / "tests" / "payloads" / "CallStarted.json").read_text())
BASE_EXTENSION = 1000
OWNER_USER_ID = 7  # every event carries it; only the baseline desktop is this user
TWO_CORES = os.cpu_count() and os.cpu_count() >= 2 and shutil.which("taskset")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def raise_fd_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Desktops:
    """Connected desktops; records when each event id arrives."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = stream_url(url)
        self.arrived: dict[str, float] = {}
        self.expected = 0
        self.done = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []
        self.ready = 0

    async def connect(self, tokens: list[str]) -> None:
        all_ready = asyncio.Event()
        wanted = self.ready + len(tokens)

        async def one(token: str) -> None:
            async with self.session.ws_connect(
                self.url, headers={"Authorization": f"Bearer {token}"}, compress=0, heartbeat=None
            ) as ws:
                async for frame in ws:
                    message = json.loads(frame.data)
                    kind = message["type"]
                    if kind == "event":
                        self.arrived[message["event"]["Id"]] = time.perf_counter()
                        if len(self.arrived) >= self.expected:
                            self.done.set()
                    elif kind == "caught_up":
                        self.ready += 1
                        if self.ready >= wanted:
                            all_ready.set()

        for start in range(0, len(tokens), 50):  # connect in waves, as desktops do not all start at once
            self.tasks += [asyncio.create_task(one(t)) for t in tokens[start : start + 50]]
            await asyncio.sleep(0.05)
        await asyncio.wait_for(all_ready.wait(), 60)

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks = []
        self.ready = 0


async def burst(
    session: aiohttp.ClientSession,
    hook: str,
    desktops: Desktops,
    ids: list[str],
    concurrency: int,
    clients: int,
) -> list[float]:
    """Post one CallStarted per id; latency (ms) from each POST's start to its arrival."""
    desktops.arrived.clear()
    desktops.done.clear()
    desktops.expected = len(ids)
    started: dict[str, float] = {}
    gate = asyncio.Semaphore(concurrency)

    async def post(i: int, event_id: str) -> None:
        body = SAMPLE | {
            "Id": event_id,
            "LinkedId": event_id,
            "Extension": str(BASE_EXTENSION + i % clients),
            "UserId": OWNER_USER_ID,
        }
        async with gate:
            started[event_id] = time.perf_counter()
            async with session.post(hook, json=body) as response:
                assert response.status == 200, await response.text()

    await asyncio.gather(*(post(i, event_id) for i, event_id in enumerate(ids)))
    await asyncio.wait_for(desktops.done.wait(), 60)
    return [(desktops.arrived[e] - started[e]) * 1000 for e in ids]


async def measure(
    args: argparse.Namespace, url: str, hook: str, hub_pid: int, tokens: list[str], owner: str
) -> dict:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        desktops = Desktops(session, url)

        async def run(label: str) -> list[float]:
            ids = [f"{label}-{i}" for i in range(args.burst)]
            return await burst(session, hook, desktops, ids, args.concurrency, args.clients)

        # Warm-up: the first requests pay for imports and caches on both sides.
        await desktops.connect([owner])
        await run("warm")
        baseline = burst_result(await run("one"))
        await desktops.close()
        await asyncio.sleep(1)
        before = rss_kib(hub_pid)
        await desktops.connect(tokens)
        await asyncio.sleep(2)  # idle
        after = rss_kib(hub_pid)
        loaded = burst_result(await run("many"))
        await desktops.close()
    return {"baseline": baseline, "loaded": loaded, "rss_before_kib": before, "rss_after_kib": after}


def burst_result(latencies: list[float]) -> dict:
    return {
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "max": max(latencies),
        "mean": statistics.fmean(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument(
        "--burst", type=int, default=500, help="webhooks per burst (round-robin over the clients)"
    )
    parser.add_argument("--concurrency", type=int, default=32, help="webhook POSTs in flight at once")
    args = parser.parse_args()
    raise_fd_limit(4 * args.clients + 256)

    work = Path(tempfile.mkdtemp(prefix="intulse-hub-bench-"))
    home = work / "hub"
    home.mkdir()
    users = Users(home / "hub-users.sqlite3")
    tokens = [users.add(str(BASE_EXTENSION + i % args.clients))[1] for i in range(args.clients)]
    owner = users.add("999", user_id=OWNER_USER_ID)[1]
    users.close()

    port = free_port()
    env = os.environ | {
        "INTULSE_DESKTOP_HOME": str(home),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    pin = ["taskset", "-c", "0"] if TWO_CORES else []
    hub = subprocess.Popen(
        [*pin, sys.executable, "-m", "intulse_desktop", "hub", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if TWO_CORES:
        os.sched_setaffinity(0, {1})
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if hub.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the hub did not start") from None
                time.sleep(0.05)
        secret = json.loads((home / "secrets.json").read_text())["webhook-secret"]
        url = f"http://127.0.0.1:{port}"
        result = asyncio.run(measure(args, url, f"{url}/hooks/{secret}/CallStarted", hub.pid, tokens, owner))
    finally:
        hub.terminate()
        hub.wait()
        shutil.rmtree(work)

    one, many = result["baseline"], result["loaded"]
    per_connection = (result["rss_after_kib"] - result["rss_before_kib"]) / args.clients
    print(
        f"cores: {os.cpu_count()} (hub pinned to one, clients and webhooks to the other: {bool(TWO_CORES)})"
    )
    print(
        f"burst: {args.burst} CallStarted webhooks, {args.concurrency} POSTs in flight; latency = POST start -> desktop"
    )
    print(
        f"1 desktop (owns all)    : p50 {one['p50']:6.1f} ms  p99 {one['p99']:6.1f} ms  max {one['max']:6.1f} ms"
    )
    print(
        f"{args.clients} desktops (one each): p50 {many['p50']:6.1f} ms  p99 {many['p99']:6.1f} ms  max {many['max']:6.1f} ms"
    )
    print(
        f"ratio {args.clients} / 1 desktop  : p50 {many['p50'] / one['p50']:.2f}x  p99 {many['p99'] / one['p99']:.2f}x"
    )
    print(f"p99 with {args.clients} desktops : {many['p99']:.1f} ms (target < 100 ms)")
    print(
        f"hub RSS                 : {result['rss_before_kib'] / 1024:.1f} MiB idle, "
        f"{result['rss_after_kib'] / 1024:.1f} MiB with {args.clients} idle desktops"
    )
    print(f"memory per idle desktop : {per_connection:.1f} KiB (target < 100 KB)")


if __name__ == "__main__":
    main()
