"""Keeping a tunnel up: start the tool, restart it with backoff when it ends, stop it on quit.

Every change of state goes to the observers, as a ``TunnelState`` whose text
is what the tray's tooltip and the headless line say.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from intulse_desktop.tunnel.cloudflared import Cloudflared
from intulse_desktop.tunnel.ngrok import Ngrok
from intulse_desktop.tunnel.tailscale import Tailscale
from intulse_desktop.tunnel.tools import Opened, Tool, TunnelError, find_executable

log = logging.getLogger(__name__)

TOOLS: dict[str, type[Tool]] = {"cloudflared": Cloudflared, "ngrok": Ngrok, "tailscale": Tailscale}
FIRST_DELAY = 1.0  # seconds before the first restart; doubled each time, up to MAX_DELAY
MAX_DELAY = 60.0
STABLE_AFTER = 60.0  # a tunnel up this long starts the backoff afresh when it ends


class Phase(StrEnum):
    STARTING = "starting"
    UP = "up"
    RESTARTING = "restarting"
    FAILED = "failed"  # will not start again by itself (the tool is missing)
    STOPPED = "stopped"


@dataclass(frozen=True)
class TunnelState:
    tool: str
    phase: Phase
    address: str | None = None  # while UP
    reason: str = ""  # why it is RESTARTING or FAILED

    def __str__(self) -> str:
        if self.phase is Phase.UP:
            return f"Reachable at {self.address} ({self.tool})"
        if self.phase is Phase.STARTING:
            return f"Starting the {self.tool} tunnel…"
        if self.phase is Phase.RESTARTING:
            return f"Tunnel restarting — {self.reason}"
        if self.phase is Phase.FAILED:
            return f"No tunnel — {self.reason}; the receiver works on this computer only"
        return "Tunnel stopped"


def missing(tool: str, configured: str | None) -> str:
    where = f"at tunnel_path {configured}" if configured else "on PATH"
    return f"{tool} was not found {where}: install it, or set tunnel_path to where it is"


class Supervisor:
    """Runs one tool for ``target`` (the receiver's local URL) until ``stop``."""

    def __init__(
        self,
        tool: Tool,
        target: str,
        configured_path: str | None = None,
        *,
        first_delay: float = FIRST_DELAY,
        max_delay: float = MAX_DELAY,
    ) -> None:
        self.tool = tool
        self.target = target
        self.configured_path = configured_path
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.state = TunnelState(tool.name, Phase.STOPPED)
        self._observers: list[Callable[[TunnelState], None]] = []
        self._task: asyncio.Task[None] | None = None
        self._opened: Opened | None = None

    @property
    def pid(self) -> int | None:
        """The tool's process while it runs (None for Tailscale, whose daemon does the work)."""
        return self._opened.pid if self._opened is not None else None

    def subscribe(self, observer: Callable[[TunnelState], None]) -> Callable[[], None]:
        self._observers.append(observer)
        return lambda: self._observers.remove(observer)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._keep_up(), name=f"{self.tool.name} tunnel")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.state.phase is not Phase.FAILED:
            self._set(TunnelState(self.tool.name, Phase.STOPPED))

    async def _keep_up(self) -> None:
        name = self.tool.name
        delay = self.first_delay
        self._set(TunnelState(name, Phase.STARTING))
        while True:
            executable = find_executable(name, self.configured_path)
            if executable is None:
                self._set(TunnelState(name, Phase.FAILED, reason=missing(name, self.configured_path)))
                return
            try:
                self._opened = await self.tool.open(executable, self.target)
            except TunnelError as exc:
                why = str(exc)
            else:
                try:
                    self._set(TunnelState(name, Phase.UP, self._opened.address))
                    since = time.monotonic()
                    why = await self._opened.ended()
                    if time.monotonic() - since >= STABLE_AFTER:
                        delay = self.first_delay
                finally:
                    opened, self._opened = self._opened, None
                    await asyncio.shield(opened.close())
            self._set(TunnelState(name, Phase.RESTARTING, reason=f"{why}; starting it again in {delay:g} s"))
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_delay)

    def _set(self, state: TunnelState) -> None:
        self.state = state
        log.debug("%s", state)  # the observers say it (headless: a line on stderr; the GUI: its log)
        for observer in list(self._observers):
            try:
                observer(state)
            except Exception:
                log.exception("a tunnel observer failed")
