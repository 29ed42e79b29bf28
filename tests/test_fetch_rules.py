"""What the app fetches from links in payloads: the key only for recording paths, public addresses
only (after DNS), a few at a time over one session."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from intulse_desktop import fetch_rules
from intulse_desktop.fetch_rules import is_intulse_media, is_public_address, may_send_key
from intulse_desktop.recordings import MAX_FETCHES, Fetcher, FetchError, MediaCache

from .helpers.builders import wav_bytes


@pytest.mark.parametrize(
    "url",
    [
        "https://recordings.intulse.com/4821/1.mp3",
        "https://Recordings.Intulse.com./4821/1.mp3",
        "https://api.intulse.com/recordings/4821.mp3",
        "https://dashboard.intulse.com/api/recording/4821/",
    ],
)
def test_the_key_may_go_to_intulse_recording_hosts_and_paths(url):
    assert may_send_key(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://recordings.intulse.com/1.mp3",  # not over https
        "https://intulse.com/r/1.mp3",  # an Intulse host, but not one that keeps recordings
        "https://www.intulse.com/recordings/1.mp3",
        "https://api.intulse.com/webhooks",  # the API host, another path
        "https://api.intulse.com/recordings/../webhooks",
        "https://api.intulse.com/recordings/%2e%2e/webhooks",
        "https://api.intulse.com/recordings/..%2Fwebhooks",
        "https://evilintulse.com/1.mp3",
        "https://recordings.intulse.com.evil.example/1.mp3",
        "https://recordings.example.com/recordings.intulse.com/1.mp3",
        "https://recordings.intulse.com@evil.example/1.mp3",
        "not a link",
    ],
)
def test_the_key_goes_nowhere_else(url):
    assert not may_send_key(url)


def test_previews_come_by_themselves_only_from_intulse_hosts():
    assert is_intulse_media("https://media.intulse.com/mms/5521/part.jpg")
    assert not is_intulse_media("http://media.intulse.com/mms/5521/part.jpg")
    assert not is_intulse_media("https://media.example.com/mms/5521/part.jpg")
    assert not is_intulse_media("https://intulse.com.evil.example/part.jpg")


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("127.0.0.1", False),
        ("::1", False),
        ("10.1.2.3", False),
        ("172.16.0.9", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # link-local: the cloud metadata service
        ("fe80::1%eth0", False),
        ("100.64.0.1", False),  # shared (carrier NAT, Tailscale)
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::ffff:127.0.0.1", False),  # IPv4 inside IPv6
        ("fd00::1", False),
    ],
)
def test_only_public_addresses_are_fetched_from(address, public):
    assert is_public_address(address) is public


class Slow:
    """Serves a small file after a moment; counts requests in flight and the connections used."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.most = 0
        self.requests = 0
        self.peers: set[object] = set()

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        self.peers.add(request.transport.get_extra_info("peername"))
        await asyncio.sleep(0.05)  # a slow server: the fetches overlap
        self.in_flight -= 1
        return web.Response(body=wav_bytes(0.01), content_type="audio/wav")


@pytest.fixture
async def slow(aiohttp_server):
    fake = Slow()
    app = web.Application()
    app.router.add_get("/{name}", fake.handle)
    server = await aiohttp_server(app)
    fake.url = str(server.make_url("")).rstrip("/")
    return fake


@pytest.fixture
async def fetcher(tmp_path):
    made = Fetcher(MediaCache(tmp_path / "cache"), lambda: None)
    yield made
    await made.close()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])  # by address, and by a name resolving to it
async def test_a_link_to_this_computer_is_refused_after_resolving_and_never_asked(slow, fetcher, host):
    url = slow.url.replace("127.0.0.1", host) + "/a.jpg"
    with pytest.raises(FetchError, match=f"{host} is this computer or on a private network"):
        await fetcher.fetch(url)
    assert slow.requests == 0


async def test_a_link_local_address_is_refused_without_a_connection(fetcher):
    with pytest.raises(FetchError, match=r"169\.254\.169\.254 is this computer or on a private network"):
        await fetcher.fetch("http://169.254.169.254/latest/meta-data/")


async def test_many_fetches_share_a_few_connections_a_few_at_a_time(slow, fetcher, monkeypatch):
    monkeypatch.setattr(fetch_rules, "is_public_address", lambda address: True)  # the server plays one
    paths = await asyncio.gather(*(fetcher.fetch(f"{slow.url}/{n}.wav") for n in range(3 * MAX_FETCHES)))
    assert len(set(paths)) == 3 * MAX_FETCHES
    assert slow.most == MAX_FETCHES
    assert len(slow.peers) <= MAX_FETCHES  # one session: connections are kept and reused
