"""The managed tunnel in the GUI: the one the settings ask for, its state as a line of the tray's
tooltip, and what happens at a new address (registered, old ones deleted, the delivery test) as a
message from the tray.

``TunnelKeeper`` follows the settings: another tool chosen (in Settings, or by a first-run
assistant saving ``tunnel``), the receiver moved to another port, or events now coming from an
office hub, and the tunnel is stopped, started or moved to match. The Settings dialog's webhook
URLs read the running tunnel's address where the command line does (``tunnel/published.py``);
``Change.TUNNEL`` tells it to look again.
"""

from __future__ import annotations

import asyncio
import logging

from intulse_desktop.tunnel.manager import ManagedTunnel, TunnelNews
from intulse_desktop.ui.desktop import Change, Desktop

log = logging.getLogger(__name__)

TITLE = "Intulse Desktop tunnel"

Wanted = tuple[str, tuple[str, int]] | None  # the tool, and the receiver's address it leads to


class TunnelKeeper:
    def __init__(self, desktop: Desktop) -> None:
        self.desktop = desktop
        self._running: Wanted = None
        self._switching = asyncio.Lock()
        desktop.changed.connect(self._follow)

    def wanted(self) -> Wanted:
        settings, address = self.desktop.settings, self.desktop.service.address
        if settings.tunnel == "none" or settings.receive_from == "hub" or address is None:
            return None
        return settings.tunnel, address

    async def start(self) -> None:
        """Run the tunnel the settings ask for (the receiver listens already)."""
        await self._switch()

    async def stop(self) -> None:
        self.desktop.changed.disconnect(self._follow)
        async with self._switching:
            await self._stop_running()

    def _follow(self, change: Change) -> None:
        if change in (Change.SETTINGS, Change.RECEIVER) and self.wanted() != self._running:
            self.desktop.tasks.spawn(self._switch(), "switching the tunnel")

    async def _switch(self) -> None:
        async with self._switching:
            wanted = self.wanted()
            if wanted == self._running:
                return
            await self._stop_running()
            self._running = wanted
            if wanted is not None:
                tool, address = wanted
                desktop = self.desktop
                tunnel = ManagedTunnel.for_service(desktop.service, desktop.settings, desktop.secrets, tool)
                assert tunnel is not None
                show_tunnel(self.desktop, tunnel)
                tunnel.start(address)
            self.desktop.refresh_tray()

    async def _stop_running(self) -> None:
        tunnel, self.desktop.tunnel = self.desktop.tunnel, None
        self._running = None
        if tunnel is not None:
            await tunnel.stop()
            self.desktop.changed.emit(Change.TUNNEL)


def show_tunnel(desktop: Desktop, tunnel: ManagedTunnel) -> None:
    """From now on ``desktop`` shows ``tunnel``'s state and tells what it did."""
    desktop.tunnel = tunnel

    def heard(news: TunnelNews) -> None:
        if desktop.tunnel is not tunnel:
            return  # one stopped in favour of another: its last words are not news
        log.log(logging.INFO if news.ok else logging.WARNING, "%s", news.message)
        desktop.changed.emit(Change.TUNNEL)  # the desktop refreshes the tray on every change
        if news.message != str(news.state):  # a registration or test outcome, not a state change
            desktop.tray.tell(TITLE, news.message, news.ok)

    tunnel.subscribe(heard)
