"""The managed tunnel with the real receiver and the fake Intulse: each new address is registered,
the old one's registrations deleted, the delivery test run, and events arrive through it."""

from __future__ import annotations

import json

import aiohttp
import pytest

from intulse_desktop.events import EVENT_TYPES
from intulse_desktop.secrets import SecretStore
from intulse_desktop.service import Service
from intulse_desktop.settings import Settings
from intulse_desktop.tunnel.manager import ManagedTunnel, TunnelNews
from intulse_desktop.tunnel.published import published
from intulse_desktop.tunnel.registration import Registered
from intulse_desktop.tunnel.supervisor import Phase

from .helpers.builders import SECRET, payload
from .helpers.tunnels import settled
from .helpers.waiting import eventually

pytestmark = pytest.mark.posix  # the fake tools are shell scripts on PATH

OLD = "http://127.0.0.1:9"  # a tunnel address of an earlier run


@pytest.fixture
async def service(paths):
    service = Service(paths, Settings(extension="204"), SECRET)
    await service.start()
    await service.listen("127.0.0.1", 0)
    yield service
    await service.close()


@pytest.fixture
async def tunnel(fake_tunnels, paths, service):
    """A cloudflared tunnel to the receiver, and everything it said (``tunnel.news``)."""
    managed = ManagedTunnel(
        "cloudflared", paths, service.settings, lambda: SECRET, SecretStore(paths), first_delay=0.1
    )
    news: list[TunnelNews] = []
    managed.subscribe(news.append)
    managed.news = news  # type: ignore[attr-defined]
    yield managed
    await managed.stop()


def start(tunnel: ManagedTunnel, service: Service) -> None:
    assert service.address is not None
    tunnel.start(service.address)


def said(tunnel) -> list[str]:
    return [n.message for n in tunnel.news]


async def until_tested(tunnel) -> None:
    """Until the tunnel is up and the delivery test after its latest change has run."""
    await eventually(lambda: tunnel.address and settled(said(tunnel)), what=lambda: said(tunnel))


def registered_urls(intulse_registry) -> dict[str, str]:
    return {w["Type"]: w["Url"] for w in intulse_registry.listing}


async def test_the_webhooks_are_registered_at_the_tunnels_address(intulse_registry, service, tunnel):
    start(tunnel, service)
    await until_tested(tunnel)
    address = tunnel.address
    assert registered_urls(intulse_registry) == {t: f"{address}/hooks/{SECRET}/{t}" for t in EVENT_TYPES}
    assert f"Registered the 4 webhooks at {address}" in said(tunnel)


async def test_the_delivery_test_goes_through_the_tunnel(intulse_registry, service, tunnel):
    heard = []
    service.bus.subscribe_tests(heard.append)
    start(tunnel, service)
    await until_tested(tunnel)
    assert said(tunnel)[-1].startswith("Test delivery through the tunnel: ok, arrived in ")
    assert [n.event_type for n in heard] == ["CallStarted"]


async def test_an_event_posted_to_the_public_address_is_delivered(intulse_registry, service, tunnel):
    heard = []
    service.bus.subscribe(heard.append)
    start(tunnel, service)
    await eventually(lambda: tunnel.address)
    url = f"{tunnel.address}/hooks/{SECRET}/CallStarted"
    async with aiohttp.ClientSession() as session, session.post(url, json=payload("CallStarted")) as response:
        assert response.status == 200
    await eventually(lambda: heard)
    assert heard[0].event.TYPE == "CallStarted"


async def test_a_restarted_tunnel_moves_the_webhooks_and_deletes_the_old_ones(
    intulse_registry, service, tunnel, fake_tunnels, paths
):
    start(tunnel, service)
    await until_tested(tunnel)
    first = tunnel.address
    fake_tunnels.kill("cloudflared")
    await eventually(lambda: tunnel.address not in (None, first))
    await until_tested(tunnel)
    second = tunnel.address
    assert registered_urls(intulse_registry) == {t: f"{second}/hooks/{SECRET}/{t}" for t in EVENT_TYPES}
    assert len(intulse_registry.made("DELETE")) == 4
    assert f"Deleted the 4 old registrations at {first}" in said(tunnel)
    assert Registered.load(paths.tunnel_registrations) == Registered(second, [])


async def test_registrations_left_by_an_earlier_run_are_deleted(intulse_registry, service, tunnel, paths):
    intulse_registry.listing = [
        {"Id": 90 + i, "Url": f"{OLD}/hooks/{SECRET}/{t}", "Type": t} for i, t in enumerate(EVENT_TYPES)
    ]
    intulse_registry.listing.append(
        {"Id": 99, "Url": "https://other.example/hooks/x/CallStarted", "Type": "CallStarted"}
    )
    Registered(OLD).save(paths.tunnel_registrations)
    start(tunnel, service)
    await until_tested(tunnel)
    urls = sorted(w["Url"] for w in intulse_registry.listing)
    assert not any(url.startswith(OLD) for url in urls)
    assert "https://other.example/hooks/x/CallStarted" in urls  # not this app's: left alone


async def test_an_old_address_that_cannot_be_deleted_is_kept_to_try_again(
    intulse_registry, service, tunnel, paths
):
    intulse_registry.answers[("DELETE", "/webhooks/90")] = (500, "")
    intulse_registry.listing = [{"Id": 90, "Url": f"{OLD}/hooks/{SECRET}/CallStarted", "Type": "CallStarted"}]
    Registered(OLD).save(paths.tunnel_registrations)
    start(tunnel, service)
    await until_tested(tunnel)
    assert Registered.load(paths.tunnel_registrations) == Registered(tunnel.address, [OLD])
    assert any(
        m.startswith(f"Could not delete the old registrations at {OLD}: HTTP 500") for m in said(tunnel)
    )


async def test_without_an_api_key_it_says_the_urls_changed(fake_intulse, service, tunnel):
    start(tunnel, service)
    await until_tested(tunnel)
    assert (
        f"The webhook URLs are now at {tunnel.address}/hooks/…: register them with Intulse"
        in said(tunnel)[-2]
    )
    assert not fake_intulse.requests


async def test_the_running_tunnel_is_published_for_the_command_line(intulse_registry, service, tunnel, paths):
    start(tunnel, service)
    await eventually(lambda: tunnel.address)
    shown = published(paths.tunnel_file)
    assert shown is not None
    assert (shown.tool, shown.address) == ("cloudflared", tunnel.address)
    await tunnel.stop()
    assert published(paths.tunnel_file) is None
    assert not paths.tunnel_file.exists()


async def test_a_missing_tool_leaves_the_receiver_working_here(service, paths, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    managed = ManagedTunnel("ngrok", paths, service.settings, lambda: SECRET, SecretStore(paths))
    start(managed, service)
    await eventually(lambda: managed.state.phase is Phase.FAILED)
    assert "ngrok was not found on PATH" in str(managed.state)
    host, port = service.address
    url = f"http://{host}:{port}/hooks/{SECRET}/CallStarted"
    async with aiohttp.ClientSession() as session, session.post(url, json=payload("CallStarted")) as response:
        assert json.loads(await response.text())["stored"] is True
    await managed.stop()
