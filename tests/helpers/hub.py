"""A hub and desktops in one test process: real services, real sockets, real logs."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path

import aiohttp

from intulse_desktop.bus import Bus, Delivery
from intulse_desktop.events import ExtensionUpdated, TextMessageReceived
from intulse_desktop.hub.broker import BrokerOptions
from intulse_desktop.hub.client import HubClient
from intulse_desktop.hub.cluster import serving, user_commands
from intulse_desktop.hub.server import Hub
from intulse_desktop.hub.users import Users, new_user
from intulse_desktop.paths import Paths
from intulse_desktop.service import Service
from intulse_desktop.settings import Settings
from intulse_desktop.store.writer import Writer

from .builders import event_type_of, payload
from .waiting import eventually

SECRET = "hub-webhook-secret-0123456789abcdef"


class HubRunner:
    """``intulse-desktop hub`` in this process; restartable on the same port and data. With
    ``broker`` (NATS servers) it is ``hub --broker``: the stream and the KV bucket are its log and users.
    """

    def __init__(self, root: Path, broker: str | None = None) -> None:
        self.paths = Paths.resolve(root).ensure()
        self.users = Users(self.paths.hub_users)
        self.broker = BrokerOptions(tuple(broker.split(","))) if broker else None
        self.port = 0
        self.service: Service | None = None
        self.hub: Hub | None = None
        self._cluster = AsyncExitStack()

    async def start(self, ssl_context: ssl.SSLContext | None = None) -> None:
        if self.broker is None:
            self.service = Service(self.paths, Settings(), SECRET, journal=True)
            self.hub = Hub(self.service, self.users)
        else:
            self.cluster = cluster = await self._cluster.enter_async_context(serving(self.broker))
            self.service = Service(self.paths, Settings(), SECRET)
            self.service.store_with(cluster.publisher.record, cluster.publisher.problem)
            self.hub = Hub(self.service, cluster.users, cluster.journal)
        await self.service.start(self.hub.install)
        await self.hub.start()
        _, self.port = await self.service.listen("127.0.0.1", self.port, ssl_context)

    async def stop(self) -> None:
        await self.service.close()
        await self.hub.close()
        await self._cluster.aclose()

    async def add_user(self, extension: str, numbers=(), **options) -> tuple[int, str]:
        """``hub add-user``, against the users' file or (with a broker) the bucket."""
        if self.broker is None:
            return self.add(extension, numbers, **options)
        new = new_user(extension, numbers, **options)
        async with user_commands(self.broker) as users:
            user = await users.add(new)
        return user.id, new.token

    async def remove_users(self, extension: str) -> None:
        """``hub remove-user --extension``, as another process does it."""
        if self.broker is None:
            admin = Users(self.paths.hub_users)
            admin.remove([user.id for user in admin.with_extension(extension)])
            admin.close()
            return
        async with user_commands(self.broker) as users:
            await users.remove({user.id for user in await users.load() if user.extension == extension})

    def url(self, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}"

    def add(self, extension: str, numbers=(), **options) -> tuple[int, str]:
        user, token = self.users.add(extension, numbers, **options)
        return user.id, token

    async def post(self, name: str, **fields) -> None:
        await self.post_tls(name, None, **fields)

    async def post_tls(self, name: str, ssl_context: ssl.SSLContext | None, **fields: object) -> None:
        """Post a webhook, over HTTPS trusting ``ssl_context`` when given."""
        event_type = event_type_of(name)
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
        self.bus.subscribe(self._delivered)
        self.writer: Writer | None = None
        self.client: HubClient | None = None

    def _delivered(self, delivery: Delivery) -> None:
        self.got.append(delivery)

    def _state(self, state: str, detail: str) -> None:
        self.states.append(state)

    async def connect(self, url: str, token: str, ssl_context: ssl.SSLContext | None = None) -> None:
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
        """Wait for ``condition``; on a timeout, say what arrived and the connection's states."""
        await eventually(condition, timeout, what=lambda: f"got {self.ids()}, states {self.states}")

    def ids(self) -> list[str]:
        """What arrived, as type:key, in order."""
        return [f"{d.event.TYPE}:{_key(d.event)}" for d in self.got]


def _key(event) -> str:
    if isinstance(event, ExtensionUpdated):
        return f"{event.extension}={event.status}"
    return event.key if isinstance(event, TextMessageReceived) else event.id
