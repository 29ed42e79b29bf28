"""The managed tunnel in the GUI: its state as a line of the tray's tooltip, and what happens at
a new address (registered, old ones deleted, the delivery test) as a message from the tray.

The Settings dialog's webhook URLs read the running tunnel's address where the command line
does (``tunnel/published.py``); ``Change.TUNNEL`` tells it to look again.
"""

from __future__ import annotations

import logging

from intulse_desktop.settings import Settings
from intulse_desktop.tunnel.manager import ManagedTunnel, TunnelNews
from intulse_desktop.tunnel.supervisor import Phase
from intulse_desktop.ui.desktop import Change, Desktop

log = logging.getLogger(__name__)

TITLE = "Intulse Desktop tunnel"


def show_tunnel(desktop: Desktop, tunnel: ManagedTunnel) -> None:
    """From now on ``desktop`` shows ``tunnel``'s state and tells what it did."""
    desktop.tunnel = tunnel

    def heard(news: TunnelNews) -> None:
        log.log(logging.INFO if news.ok else logging.WARNING, "%s", news.message)
        desktop.refresh_tray()
        desktop.changed.emit(Change.TUNNEL)
        if news.message != str(news.state):  # a registration or test outcome, not a state change
            desktop.tray.tell(TITLE, news.message, news.ok)

    tunnel.subscribe(heard)


def tunnel_settings(settings: Settings) -> tuple[str, str, str | None]:
    """What decides which tunnel runs: where events come from, the tool, and its program."""
    return settings.receive_from, settings.tunnel, settings.tunnel_path


async def follow_tunnel_setting(desktop: Desktop, restart: bool) -> ManagedTunnel | None:
    """Run the tunnel the settings ask for now (the set-up assistant changes them while the app
    runs): keep the one running if it is that tool, unless ``restart`` (its settings changed) or
    it gave up; stop it if none is wanted. The tunnel that runs afterwards, if any."""
    settings = desktop.settings
    wanted = settings.tunnel if settings.receive_from == "computer" else "none"
    current = desktop.tunnel
    if current is not None:
        state = current.state
        if not restart and state.tool == wanted and state.phase not in (Phase.FAILED, Phase.STOPPED):
            return current
        await current.stop()
        desktop.tunnel = None
        desktop.refresh_tray()
    address = desktop.service.address
    tunnel = ManagedTunnel.for_service(wanted, desktop.service, desktop.secrets) if address else None
    if tunnel is not None and address is not None:
        show_tunnel(desktop, tunnel)
        tunnel.start(address)
    return tunnel
