"""Call recordings (and texts' attachments) fetched once into a size-capped cache.

Whether Intulse's recording links need the API key is not documented. A 401 or
403 from one of its recording hosts and paths (``fetch_rules.may_send_key``) is
retried once with ``X-API-Key``; no other link ever sees the key, not even
through a redirect, and no message or log line carries it (nor a link's path or
query, which may hold a token of its own: messages name the host only).

Every fetch goes through one session, at most ``MAX_FETCHES`` at a time, and
only to public addresses (``fetch_rules.guarded_socket``, after DNS, redirects
included). A file enters the cache whole or not at all (written aside, then
renamed); the least recently used files go when the cache grows past its cap.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

import aiohttp

from intulse_desktop.fetch_rules import PrivateAddress, guarded_socket, may_send_key
from intulse_desktop.secrets import SecretsError

log = logging.getLogger(__name__)

MAX_CACHE_BYTES = 500 * 2**20
MAX_FILE_BYTES = 200 * 2**20  # a long call in WAV is ~100 MB; anything bigger opens in the browser
TIMEOUT = aiohttp.ClientTimeout(total=None, connect=15, sock_read=30)
MAX_REDIRECTS = 5
CHUNK = 64 * 1024
STALE_PART_SECONDS = 3600  # a half-written file left by a crash
API_KEY_HEADER = "X-API-Key"
AUDIO_SUFFIXES = {".mp3", ".wav", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".flac", ".amr", ".wma", ".gsm"}
_MAGIC = ((b"RIFF", ".wav"), (b"ID3", ".mp3"), (b"\xff\xfb", ".mp3"), (b"OggS", ".ogg"), (b"fLaC", ".flac"))
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(10)), *(f"lpt{n}" for n in range(10))}
MAX_FETCHES = 4  # at once, over one session: a text with many attachments cannot exhaust the descriptors

Progress = Callable[[int, int | None], None]  # bytes so far, bytes in all (None: not told)


class FetchError(Exception):
    """A recording that cannot be had; the message is written for the user."""


def web_host(url: str) -> str:
    """The host of an http(s) link; FetchError for anything else."""
    try:
        parts = urlsplit(url.strip())
        scheme, host = parts.scheme, parts.hostname
    except ValueError:  # e.g. a malformed IPv6 address
        scheme, host = "", None
    if scheme not in ("http", "https") or not host:
        raise FetchError("This is not a web link (only http and https recordings can be fetched).")
    return host


class MediaCache:
    """Files named by a hash of their link; the least recently used go first."""

    def __init__(self, folder: Path, max_bytes: int = MAX_CACHE_BYTES) -> None:
        self.folder = folder
        self.max_bytes = max_bytes

    def path_for(self, url: str) -> Path:
        suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
        if not (suffix[1:].isalnum() and len(suffix) <= 6):
            suffix = ""
        return self.folder / (hashlib.sha256(url.encode()).hexdigest()[:32] + suffix)

    def get(self, url: str) -> Path | None:
        path = self.path_for(url)
        try:
            os.utime(path)  # used now: the last to be evicted
        except FileNotFoundError:
            return None
        return path

    def writer(self) -> tuple[int, Path]:
        """A new file beside the cache's, to be renamed into place by ``keep``."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".part-", dir=self.folder)
        return fd, Path(name)

    def keep(self, part: Path, url: str) -> Path:
        path = self.path_for(url)
        os.replace(part, path)
        self.evict(keep=path)
        return path

    def evict(self, keep: Path | None = None) -> None:
        """Delete the least recently used files until the cache fits its cap."""
        files = []
        now = time.time()
        for entry in os.scandir(self.folder):
            if not entry.is_file():
                continue
            stat = entry.stat()
            if entry.name.startswith(".part-"):
                if now - stat.st_mtime > STALE_PART_SECONDS:
                    Path(entry.path).unlink(missing_ok=True)
                continue
            files.append((stat.st_mtime, stat.st_size, Path(entry.path)))
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files, key=lambda f: f[0]):
            if total <= self.max_bytes:
                break
            if path != keep:
                path.unlink(missing_ok=True)
                total -= size


