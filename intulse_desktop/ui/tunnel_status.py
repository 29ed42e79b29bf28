"""The managed tunnel in the GUI: its state as a line of the tray's tooltip, and what happens at
a new address (registered, old ones deleted, the delivery test) as a message from the tray.

The Settings dialog's webhook URLs read the running tunnel's address where the command line
does (``tunnel/published.py``); ``Change.TUNNEL`` tells it to look again.
"""

from __future__ import annotations

import logging

from intulse_desktop.tunnel.manager import ManagedTunnel, TunnelNews
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
