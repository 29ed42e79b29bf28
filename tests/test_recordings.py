"""Fetching recordings into the cache: the API key only for Intulse, clear failures, eviction."""

from __future__ import annotations

import asyncio
import os
import time

import aiohttp
import pytest
from aiohttp import web

from intulse_desktop import fetch_rules
from intulse_desktop.recordings import Fetcher, FetchError, MediaCache, save_name

from .helpers.builders import API_KEY, wav_bytes
from .helpers.net import closed_port

WAV = wav_bytes()


class Server:
    """Serves /rec.wav; ``needs_key`` paths answer 401 without the key; records every request."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None]] = []
        self.url = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/{name:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        key = request.headers.get("X-API-Key")
        self.seen.append((request.path, key))
        name = request.match_info["name"]
        if name.startswith("locked/"):
            if key != API_KEY:
                return web.Response(status=401 if "401" in name else 403)
            if name.endswith("redirect.wav"):
                raise web.HTTPFound("/elsewhere/rec.wav")
        if name.startswith("slow"):
            await asyncio.sleep(5)
        if name == "missing.wav":
            return web.Response(status=404)
        if name == "huge.wav":
            return web.Response(body=WAV * 2, content_type="audio/wav")
        if name in ("streamed.wav", "broken.wav"):
            response = web.StreamResponse()
            response.content_type = "audio/wav"
            if name == "broken.wav":
                response.content_length = len(WAV) * 2
            await response.prepare(request)
            await response.write(WAV)
            if name == "broken.wav":
                request.transport.close()  # the connection drops halfway
                return response
            await response.write(WAV * 3)
            await response.write_eof()
            return response
        return web.Response(body=WAV, content_type="audio/wav")

    def at(self, path: str) -> str:
        return f"{self.url}/{path}"


@pytest.fixture
async def server(aiohttp_server):
    fake = Server()
    running = await aiohttp_server(fake.app())
    fake.url = str(running.make_url("")).rstrip("/")
    return fake


@pytest.fixture
def cache(tmp_path):
    return MediaCache(tmp_path / "recordings")


@pytest.fixture(autouse=True)
def loopback_plays_a_public_host(monkeypatch):
    """The test server is on 127.0.0.1, which the real rule refuses (tests/test_fetch_rules.py)."""
    monkeypatch.setattr(fetch_rules, "is_public_address", lambda address: True)


@pytest.fixture
async def fetcher():
    """Makes fetchers, and closes their sessions afterwards."""
    made = []

    def make(cache, key=API_KEY, **options):
        made.append(Fetcher(cache, lambda: key, **options))
        return made[-1]

    yield make
    for each in made:
        await each.close()


def as_intulse(url: str) -> bool:
    """The test server plays an Intulse host (the real rule wants https on *.intulse.com)."""
    return True


def cache_files(cache):
    return sorted(p.name for p in cache.folder.iterdir()) if cache.folder.exists() else []


async def test_a_recording_is_fetched_whole_with_progress_and_then_served_from_the_cache(
    server, cache, fetcher
):
    progress = []
    path = await fetcher(cache).fetch(
        server.at("rec.wav"), lambda done, total: progress.append((done, total))
    )
    assert path.read_bytes() == WAV
    assert path.suffix == ".wav"
    assert progress[0] == (0, len(WAV))
    assert progress[-1] == (len(WAV), len(WAV))
    again = await fetcher(cache).fetch(server.at("rec.wav"))
    assert again == path
    assert len(server.seen) == 1
    assert server.seen[0] == ("/rec.wav", None)  # no key where none was asked for


@pytest.mark.parametrize("status", ["401", "403"])
async def test_an_intulse_host_that_refuses_is_asked_once_more_with_the_api_key(
    server, cache, status, fetcher
):
    path = await fetcher(cache, sends_key_to=as_intulse).fetch(server.at(f"locked/{status}/rec.wav"))
    assert path.read_bytes() == WAV
    assert [key for _, key in server.seen] == [None, API_KEY]


async def test_a_key_that_is_refused_too_is_said_so_without_showing_it(server, cache, fetcher):
    with pytest.raises(
        FetchError, match=r"refused the recording even with your Intulse API key \(HTTP 401\)"
    ) as err:
        await fetcher(cache, key="wrong-key-123456", sends_key_to=as_intulse).fetch(
            server.at("locked/401/rec.wav")
        )
    assert "wrong-key" not in str(err.value)
    assert [key for _, key in server.seen] == [None, "wrong-key-123456"]  # once more, not again and again


async def test_an_intulse_host_that_refuses_without_a_key_set_points_to_settings(server, cache, fetcher):
    with pytest.raises(FetchError, match=r"HTTP 401\). It may need your Intulse API key: set it in Settings"):
        await fetcher(cache, key=None, sends_key_to=as_intulse).fetch(server.at("locked/401/rec.wav"))
    assert len(server.seen) == 1


async def test_another_host_that_refuses_never_sees_the_key(server, cache, fetcher):
    # the real rule: 127.0.0.1 is not an Intulse host
    with pytest.raises(FetchError, match=r"127\.0\.0\.1 refused access to the recording \(HTTP 403\)"):
        await fetcher(cache).fetch(server.at("locked/403/rec.wav"))
    assert server.seen == [("/locked/403/rec.wav", None)]


async def test_the_key_does_not_follow_a_redirect_away_from_intulse(server, cache, fetcher):
    def only_locked(url):  # the "Intulse host" of this test
        return "/locked/" in url

    path = await fetcher(cache, sends_key_to=only_locked).fetch(server.at("locked/401/redirect.wav"))
    assert path.read_bytes() == WAV
    assert server.seen == [
        ("/locked/401/redirect.wav", None),
        ("/locked/401/redirect.wav", API_KEY),
        ("/elsewhere/rec.wav", None),
    ]


async def test_a_missing_recording_is_said_so(server, cache, fetcher):
    with pytest.raises(FetchError, match=r"The recording is no longer at 127\.0\.0\.1 \(HTTP 404\)"):
        await fetcher(cache).fetch(server.at("missing.wav"))
    assert cache_files(cache) == []


async def test_a_server_that_does_not_answer_times_out_with_a_clear_message(server, cache, fetcher):
    quick = aiohttp.ClientTimeout(total=None, connect=2, sock_read=0.2)
    with pytest.raises(FetchError, match=r"127\.0\.0\.1 did not answer in time"):
        await fetcher(cache, timeout=quick).fetch(server.at("slow.wav"))


async def test_no_network_is_said_so(cache, fetcher):
    with pytest.raises(FetchError, match=r"Cannot reach 127\.0\.0\.1\. Check the network connection"):
        await fetcher(cache).fetch(f"http://127.0.0.1:{closed_port()}/rec.wav")


@pytest.mark.parametrize("name", ["huge.wav", "streamed.wav"])  # told in advance, or found out while reading
async def test_a_recording_over_the_size_cap_is_refused_and_leaves_nothing(server, cache, name, fetcher):
    with pytest.raises(FetchError, match="larger than 0 MB. Open it in the browser"):
        await fetcher(cache, max_bytes=len(WAV) + 100).fetch(server.at(name))
    assert cache_files(cache) == []


async def test_a_download_that_breaks_off_leaves_no_half_file(server, cache, fetcher):
    with pytest.raises(FetchError, match="broke off"):
        await fetcher(cache).fetch(server.at("broken.wav"))
    assert cache_files(cache) == []


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/a.wav", "javascript:alert(1)", "http://[::1/a"]
)
async def test_only_web_links_are_fetched(cache, url, fetcher):
    with pytest.raises(FetchError, match="not a web link"):
        await fetcher(cache).fetch(url)


async def test_the_cache_evicts_the_least_recently_used_first(server, cache, fetcher):
    cache.max_bytes = 2 * len(WAV) + 10
    get = fetcher(cache).fetch
    first = await get(server.at("rec.wav?1"))
    second = await get(server.at("rec.wav?2"))
    past = time.time() - 60
    os.utime(first, (past, past - 10))
    os.utime(second, (past, past))
    assert await get(server.at("rec.wav?1")) == first  # used again: now the most recent
    third = await get(server.at("rec.wav?3"))
    assert first.exists()
    assert third.exists()
    assert not second.exists()
    assert len(server.seen) == 3


def test_stale_half_files_are_cleared(cache):
    cache.folder.mkdir(parents=True)
    stale, fresh = cache.folder / ".part-old", cache.folder / ".part-new"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"x")
    os.utime(stale, (time.time() - 7200,) * 2)
    cache.evict()
    assert not stale.exists()
    assert fresh.exists()


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://r.example.com/4821/call.wav", "call.wav"),
        ("https://r.example.com/rec.MP3?token=1", "rec.mp3"),
        ("https://r.example.com/a/..%2F..%2F.bashrc", "bashrc.mp3"),  # no way up, no hidden file
        ("https://r.example.com/x%5C..%5C..%5Cevil.exe", "evil.mp3"),  # a backslash separates too
        ("https://r.example.com/CON.wav", "recording-CON.wav"),  # a device on Windows
        ("https://r.example.com/a%00b%3C%3E:%22%7C%3F*.wav", "a_b.wav"),
        ("https://r.example.com/Anruf%20%E2%80%AEvaw.exe", "Anruf _vaw.mp3"),  # no right-to-left trick
        ("https://r.example.com/", "recording.mp3"),
    ],
)
def test_the_name_offered_for_saving_is_safe_and_ends_in_an_audio_extension(url, name):
    assert save_name(url) == name


def test_the_name_offered_takes_the_files_own_kind_when_the_link_has_none(tmp_path):
    file = tmp_path / "cached"
    file.write_bytes(WAV)
    assert save_name("https://r.example.com/download?id=7", file) == "download.wav"
