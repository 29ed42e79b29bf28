"""The office hub under load: delivery latency to many desktops, and memory per idle connection.

    python benchmarks/hub.py [--clients 500] [--burst 500] [--concurrency 32]
    python benchmarks/hub.py --broker [--clients 500] [--burst 500]   # needs nats-server

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

``--broker`` compares, in the same run, one hub with its own SQLite journal
and ``--clients`` desktops against two ``hub --broker`` processes on a
three-node NATS JetStream cluster (R3, started here on loopback) with the same
desktops split between them and the webhooks alternating (as a load balancer
would): p99 webhook → desktop and events/s (burst size over the time from the
first POST to the last arrival), and their ratios. Nothing is pinned: the
cluster, the hubs and this process share the machine's cores.
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
from intulse_desktop.hub.users import Users, new_user

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
        self.url = url
        self.arrived: dict[str, float] = {}
        self.expected = 0
        self.done = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []
        self.ready = 0
        self.wall = 0.0  # seconds from the last burst's first POST to its last arrival

    async def connect(self, tokens: list[str], url: str | None = None) -> None:
        """Connect desktops with ``tokens`` to the hub at ``url`` (default: the one given first)."""
        address = stream_url(url or self.url)
        all_ready = asyncio.Event()
        wanted = self.ready + len(tokens)

        async def one(token: str) -> None:
            async with self.session.ws_connect(
                address, headers={"Authorization": f"Bearer {token}"}, compress=0, heartbeat=None
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

        # In waves, as desktops do not all start at once; small enough that no more than 64
        # handshakes from this one address wait at a time (connections.PER_PEER_IDLE closes the rest).
        for start in range(0, len(tokens), 25):
            self.tasks += [asyncio.create_task(one(t)) for t in tokens[start : start + 25]]
            await asyncio.sleep(0.1)
        await asyncio.wait_for(all_ready.wait(), 60)

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks = []
        self.ready = 0


async def burst(
    session: aiohttp.ClientSession,
    hook: str | list[str],
    desktops: Desktops,
    ids: list[str],
    concurrency: int,
    clients: int,
) -> list[float]:
    """Post one CallStarted per id (to each hook in turn); latency (ms) from each POST's start to its
    arrival."""
    hooks = [hook] if isinstance(hook, str) else hook
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
            async with session.post(hooks[i % len(hooks)], json=body) as response:
                assert response.status == 200, await response.text()

    await asyncio.gather(*(post(i, event_id) for i, event_id in enumerate(ids)))
    await asyncio.wait_for(desktops.done.wait(), 60)
    desktops.wall = max(desktops.arrived[e] for e in ids) - min(started.values())
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


def start_hub(home: Path, port: int, *extra: str, pin: list[str] | None = None) -> subprocess.Popen:
    env = os.environ | {
        "INTULSE_DESKTOP_HOME": str(home),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    hub = subprocess.Popen(
        [*(pin or []), sys.executable, "-m", "intulse_desktop", "hub", "--port", str(port), *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(home / "hub.log").open("ab"),
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return hub
        except OSError:
            if hub.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("a hub did not start") from None
            time.sleep(0.05)


async def measure_hubs(args: argparse.Namespace, urls: list[str], secret: str, tokens: list[str]) -> dict:
    """The burst through ``urls`` (webhooks alternating), the desktops split between them."""
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        desktops = Desktops(session, urls[0])
        for n, url in enumerate(urls):
            await desktops.connect(tokens[n :: len(urls)], url)
        hooks = [f"{url}/hooks/{secret}/CallStarted" for url in urls]
        label = "broker" if len(urls) > 1 else "sqlite"
        await burst(session, hooks, desktops, [f"warm-{label}-{i}" for i in range(100)], 32, args.clients)
        ids = [f"{label}-{i}" for i in range(args.burst)]
        latencies = await burst(session, hooks, desktops, ids, args.concurrency, args.clients)
        await desktops.close()
    return burst_result(latencies) | {"events_per_s": args.burst / desktops.wall}


def compare_with_broker(args: argparse.Namespace) -> None:
    """One SQLite hub against two hubs on a three-node NATS cluster, with the same desktops."""
    from intulse_desktop.hub.broker import BrokerOptions
    from intulse_desktop.hub.cluster import user_commands
    from tests.helpers.natscluster import NatsCluster, reset

    work = Path(tempfile.mkdtemp(prefix="intulse-hub-bench-"))
    cluster = NatsCluster(work / "nats")
    cluster.start()
    hubs: list[subprocess.Popen] = []
    try:
        asyncio.run(reset(cluster.url))
        secret = "bench-webhook-secret-0123456789abcdef"
        homes = [work / name for name in ("sqlite", "broker-a", "broker-b")]
        for home in homes:
            home.mkdir()
            (home / "secrets.json").write_text(json.dumps({"webhook-secret": secret}))
        users = Users(homes[0] / "hub-users.sqlite3")
        extensions = [str(BASE_EXTENSION + i) for i in range(args.clients)]
        sqlite_tokens = [users.add(extension)[1] for extension in extensions]
        users.close()

        async def add_to_bucket() -> list[str]:
            async with user_commands(BrokerOptions(tuple(cluster.url.split(",")))) as kv:
                news = [new_user(extension) for extension in extensions]
                for new in news:
                    await kv.add(new)
                return [new.token for new in news]

        broker_tokens = asyncio.run(add_to_bucket())
        ports = [free_port() for _ in homes]
        hubs.append(start_hub(homes[0], ports[0]))
        hubs += [start_hub(homes[n], ports[n], "--broker", cluster.url) for n in (1, 2)]
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        sqlite = asyncio.run(measure_hubs(args, urls[:1], secret, sqlite_tokens))
        broker = asyncio.run(measure_hubs(args, urls[1:], secret, broker_tokens))
    finally:
        for hub in hubs:
            hub.terminate()
            hub.wait()
        cluster.stop()
        if os.environ.get("KEEP"):
            print(work)
        else:
            shutil.rmtree(work)
    print(f"cores: {os.cpu_count()}; 3 nats-server nodes, 3 hubs and this process share them (no pinning)")
    print(
        f"burst: {args.burst} CallStarted webhooks, {args.concurrency} POSTs in flight, "
        f"{args.clients} desktops"
    )
    for name, r in (("1 hub, SQLite journal", sqlite), ("2 hubs, NATS R3 stream", broker)):
        print(
            f"{name:24}: p50 {r['p50']:6.1f} ms  p99 {r['p99']:6.1f} ms  max {r['max']:6.1f} ms  "
            f"{r['events_per_s']:6.0f} events/s"
        )
    print(
        f"ratio NATS / SQLite     : p99 {broker['p99'] / sqlite['p99']:.2f}x  "
        f"events/s {broker['events_per_s'] / sqlite['events_per_s']:.2f}x  (target: p99 < 100 ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument(
        "--burst", type=int, default=500, help="webhooks per burst (round-robin over the clients)"
    )
    parser.add_argument("--concurrency", type=int, default=32, help="webhook POSTs in flight at once")
    parser.add_argument(
        "--broker", action="store_true", help="compare with two hubs on a NATS cluster (needs nats-server)"
    )
    args = parser.parse_args()
    raise_fd_limit(4 * args.clients + 256)
    if args.broker:
        compare_with_broker(args)
        return

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
        f"burst: {args.burst} CallStarted webhooks, {args.concurrency} POSTs in flight; "
        "latency = POST start -> desktop"
    )
    print(
        f"1 desktop (owns all)    : p50 {one['p50']:6.1f} ms  p99 {one['p99']:6.1f} ms  "
        f"max {one['max']:6.1f} ms"
    )
    print(
        f"{args.clients} desktops (one each): p50 {many['p50']:6.1f} ms  p99 {many['p99']:6.1f} ms  "
        f"max {many['max']:6.1f} ms"
    )
    print(
        f"ratio {args.clients} / 1 desktop  : p50 {many['p50'] / one['p50']:.2f}x  "
        f"p99 {many['p99'] / one['p99']:.2f}x"
    )
    print(f"p99 with {args.clients} desktops : {many['p99']:.1f} ms (target < 100 ms)")
    print(
        f"hub RSS                 : {result['rss_before_kib'] / 1024:.1f} MiB idle, "
        f"{result['rss_after_kib'] / 1024:.1f} MiB with {args.clients} idle desktops"
    )
    print(f"memory per idle desktop : {per_connection:.1f} KiB (target < 100 KB)")


if __name__ == "__main__":
    main()
