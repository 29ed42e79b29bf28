"""Where events come from, and the log they go into: one owner for both.

Headless mode, the tray app and the hub all run one ``Service``; the GUI is
only one more subscriber. Events come either from this computer's receiver
(``receive_locally``) or from an office hub (``receive_from_hub``), never both;
the webhook secret, flushing the log and pruning it by age are decided here too,
so no caller reaches into the receiver, the writer or the bus.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Callable
from typing import TypeVar

from aiohttp import web

from intulse_desktop.bus import Bus, Subscriber, TestSubscriber
from intulse_desktop.connections import GuardedSite
from intulse_desktop.contacts.sync import ContactsSync
from intulse_desktop.hub.client import HubClient, State
from intulse_desktop.paths import Paths
from intulse_desktop.receiver import Receiver, Recorder, server_options
from intulse_desktop.settings import Settings
from intulse_desktop.store import Store
from intulse_desktop.store.retention import keep_pruned
from intulse_desktop.store.writer import Writer

log = logging.getLogger(__name__)

DRAIN_TIMEOUT = 7.0  # deliveries under way get this long to finish; exit stays under 10 s
SHUTDOWN_TIMEOUT = 1.0  # then aiohttp closes what is left
NO_HUB_YET = "no hub address or token yet"

T = TypeVar("T")
HubObserver = Callable[[State, str], None]


class ReceiverError(OSError):
    """The receiver cannot listen where it was asked to (port taken, no such address)."""


class Service:
    def __init__(
        self,
        paths: Paths,
        settings: Settings,
        secret: str,
        *,
        journal: bool = False,
        carddav_password: Callable[[], str | None] | None = None,
    ) -> None:
        """``carddav_password``: where the CardDAV app password is read; with it, the contacts
        are synced from ``carddav_url`` while the service runs (``contacts``)."""
        self.paths = paths
        self.settings = settings
        self.bus = Bus()
        self.writer = Writer(paths.database, settings.default_region, journal=journal)
        self.receiver = Receiver(self.writer, self.bus, secret, settings.matcher())
        self._hub = HubClient(
            self.writer, self.bus, lambda: self.receiver.matcher, on_state=self._hub_changed
        )
        self._hub_observers: list[HubObserver] = []
        self._hub_state: tuple[State, str] | None = None
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self.address: tuple[str, int] | None = None
        self._pruning: asyncio.Task[None] | None = None
        self._pruning_days: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.contacts: ContactsSync | None = None
        if carddav_password is not None:
            self.contacts = ContactsSync(lambda: self.settings, carddav_password, self.write)
        self._syncing: asyncio.Task[None] | None = None

    async def start(self, extend: Callable[[web.Application], None] | None = None) -> None:
        """Open the log and prepare the web application (plus ``extend``'s routes); ``listen`` binds it."""
        self._loop = asyncio.get_running_loop()
        await self.writer.start()
        if self.contacts is not None:
            self._syncing = self._loop.create_task(self.contacts.keep_synced())
        self._runner = web.AppRunner(
            self.receiver.app(extend),
            **server_options(),
            shutdown_timeout=SHUTDOWN_TIMEOUT,
            handle_signals=False,
        )
        await self._runner.setup()

    # --- where events come from ----------------------------------------------------------

    async def listen(
        self, host: str, port: int, ssl_context: ssl.SSLContext | None = None
    ) -> tuple[str, int]:
        """Listen on ``host:port``; on failure the old address (if any) keeps working."""
        assert self._runner is not None, "start() first"
        site = GuardedSite(self._runner, host, port, ssl_context=ssl_context)
        try:
            await site.start()
        except OSError as exc:
            raise ReceiverError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        old, self._site = self._site, site
        if old is not None:
            await old.stop()
        bound_port = self._runner.addresses[0][1] if self._runner.addresses else port
        self.address = (host, bound_port)
        log.info("receiving webhooks on %s:%d", host, bound_port)
        return self.address

    async def stop_listening(self) -> None:
        """Receive no more webhooks here."""
        site, self._site = self._site, None
        self.address = None
        if site is not None:
            await site.stop()

    async def receive_locally(self, host: str, port: int) -> tuple[str, int]:
        """Events from this computer's receiver on ``host:port``; the office hub, if any, stops.

        Raises ``ReceiverError`` if it cannot listen there; then nothing changes.
        """
        address = await self.listen(host, port)
        await self._hub.stop()
        return address

    async def receive_from_hub(self, url: str, token: str) -> None:
        """Events from the office hub at ``url``; this computer's receiver stops listening.

        Without an address or a token the hub is reported as refusing this desktop.
        """
        await self.stop_listening()
        if not url or not token:
            await self._hub.stop()
            self._hub_changed("rejected", NO_HUB_YET)
            return
        await self._hub.connect(url, token)

    @property
    def hub_state(self) -> tuple[State, str] | None:
        """(state, detail) of the office hub connection; None while not receiving from one."""
        return self._hub_state

    def watch_hub(self, observer: HubObserver) -> Callable[[], None]:
        """Hear of every change of the hub connection's state; returns the function that stops it."""
        self._hub_observers.append(observer)
        return lambda: self._hub_observers.remove(observer)

    def _hub_changed(self, state: State, detail: str) -> None:
        self._hub_state = None if state == "stopped" else (state, detail)
        for observer in list(self._hub_observers):
            observer(state, detail)

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Hear of every event stored from now on; returns the function that stops listening."""
        return self.bus.subscribe(subscriber)

    def subscribe_tests(self, subscriber: TestSubscriber) -> Callable[[], None]:
        """Hear of test deliveries from now on; returns the function that stops listening."""
        return self.bus.subscribe_tests(subscriber)

    # --- the secret, the settings, the log ----------------------------------------------

    @property
    def secret(self) -> str:
        """The webhook secret in the URLs this receiver accepts."""
        return self.receiver.secret

    def rotate_secret(self, secret: str) -> None:
        """Accept ``secret`` from now on; URLs with the old one stop working at once."""
        self.receiver.secret = secret

    def store_with(self, record: Recorder, problem: Callable[[], str | None]) -> None:
        """Make each webhook's event durable with ``record`` before its 200, instead of in this log
        (a hub with ``--broker``: the NATS stream's publish ack); ``/healthz`` fails while ``problem``
        says why it cannot."""
        self.receiver.record = record
        self.receiver.problem = problem

    def apply(self, settings: Settings) -> None:
        """Take new settings that need no rebinding (who I am, my numbers, region)."""
        carddav = ("carddav_url", "carddav_user", "carddav_sync_minutes")
        changed = any(getattr(self.settings, key) != getattr(settings, key) for key in carddav)
        self.settings = settings
        self.receiver.matcher = settings.matcher()
        self.writer.region = settings.default_region
        if changed and self.contacts is not None:
            self.contacts.sync_soon()

    async def write(self, job: Callable[[Store], T]) -> T:
        """Run ``job`` on the log in its own turn among the writes (marking calls seen, say)."""
        return await self.writer.run(job)

    async def flush(self) -> None:
        """Return once everything accepted so far is committed."""
        await self.writer.run(lambda store: None)

    def keep_pruned(self, days: int | None, on_pruned: Callable[[], None] | None = None) -> None:
        """Delete what is older than ``days`` now, then daily, until ``close``; None keeps everything.

        Called again with other ``days`` it starts over; with the same, it changes nothing.
        """
        if self.pruning and days == self._pruning_days:
            return
        self._stop_pruning()
        self._pruning_days = days
        if days is not None:
            assert self._loop is not None, "start() first"
            self._pruning = self._loop.create_task(keep_pruned(self.writer, days, on_pruned=on_pruned))

    @property
    def pruning(self) -> bool:
        """Whether old calls and texts are being deleted (now or daily)."""
        return self._pruning is not None and not self._pruning.done()

    def _stop_pruning(self) -> None:
        task, self._pruning = self._pruning, None
        if task is not None:
            task.cancel()

    async def close(self) -> None:
        """Stop receiving, let deliveries under way finish, then close the log."""
        task = self._pruning
        self._stop_pruning()
        syncing, self._syncing = self._syncing, None
        for running in (task, syncing):
            if running is not None:
                running.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await running
        await self._hub.stop()
        if self._runner is not None:
            for site in list(self._runner.sites):
                await site.stop()  # no new connections
            if not await self.receiver.drain(DRAIN_TIMEOUT):
                log.warning(
                    "some deliveries did not finish within %g s; they were not acknowledged", DRAIN_TIMEOUT
                )
            await self._runner.cleanup()
            self._runner = None
            self._site = None
        await self.writer.close()
