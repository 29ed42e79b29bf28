"""The managed tunnel in the GUI: the tray's tooltip says where the app is reachable, a call posted
to the tunnel's public address pops up, and Settings shows the tunnel's URLs."""

from __future__ import annotations

import aiohttp
import pytest

from intulse_desktop.secrets import SecretStore
from intulse_desktop.tunnel.manager import ManagedTunnel
from intulse_desktop.tunnel.published import publish
from intulse_desktop.tunnel.supervisor import Phase, TunnelState
from intulse_desktop.ui.cards import CallCard
from intulse_desktop.ui.desktop import Change
from intulse_desktop.ui.tunnel_status import show_tunnel

from .helpers.builders import SECRET, payload
from .helpers.tunnels import settled
from .helpers.waiting import run_until

ADDRESS = "https://grain-regions-lots-seller.trycloudflare.com"


@pytest.fixture
def tunnel(desktop, qloop, paths, fake_tunnels):
    """A cloudflared tunnel (the fake) to the desktop's receiver, shown by the desktop."""
    address = qloop.run_until_complete(desktop.service.receive_locally("127.0.0.1", 0))
    managed = ManagedTunnel("cloudflared", paths, desktop.settings, lambda: SECRET, SecretStore(paths))
    show_tunnel(desktop, managed)

    async def start() -> None:  # on the app's loop, as the app does
        managed.start(address)

    qloop.run_until_complete(start())
    news = []
    managed.subscribe(news.append)
    yield managed

    # Let the delivery test after the latest address finish: quitting in the midst of it is
    # fine for the app, but leaves aiohttp's unawaited request behind for the next test.
    run_until(qloop, lambda: settled([n.message for n in news]), what=lambda: str(news))
    qloop.run_until_complete(managed.stop())


def tooltip(desktop) -> str:
    return desktop.tray.icon.toolTip()


@pytest.mark.posix
def test_the_tooltip_says_where_the_app_is_reachable(desktop, qloop, tunnel):
    run_until(qloop, lambda: tunnel.address, what=lambda: tooltip(desktop))
    run_until(qloop, lambda: f"Reachable at {tunnel.address} (cloudflared)" in tooltip(desktop))


@pytest.mark.posix
def test_the_tooltip_says_why_the_tunnel_restarts(desktop, qloop, tunnel, fake_tunnels):
    run_until(qloop, lambda: tunnel.address)
    fake_tunnels.kill("cloudflared")
    run_until(qloop, lambda: "Tunnel restarting — cloudflared exited (code -9)" in tooltip(desktop))


@pytest.mark.posix
def test_a_call_posted_to_the_public_address_pops_up(desktop, qloop, tunnel):
    run_until(qloop, lambda: tunnel.address)

    async def post() -> int:
        url = f"{tunnel.address}/hooks/{SECRET}/CallStarted"
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, json=payload("CallStarted")) as answer,
        ):
            return answer.status

    assert qloop.run_until_complete(post()) == 200
    run_until(qloop, lambda: [c for c in desktop.cards.cards if isinstance(c, CallCard)])


def test_settings_shows_the_webhook_urls_at_the_tunnels_address(desktop, paths):
    publish(paths.tunnel_file, TunnelState("cloudflared", Phase.UP, ADDRESS))
    desktop.show_settings()
    page = desktop.windows["settings"].connection
    assert page.urls["CallStarted"].text() == f"{ADDRESS}/hooks/{SECRET}/CallStarted"
    assert page.urls_note.text().startswith(
        f"Through the cloudflared tunnel this app runs: Reachable at {ADDRESS} (cloudflared)."
    )


def test_settings_follows_the_tunnel_to_its_new_address(desktop, paths):
    publish(paths.tunnel_file, TunnelState("cloudflared", Phase.UP, ADDRESS))
    desktop.show_settings()
    page = desktop.windows["settings"].connection
    publish(paths.tunnel_file, TunnelState("cloudflared", Phase.UP, "https://new.trycloudflare.com"))
    desktop.changed.emit(Change.TUNNEL)
    assert page.urls["CallStarted"].text().startswith("https://new.trycloudflare.com/hooks/")
