"""A real NATS JetStream cluster for the tests: three ``nats-server`` processes on free loopback
ports, each with its own store folder, started and stopped (or killed) by the test."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from pathlib import Path

import nats.js.errors

from intulse_desktop.hub.broker import STREAM, USERS_BUCKET, BrokerOptions, connect, retrying

from .net import closed_ports
from .process import stop_process

CLUSTER = "intulse-test"


def nats_server() -> str:
    found = shutil.which("nats-server")
    assert found, "nats-server is not installed (Debian/Ubuntu: apt-get install nats-server)"
    return found


class Node:
    """One ``nats-server`` of the cluster."""

    def __init__(self, root: Path, name: str, port: int, route_port: int, routes: list[int]) -> None:
        self.name = name
        self.port = port
        self.config = root / f"{name}.conf"
        store = root / name
        store.mkdir(parents=True, exist_ok=True)
        self.log = root / f"{name}.log"
        route_urls = ", ".join(f"nats-route://127.0.0.1:{p}" for p in routes)
        self.config.write_text(
            f"server_name: {name}\nhost: 127.0.0.1\nport: {port}\n"
            f'jetstream {{ store_dir: "{store}" }}\n'
            f"cluster {{ name: {CLUSTER}\n  listen: 127.0.0.1:{route_port}\n  routes: [{route_urls}] }}\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen([nats_server(), "-c", str(self.config)], stdout=log, stderr=log)

    def kill(self) -> None:
        """SIGKILL: the node vanishes as in a power cut."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None


class NatsCluster:
    """Three JetStream nodes routed to each other; ``url`` lists them all, as a hub is given them."""

    def __init__(self, root: Path, size: int = 3) -> None:
        ports = closed_ports(2 * size)
        clients, routes = ports[:size], ports[size:]
        self.nodes = [
            Node(root, f"n{i + 1}", clients[i], routes[i], [p for p in routes if p != routes[i]])
            for i in range(size)
        ]

    @property
    def url(self) -> str:
        return ",".join(node.url for node in self.nodes)

    def start(self) -> None:
        for node in self.nodes:
            node.start()

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


async def reset(url: str) -> None:
    """Delete the events stream and the users bucket (waiting for the cluster to be up first)."""
    client = await connect(BrokerOptions(tuple(url.split(","))))
    js = client.jetstream()

    async def delete(name: str) -> None:
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await js.delete_stream(name)

    try:
        await retrying(lambda: delete(STREAM), 30.0, "delete the events stream")
        await retrying(lambda: delete(f"KV_{USERS_BUCKET}"), 30.0, "delete the users bucket")
    finally:
        await client.close()
