"""A hub and desktops in one test process: real services, real sockets, real logs."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp

from intulse_desktop.bus import Bus, Delivery
from intulse_desktop.events import ExtensionUpdated, TextMessageReceived
from intulse_desktop.hub.client import HubClient
from intulse_desktop.hub.server import Hub
from intulse_desktop.hub.users import Users
from intulse_desktop.paths import Paths
from intulse_desktop.service import Service
from intulse_desktop.settings import Settings
from intulse_desktop.store.writer import Writer

from .conftest import payload

SECRET = "hub-webhook-secret-0123456789abcdef"


class HubRunner:
    """``intulse-desktop hub`` in this process; restartable on the same port and data."""

    def __init__(self, root: Path) -> None:
        self.paths = Paths.resolve(root).ensure()
        self.users = Users(self.paths.hub_users)
        self.port = 0
        self.service: Service | None = None
        self.hub: Hub | None = None

    async def start(self, ssl_context=None) -> None:
        self.service = Service(self.paths, Settings(), SECRET, journal=True)
        self.hub = Hub(self.service, self.users)
        await self.service.start(self.hub.install)
        await self.hub.start()
        _, self.port = await self.service.listen("127.0.0.1", self.port, ssl_context)

    async def stop(self) -> None:
        await self.service.close()
        await self.hub.close()

    def url(self, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}"

    def add(self, extension: str, numbers=(), **options) -> tuple[int, str]:
        user, token = self.users.add(extension, numbers, **options)
        return user.id, token

    async def post(self, name: str, **fields) -> None:
        await self.post_tls(name, None, **fields)

    async def post_tls(self, name: str, ssl_context, **fields) -> None:
        """Post a webhook, over HTTPS trusting ``ssl_context`` when given."""
        event_type = name.split("-")[0]
        async with aiohttp.ClientSession() as session:
            url = f"{self.url('https' if ssl_context else 'http')}/hooks/{SECRET}/{event_type}"
            async with session.post(url, json=payload(name) | fields, ssl=ssl_context or True) as response:
                assert response.status == 200, await response.text()


class Desk:
    """A desktop receiving from the hub: its own log, bus and settings."""

    def __init__(self, root: Path, extension: str, numbers=(), **settings) -> None:
        self.paths = Paths.resolve(root).ensure()
        self.settings = Settings(extension=extension, my_numbers=list(numbers), **settings)
        self.bus = Bus()
        self.got: list[Delivery] = []
        self.states: list[str] = []
        self._changed = asyncio.Event()
        self.bus.subscribe(self._delivered)
        self.writer: Writer | None = None
        self.client: HubClient | None = None

    def _delivered(self, delivery: Delivery) -> None:
        self.got.append(delivery)
        self._changed.set()

    def _state(self, state: str, detail: str) -> None:
        self.states.append(state)
        self._changed.set()

    async def connect(self, url: str, token: str, ssl_context=None) -> None:
        """Start as the app starts: a fresh writer on this desktop's log, a fresh client."""
        self.writer = Writer(self.paths.database)
        await self.writer.start()
        self.client = HubClient(
            self.writer, self.bus, self.settings.matcher, on_state=self._state, ssl_context=ssl_context
        )
        await self.client.connect(url, token)

    async def quit(self) -> None:
        await self.client.stop()
        await self.writer.close()

    async def until(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait for ``condition``: woken by each delivery and state, and every 20 ms (like qtbot.waitUntil)."""
        deadline = time.monotonic() + timeout
        while not condition():
            self._changed.clear()
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"timed out; got {self.ids()}, states {self.states}"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.02))

    def ids(self) -> list[str]:
        """What arrived, as type:key, in order."""
        return [f"{d.event.TYPE}:{_key(d.event)}" for d in self.got]


def _key(event) -> str:
    if isinstance(event, ExtensionUpdated):
        return f"{event.extension}={event.status}"
    return event.key if isinstance(event, TextMessageReceived) else event.id
