"""The tunnel the settings ask for, with the Intulse webhooks following its address.

This is what the tray app, ``--headless``, the hub and the first-run assistant
use: ``start`` once the receiver listens, ``subscribe`` to hear each change in
words, ``address`` for the public address now, ``reregister`` to register at it
again, ``stop`` on quit. At each new address it registers the four webhooks
there (when an API key is set), deletes this app's registrations at the old
one, and runs the delivery test through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from intulse_desktop import APP_NAME
from intulse_desktop.delivery_check import DeliveryResult, check_delivery
from intulse_desktop.intulse_api import ApiUnavailable, IntulseApi
from intulse_desktop.paths import Paths
from intulse_desktop.secrets import SecretStore
from intulse_desktop.sender import Failure
from intulse_desktop.settings import Settings, local_url
from intulse_desktop.tunnel.published import publish, unpublish
from intulse_desktop.tunnel.registration import move_webhooks
from intulse_desktop.tunnel.supervisor import FIRST_DELAY, TOOLS, Phase, Supervisor, TunnelState

if TYPE_CHECKING:
    from intulse_desktop.service import Service

log = logging.getLogger(__name__)

# A new quick tunnel may take some seconds to be reachable: the delivery test tries again after these.
DELIVERY_RETRIES = (2.0, 4.0, 8.0, 16.0)


@dataclass(frozen=True)
class TunnelNews:
    """One thing to tell the user: the tunnel's state then, and what happened, in words."""

    state: TunnelState
    message: str
    ok: bool = True  # False: something to act on (a failed registration or test, a tunnel down)


class ManagedTunnel:
    def __init__(
        self,
        tool: str,
        paths: Paths,
        settings: Settings,
        secret: Callable[[], str],
        secrets: SecretStore,
        *,
        configured_path: str | None = None,
        first_delay: float = FIRST_DELAY,
    ) -> None:
        if tool not in TOOLS:
            raise ValueError(f"no tunnel tool {tool!r}: {', '.join(TOOLS)}")
        self.paths = paths
        self.settings = settings
        self.secret = secret
        self.secrets = secrets
        self._supervisor = Supervisor(TOOLS[tool](), "", configured_path, first_delay=first_delay)
        self._supervisor.subscribe(self._changed)
        self._observers: list[Callable[[TunnelNews], None]] = []
        self._handled: str | None = None  # the address whose registration ran (or runs) in this run
        self._follow: asyncio.Task[None] | None = None

    @property
    def state(self) -> TunnelState:
        return self._supervisor.state

    @property
    def address(self) -> str | None:
        """The public address while the tunnel is up, else None."""
        state = self._supervisor.state
        return state.address if state.phase is Phase.UP else None

    @property
    def following(self) -> bool:
        """Whether the registration and delivery test for the latest address are under way."""
        return self._follow is not None and not self._follow.done()

    @property
    def pid(self) -> int | None:
        return self._supervisor.pid

    def subscribe(self, observer: Callable[[TunnelNews], None]) -> Callable[[], None]:
        """Hear every change of state and every registration and test outcome, from now on."""
        self._observers.append(observer)
        return lambda: self._observers.remove(observer)

    @classmethod
    def for_service(
        cls, service: Service, settings: Settings, secrets: SecretStore, tool: str | None = None
    ) -> ManagedTunnel | None:
        """The tunnel for ``service``'s receiver: ``tool`` (``--tunnel``), else the ``tunnel``
        setting's; None for "none"."""
        tool = tool or settings.tunnel
        if tool == "none":
            return None
        secret = lambda: service.secret
        return cls(tool, service.paths, settings, secret, secrets, configured_path=settings.tunnel_path)

    def start(self, address: tuple[str, int]) -> None:
        """Open the tunnel to the receiver listening at ``address`` (host, port) and keep it open."""
        self._supervisor.target = local_url(*address)
        self._supervisor.start()

    async def stop(self) -> None:
        if self._follow is not None:
            self._follow.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._follow
        await self._supervisor.stop()
        unpublish(self.paths.tunnel_file)

    async def reregister(self) -> list[tuple[bool, str]]:
        """Register the webhooks at the current address (deleting this app's old ones); what
        happened, one (ok, line) a step."""
        address = self.address
        if address is None:
            return [(False, f"The tunnel has no address now ({self.state})")]
        no_key = (
            f"The webhook URLs are now at {address}/hooks/…: register them with Intulse "
            f"(`{APP_NAME} webhook-url` shows them), or store an API key and the app does it"
        )
        try:
            api = IntulseApi.from_secrets(self.settings, self.secrets, no_key=no_key)
        except ApiUnavailable as exc:
            return [(False, str(exc))]
        async with api:
            return await move_webhooks(api, address, self.secret(), self.paths.tunnel_registrations)

    async def test_delivery(self) -> DeliveryResult | None:
        """The delivery test through the tunnel, tried again while a new tunnel is not yet reachable."""
        for delay in (*DELIVERY_RETRIES, None):
            address = self.address
            if address is None:
                return None
            settings = self.settings.model_copy(update={"public_url": address})
            result = await check_delivery(settings, self.secret())
            if result.ok or not isinstance(result.kind, Failure) or delay is None:
                return result
            await asyncio.sleep(delay)
        return None  # pragma: no cover - the loop returns

    def _changed(self, state: TunnelState) -> None:
        publish(self.paths.tunnel_file, state)
        self._say(str(state), state.phase not in (Phase.RESTARTING, Phase.FAILED))
        if state.phase is Phase.UP and state.address != self._handled:
            self._handled = state.address
            if self._follow is not None:
                self._follow.cancel()
            self._follow = asyncio.create_task(self._follow_address(), name="webhooks follow the tunnel")

    async def _follow_address(self) -> None:
        try:
            for ok, line in await self.reregister():
                self._say(line, ok)
            result = await self.test_delivery()
        except Exception:
            log.exception("following the tunnel's new address failed")
            return
        if result is not None:
            detail = result.message if result.ok else f"{result.message}; {result.advice}"
            self._say(
                f"Test delivery through the tunnel: {'ok, ' if result.ok else 'FAILED, '}{detail}", result.ok
            )

    def _say(self, message: str, ok: bool = True) -> None:
        news = TunnelNews(self._supervisor.state, message, ok)
        for observer in list(self._observers):
            try:
                observer(news)
            except Exception:
                log.exception("a tunnel observer failed")
