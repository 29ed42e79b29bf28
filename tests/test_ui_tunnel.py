"""The managed tunnel in the GUI: the tray's tooltip says where the app is reachable, a call posted
to the tunnel's public address pops up, and Settings shows the tunnel's URLs."""

from __future__ import annotations

import gc

import aiohttp
import pytest

from intulse_desktop.tunnel.manager import ManagedTunnel
from intulse_desktop.tunnel.published import publish
from intulse_desktop.tunnel.supervisor import Phase, TunnelState
from intulse_desktop.ui.cards import CallCard
from intulse_desktop.ui.desktop import Change
from intulse_desktop.ui.tunnel_status import TunnelKeeper

from .helpers.builders import SECRET, payload
from .helpers.net import closed_port
from .helpers.waiting import run_until

# The tunnel's delivery test gets its answer on the qasync loop before aiohttp (3.14 on Python
# 3.11) has stepped the task that writes the request's body; the request is complete, but that
# task's coroutine is reported as never awaited when it is collected.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <coroutine object ClientRequest.write_bytes"
    ":pytest.PytestUnraisableExceptionWarning"
)

ADDRESS = "https://grain-regions-lots-seller.trycloudflare.com"


@pytest.fixture
def keeper(desktop, qloop, fake_tunnels):
    """The desktop's receiver listening on a free port, a cloudflared tunnel (the fake) in its
    settings, and the keeper that runs it, as the tray app does."""
    qloop.run_until_complete(desktop.service.receive_locally("127.0.0.1", 0))
    desktop.save_settings(desktop.settings.with_values({"tunnel": "cloudflared"}))
    keeper = TunnelKeeper(desktop)
    qloop.run_until_complete(keeper.start())
    yield keeper
    # Let the delivery test after the latest address finish: quitting in the midst of it is
    # fine for the app, but leaves aiohttp's unawaited request behind for the next test.
    run_until(qloop, lambda: desktop.tunnel is None or not desktop.tunnel.following)
    qloop.run_until_complete(keeper.stop())
    gc.collect()  # here, where the aiohttp warning filtered above is expected, not in a later test


@pytest.fixture
def tunnel(desktop, keeper) -> ManagedTunnel:
    return desktop.tunnel


def tooltip(desktop) -> str:
    return desktop.tray.icon.toolTip()


@pytest.mark.posix
def test_the_tooltip_says_where_the_app_is_reachable(desktop, qloop, tunnel):
    run_until(qloop, lambda: tunnel.address, what=lambda: tooltip(desktop))
    run_until(qloop, lambda: f"Reachable at {tunnel.address} (cloudflared)" in tooltip(desktop))


@pytest.mark.posix
def test_the_tooltip_says_why_the_tunnel_restarts(desktop, qloop, tunnel, fake_tunnels):
    run_until(qloop, lambda: tunnel.address and not tunnel.following)
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


@pytest.mark.posix
def test_choosing_no_tunnel_in_settings_stops_it(desktop, qloop, tunnel, fake_tunnels):
    run_until(qloop, lambda: tunnel.address)
    run_until(qloop, lambda: not tunnel.following)
    desktop.save_settings(desktop.settings.with_values({"tunnel": "none"}))
    run_until(qloop, lambda: desktop.tunnel is None and "Reachable" not in tooltip(desktop))
    assert tunnel.state.phase is Phase.STOPPED


@pytest.mark.posix
def test_a_receiver_moved_to_another_port_takes_the_tunnel_along(desktop, qloop, tunnel, fake_tunnels):
    run_until(qloop, lambda: tunnel.address and not tunnel.following)
    port = closed_port()
    qloop.run_until_complete(desktop.apply_settings(desktop.settings.with_values({"listen_port": port})))
    run_until(qloop, lambda: desktop.tunnel is not tunnel and desktop.tunnel and desktop.tunnel.address)
    assert fake_tunnels.runs("cloudflared")[-1][-1] == f"http://127.0.0.1:{port}"
