"""The receiver, the log writer and the bus, started and stopped together.

Headless mode, the tray app and the hub all run one ``Service``; the GUI is
only one more subscriber on its bus.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable

from aiohttp import web

from intulse_desktop.bus import Bus
from intulse_desktop.connections import GuardedSite
from intulse_desktop.paths import Paths
from intulse_desktop.receiver import Receiver, server_options
from intulse_desktop.settings import Settings
from intulse_desktop.store.writer import Writer

log = logging.getLogger(__name__)

DRAIN_TIMEOUT = 7.0  # deliveries under way get this long to finish; exit stays under 10 s
SHUTDOWN_TIMEOUT = 1.0  # then aiohttp closes what is left


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
    ) -> None:
        self.paths = paths
        self.settings = settings
        self.bus = Bus()
        self.writer = Writer(paths.database, settings.default_region, journal=journal)
        self.receiver = Receiver(self.writer, self.bus, secret, settings.matcher())
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self.address: tuple[str, int] | None = None

    async def start(self, extend: Callable[[web.Application], None] | None = None) -> None:
        """Open the log and prepare the web application (plus ``extend``'s routes); ``listen`` binds it."""
        await self.writer.start()
        self._runner = web.AppRunner(
            self.receiver.app(extend),
            **server_options(),
            shutdown_timeout=SHUTDOWN_TIMEOUT,
            handle_signals=False,
        )
        await self._runner.setup()

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
        """Receive no more webhooks here (events come from an office hub instead)."""
        site, self._site = self._site, None
        self.address = None
        if site is not None:
            await site.stop()

    def apply(self, settings: Settings) -> None:
        """Take new settings that need no rebinding (who I am, my numbers, region)."""
        self.settings = settings
        self.receiver.matcher = settings.matcher()
        self.writer.region = settings.default_region

    async def close(self) -> None:
        """Stop accepting, let deliveries under way finish, then close the log."""
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
