"""Tailscale Funnel: ``tailscale funnel --bg PORT`` hands the port to the tailscale daemon.

The command returns at once; the address is this machine's name in the tailnet,
``Self.DNSName`` of ``tailscale status --json`` (``"desk.tail1234.ts.net."``),
served as ``https://desk.tail1234.ts.net``. It does not change between starts,
so nothing is registered again unless it does. No process stays ours: the
tunnel is watched by asking the status now and then, and ended with
``tailscale funnel --https=443 off`` (what ``funnel --bg`` itself says to run).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any
from urllib.parse import urlsplit

from intulse_desktop.formatting import printable
from intulse_desktop.tunnel.tools import Opened, Tool, TunnelError

COMMAND_TIMEOUT = 20.0
WATCH_INTERVAL = 30.0  # seconds between status checks while the funnel runs


async def run(argv: list[str]) -> tuple[int, str]:
    """Exit code and output (stdout and stderr together) of a short tailscale command."""
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
    except OSError as exc:
        raise TunnelError(f"cannot start tailscale ({argv[0]}): {exc.strerror or exc}") from None
    try:
        async with asyncio.timeout(COMMAND_TIMEOUT):
            output, _ = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise TunnelError(f"`tailscale {argv[1]}` did not answer within {COMMAND_TIMEOUT:g} s") from None
    return process.returncode or 0, output.decode("utf-8", "replace")


def last_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return printable(lines[-1])[:300] if lines else "no reason given"


def address_in(status: str) -> str:
    """The funnel's address from ``tailscale status --json``; ``TunnelError`` saying why there is none."""
    try:
        data: Any = json.loads(status)
    except ValueError:
        raise TunnelError("tailscale status --json did not answer with JSON") from None
    if not isinstance(data, dict):
        raise TunnelError("tailscale status --json answered in a shape this version cannot read")
    state = data.get("BackendState")
    if state != "Running":
        raise TunnelError(
            f"tailscale is not connected (its state: {printable(str(state))}); run `tailscale up`"
        )
    own = data.get("Self")
    name = own.get("DNSName") if isinstance(own, dict) else None
    if not isinstance(name, str) or not name.strip("."):
        raise TunnelError("tailscale status --json gives this machine no DNS name (is MagicDNS on?)")
    return f"https://{name.strip('.')}"


class Funnel(Opened):
    def __init__(self, executable: str, address: str) -> None:
        self._executable = executable
        self.address = address

    async def ended(self) -> str:
        while True:
            await asyncio.sleep(WATCH_INTERVAL)
            try:
                address = await status_address(self._executable)
            except TunnelError as exc:
                return str(exc)
            if address != self.address:
                return f"tailscale's address changed to {address}"

    async def close(self) -> None:
        with contextlib.suppress(TunnelError):  # the daemon is gone, and its funnel with it
            await run([self._executable, "funnel", "--https=443", "off"])


async def status_address(executable: str) -> str:
    code, output = await run([executable, "status", "--json"])
    if code != 0:
        raise TunnelError(f"tailscale status failed (code {code}): {last_line(output)}")
    return address_in(output)


class Tailscale(Tool):
    name = "tailscale"

    async def open(self, executable: str, target: str) -> Opened:
        port = str(urlsplit(target).port)
        code, output = await run([executable, "funnel", "--bg", port])
        if code != 0:
            raise TunnelError(f"tailscale funnel failed (code {code}): {last_line(output)}")
        return Funnel(executable, await status_address(executable))
