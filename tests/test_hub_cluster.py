"""Several hubs on one NATS JetStream cluster, as an operator runs them: real ``nats-server`` nodes
(three, R3), two ``intulse-desktop hub --broker`` processes, desktops that know both hubs. Under a
burst of webhooks, a hub is killed, a NATS node is killed, everything restarts: every acknowledged
event reaches its desktop exactly once."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from intulse_desktop.hub import client as hub_client
from intulse_desktop.hub.broker import BrokerOptions
from intulse_desktop.hub.cluster import user_commands
from intulse_desktop.hub.users import new_user
from intulse_desktop.paths import Paths

from .helpers.builders import SECRET, payload
from .helpers.hub import Desk
from .helpers.net import closed_ports
from .helpers.waiting import eventually

pytestmark = [pytest.mark.slow, pytest.mark.posix]  # hub processes; kill -9

EXTENSIONS = ("201", "202", "203", "204")


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    monkeypatch.setattr(hub_client, "backoff", lambda attempt: 0.05)


class HubProcess:
    """``intulse-desktop --data-dir D hub --broker … --port P`` in a process of its own."""

    def __init__(self, root: Path, broker: str, port: int) -> None:
        self.paths = Paths.resolve(root).ensure()
        self.paths.secrets_file.write_text(json.dumps({"webhook-secret": SECRET}))  # one secret, any hub
        self.broker = broker
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        command = [sys.executable, "-m", "intulse_desktop", "--data-dir", str(self.paths.data_dir)]
        command += ["hub", "--broker", self.broker, "--host", "127.0.0.1", "--port", str(self.port)]
        with (self.paths.data_dir / "hub.log").open("ab") as log:  # the process keeps its own copy
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
        await eventually(self.healthy, timeout=30, what=lambda: f"{self.url}/healthz to answer")

    async def healthy(self) -> bool:
        try:
            async with aiohttp.ClientSession() as session, session.get(f"{self.url}/healthz") as response:
                return response.status == 200
        except aiohttp.ClientError:
            return False

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)


class Office:
    """Two hubs in front of the cluster, and a webhook sender that acts as the load balancer: each
    delivery goes to the next hub, and to the other if that one does not answer."""

    def __init__(self, root: Path, broker: str) -> None:
        self.broker = broker
        self.hubs = [HubProcess(root / f"hub{i}", broker, port) for i, port in enumerate(closed_ports(2))]
        self.acknowledged: dict[str, set[str]] = {extension: set() for extension in EXTENSIONS}
        self._sent = 0

    async def post(self, session: aiohttp.ClientSession, n: int) -> None:
        extension = EXTENSIONS[n % len(EXTENSIONS)]
        body = payload("CallStarted") | {"Id": f"call-{n}", "LinkedId": f"call-{n}", "Extension": extension}
        self._sent += 1
        for hub in (self.hubs[n % 2], self.hubs[(n + 1) % 2]):
            try:
                async with session.post(f"{hub.url}/hooks/{SECRET}/CallStarted", json=body) as response:
                    if response.status == 200:
                        self.acknowledged[extension].add(f"CallStarted:call-{n}")
                        return
            except aiohttp.ClientError:
                continue  # that hub is down: the balancer tries the other

    async def burst(self, numbers: range, during: asyncio.Event | None = None) -> None:
        """Post ``numbers`` 8 at a time; ``during`` is set when a quarter of them is done."""
        queue = list(numbers)
        async with aiohttp.ClientSession() as session:

            async def sender() -> None:
                while queue:
                    await self.post(session, queue.pop(0))
                    if during is not None and len(queue) < 0.75 * len(numbers):
                        during.set()

            await asyncio.gather(*(sender() for _ in range(8)))

    async def desks(self, root: Path) -> list[Desk]:
        """A desktop per extension; half know hub 0 first, half hub 1."""
        made = []
        options = BrokerOptions(tuple(self.broker.split(",")))
        async with user_commands(options) as users:
            for i, extension in enumerate(EXTENSIONS):
                token = (new := new_user(extension)).token
                await users.add(new)
                desk = Desk(root / f"desk{extension}", extension)
                desk.token = token
                first, second = self.hubs[i % 2], self.hubs[(i + 1) % 2]
                desk.hub_url = f"{first.url},{second.url}"
                made.append(desk)
        for desk in made:
            await desk.connect(desk.hub_url, desk.token)
            await desk.until(lambda desk=desk: desk.client.state == "connected")
        return made

    async def all_arrived(self, desks: list[Desk]) -> None:
        for desk in desks:
            expected = self.acknowledged[desk.settings.extension]
            await desk.until(lambda desk=desk, expected=expected: expected <= set(desk.ids()), timeout=60)

    def stop(self) -> None:
        for hub in self.hubs:
            hub.stop()


@pytest.fixture
async def office(tmp_path, nats_url):
    office = Office(tmp_path, nats_url)
    for hub in office.hubs:
        await hub.start()
    yield office
    office.stop()


def exactly_once(desk: Desk, acknowledged: set[str]) -> None:
    """Every acknowledged event of this desktop arrived, none twice, nothing that is not its own."""
    ids = desk.ids()
    assert len(ids) == len(set(ids)), f"ext {desk.settings.extension} got repeats"
    assert acknowledged <= set(ids)
    assert all(d.event.extension == desk.settings.extension and d.is_new for d in desk.got)


async def test_when_a_hub_is_killed_its_desktops_move_to_the_other_and_miss_nothing(office, tmp_path):
    desks = await office.desks(tmp_path)
    halfway = asyncio.Event()
    burst = asyncio.create_task(office.burst(range(400), during=halfway))
    await halfway.wait()
    office.hubs[0].kill()  # kill -9, mid-burst
    await burst
    await office.all_arrived(desks)
    for desk in desks:
        exactly_once(desk, office.acknowledged[desk.settings.extension])
    assert sum(map(len, office.acknowledged.values())) == 400  # the balancer found the other hub
    for desk in desks:
        await desk.quit()


async def test_a_dead_nats_node_stops_nothing(office, tmp_path, nats_cluster):
    desks = await office.desks(tmp_path)
    halfway = asyncio.Event()
    burst = asyncio.create_task(office.burst(range(300), during=halfway))
    await halfway.wait()
    nats_cluster.nodes[0].kill()  # R3: two of three still hold every event
    try:
        await burst
        await office.burst(range(300, 340))  # and after it
        await office.all_arrived(desks)
        for desk in desks:
            exactly_once(desk, office.acknowledged[desk.settings.extension])
        assert sum(map(len, office.acknowledged.values())) == 340
    finally:
        nats_cluster.nodes[0].start()
    for desk in desks:
        await desk.quit()


async def test_after_everything_restarts_the_cursors_still_hold(office, tmp_path, nats_cluster):
    desks = await office.desks(tmp_path)
    await office.burst(range(40))
    await office.all_arrived(desks)
    before = {desk.settings.extension: desk.ids() for desk in desks}
    for desk in desks:
        await desk.quit()
    office.stop()
    nats_cluster.stop()
    nats_cluster.start()
    for hub in office.hubs:
        await hub.start()
    await office.burst(range(40, 80))  # while the desktops are away
    for desk in desks:
        desk.got.clear()
        await desk.connect(desk.hub_url, desk.token)  # the app starts again: its cursor from its log
    missed = {
        d.settings.extension: office.acknowledged[d.settings.extension] - set(before[d.settings.extension])
        for d in desks
    }
    for desk in desks:
        assert len(missed[desk.settings.extension]) == 10
        await desk.until(lambda desk=desk: missed[desk.settings.extension] <= set(desk.ids()), timeout=60)
    await office.burst(range(80, 84))  # one more each, live
    for desk in desks:
        await desk.until(lambda desk=desk: len(desk.ids()) == 11)
        assert sorted(desk.ids()[:10]) == sorted(missed[desk.settings.extension])  # nothing of before
        assert all(d.caught_up for d in desk.got[:10])
        assert not desk.got[10].caught_up
        await desk.quit()