class Fetcher:
    """Fetches a link into the cache. ``sends_key_to`` decides which links may carry the key.

    Its one session opens on the first fetch; ``close`` it when the app quits."""

    def __init__(
        self,
        cache: MediaCache,
        api_key: Callable[[], str | None],
        *,
        max_bytes: int = MAX_FILE_BYTES,
        timeout: aiohttp.ClientTimeout = TIMEOUT,
        sends_key_to: Callable[[str], bool] = may_send_key,
    ) -> None:
        self.cache = cache
        self._api_key = api_key
        self.max_bytes = max_bytes
        self._timeout = timeout
        self._sends_key_to = sends_key_to
        self._session: aiohttp.ClientSession | None = None
        self._turns = asyncio.Semaphore(MAX_FETCHES)  # waiting for one is not part of any timeout

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=MAX_FETCHES, socket_factory=guarded_socket)
            self._session = aiohttp.ClientSession(timeout=self._timeout, connector=connector)
        return self._session

    async def fetch(
        self, url: str, progress: Progress | None = None, *, max_bytes: int | None = None
    ) -> Path:
        """The file behind ``url`` (at most ``max_bytes``, else the fetcher's cap), from the cache or
        the network; FetchError says why not."""
        url = url.strip()
        host = web_host(url)
        cached = self.cache.get(url)
        if cached is not None:
            return cached
        async with self._turns:
            return await self._fetch(url, host, progress, max_bytes or self.max_bytes)

    async def _fetch(self, url: str, host: str, progress: Progress | None, max_bytes: int) -> Path:
        session = self._open()
        try:
            response = await self._get(session, url, None)
            try:
                refused = response.status in (401, 403) and self._sends_key_to(str(response.url))
                key = self._key() if refused else None
                if key:
                    log.info(
                        "%s refused a recording (HTTP %s): trying again with the API key",
                        host,
                        response.status,
                    )
                    response.release()
                    response = await self._get(session, url, key)
                self._check(response, key, refused, max_bytes)
                return await self._save(response, url, progress, max_bytes)
            finally:
                response.release()
        except TimeoutError:
            raise FetchError(
                f"{host} did not answer in time. Try again, or open the recording in the browser."
            ) from None
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, PrivateAddress):
                raise FetchError(
                    f"{host} is this computer or on a private network: links there are not fetched. "
                    "Open it in the browser if you trust it."
                ) from None
            raise FetchError(f"Cannot reach {host}. Check the network connection and try again.") from None
        except aiohttp.ClientPayloadError:
            raise FetchError(f"The download from {host} broke off. Try again.") from None
        except aiohttp.ClientError as exc:
            raise FetchError(f"Cannot fetch the recording from {host} ({type(exc).__name__}).") from None

    def _key(self) -> str | None:
        try:
            return self._api_key()
        except SecretsError as exc:
            raise FetchError(
                f"The recording needs your Intulse API key, which cannot be read: {exc}"
            ) from None

    async def _get(self, session: aiohttp.ClientSession, url: str, key: str | None) -> aiohttp.ClientResponse:
        """GET, following redirects by hand so the key goes to Intulse hosts only."""
        for _ in range(MAX_REDIRECTS + 1):
            headers = {API_KEY_HEADER: key} if key and self._sends_key_to(url) else {}
            response = await session.get(url, headers=headers, allow_redirects=False)
            location = response.headers.get("Location")
            if response.status not in (301, 302, 303, 307, 308) or not location:
                return response
            response.release()
            url = urljoin(url, location)
            web_host(url)  # a redirect to anything but http(s) goes no further
        raise FetchError(f"{web_host(url)} redirected the recording too many times.")

    def _check(
        self, response: aiohttp.ClientResponse, key: str | None, refused: bool, max_bytes: int
    ) -> None:
        status, host = response.status, response.url.host
        if status < 300:
            length = response.content_length
            if length is not None and length > max_bytes:
                raise FetchError(_too_large(max_bytes))
            return
        if status in (401, 403):
            if key:
                raise FetchError(
                    f"{host} refused the recording even with your Intulse API key (HTTP {status})."
                )
            if refused:
                raise FetchError(
                    f"{host} refused the recording (HTTP {status}). It may need your Intulse API key: "
                    "set it in Settings, or open the recording in the browser."
                )
            raise FetchError(f"{host} refused access to the recording (HTTP {status}).")
        if status in (404, 410):
            raise FetchError(f"The recording is no longer at {host} (HTTP {status}).")
        raise FetchError(f"{host} could not hand over the recording (HTTP {status}).")

    async def _save(
        self, response: aiohttp.ClientResponse, url: str, progress: Progress | None, max_bytes: int
    ) -> Path:
        total = response.content_length
        try:
            fd, part = self.cache.writer()
        except OSError as exc:
            raise FetchError(f"Cannot keep the recording in {self.cache.folder}: {exc.strerror}.") from None
        try:
            with os.fdopen(fd, "wb") as out:
                received = 0
                if progress:
                    progress(0, total)
                async for chunk in response.content.iter_chunked(CHUNK):
                    received += len(chunk)
                    if received > max_bytes:
                        raise FetchError(_too_large(max_bytes))
                    out.write(chunk)
                    if progress:
                        progress(received, total)
            return self.cache.keep(part, url)
        except OSError as exc:
            raise FetchError(f"Cannot keep the recording in {self.cache.folder}: {exc.strerror}.") from None
        finally:
            part.unlink(missing_ok=True)  # gone already if it was kept


def _too_large(max_bytes: int) -> str:
    return f"The recording is larger than {max_bytes // 2**20} MB. Open it in the browser instead."


def save_name(url: str, file: Path | None = None) -> str:
    """A file name to offer for saving ``url``: its last path segment once decoded (so ``%5C`` and
    ``..%2F`` separate, not survive), safe on every platform, with an audio extension (the file's
    own kind where it can be told from its first bytes)."""
    try:
        segment = re.split(r"[/\\]", unquote(urlsplit(url).path))[-1]
    except ValueError:
        segment = ""
    name = re.sub(r"[^\w .()-]", "_", segment).strip(" ._")[:100]  # letters of any script stay
    stem, dot, suffix = name.rpartition(".")
    stem, suffix = (stem, f".{suffix.lower()}") if dot else (name, "")
    stem = stem.strip(" ._") or "recording"
    if stem.lower() in _RESERVED:
        stem = f"recording-{stem}"
    if suffix not in AUDIO_SUFFIXES:
        suffix = _sniffed(file) or ".mp3"
    return stem + suffix


def _sniffed(file: Path | None) -> str | None:
    """The audio extension a file's first bytes say it has, if they say."""
    try:
        head = file.read_bytes()[:12] if file is not None else b""
    except OSError:
        return None
    if head[4:8] == b"ftyp":
        return ".m4a"
    return next((suffix for magic, suffix in _MAGIC if head.startswith(magic)), None)
