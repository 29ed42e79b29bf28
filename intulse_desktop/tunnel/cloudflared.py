"""cloudflared's quick tunnel: ``cloudflared tunnel --url http://127.0.0.1:PORT``, no account needed.

Its address comes in a box in its log on stderr (the box is 94 characters wide)::

    2026-12-04T14:00:01Z INF +------------------------------------------ … --+
    2026-12-04T14:00:01Z INF |  Your quick Tunnel has been created! Visit it at (it may … |
    2026-12-04T14:00:01Z INF |  https://some-random-words.trycloudflare.com             … |
    2026-12-04T14:00:01Z INF +------------------------------------------ … --+

A new address every start: the manager registers the webhooks again.
"""

from __future__ import annotations

import re

from intulse_desktop.tunnel.tools import Opened, ProcessTunnel, Tool

_BOXED_URL = re.compile(r"\|\s+(https?://[^\s|]+)\s+\|")
_LEVEL = re.compile(r"^\S+\s+(ERR|WRN|INF|DBG)\s+(.*)$")


def address_in(line: str) -> str | None:
    """The URL in a line of the banner's box."""
    match = _BOXED_URL.search(line)
    return match.group(1).rstrip("/") if match else None


def reason_in(line: str) -> str | None:
    """An error line's text without its time stamp and level (the reason it stopped)."""
    match = _LEVEL.match(line)
    if match is None:
        return line
    return match.group(2) if match.group(1) == "ERR" else None


class Cloudflared(Tool):
    name = "cloudflared"

    async def open(self, executable: str, target: str) -> Opened:
        argv = [executable, "tunnel", "--no-autoupdate", "--url", target]
        tunnel = await ProcessTunnel.start(self.name, argv, output="stderr", summary=reason_in)
        await tunnel.read_address(address_in)
        return tunnel
