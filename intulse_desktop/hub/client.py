"""A desktop's connection to an office hub: its events arrive here instead of at a local receiver.

Each event from the hub is stored in this desktop's own log through the
``Writer`` (so the call log works the same), together with the hub's sequence
number in the same transaction, and only then published on the ``Bus`` as a
``Delivery`` — the GUI cannot tell it from one the local receiver made. The
stored number is where the next connection resumes: after a crash, a lid
closed or the hub restarting, nothing is missed and nothing is shown twice
(an entry at or below it is dropped, and the log's own idempotence stays
underneath).

Given several hubs (``hub_url`` is a comma list: hubs sharing one NATS stream),
it moves to the next one at once when its hub cannot be reached or goes away,
and resumes there from its cursor, which means the same at every such hub; only
when none answers does it wait. Reconnects by itself with exponential backoff and full jitter; a token the hub
refuses (401, or a connection closed as revoked) stops the retrying until
``connect`` is called again with new settings.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import random
import ssl
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from intulse_desktop.bus import Bus, Delivery
from intulse_desktop.events import Event, InvalidEvent, parse
from intulse_desktop.hub.protocol import (
    CAUGHT_UP,
    CLOSE_REVOKED,
    EVENT,
    HEARTBEAT_SECONDS,
    HELLO,
    POSITION,
    STREAM_PATH,
    Hello,
    authorization,
    parse_hello,
    resume_query,
)
from intulse_desktop.matching import Matcher
from intulse_desktop.sender import NETWORK_ERRORS, Failure, classify
from intulse_desktop.store import Store, StoreError
from intulse_desktop.store.writer import Writer

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 15.0
MAX_HUB_MESSAGE = 4 * 1024 * 1024
BACKOFF_BASE = 1.0
BACKOFF_CAP = 60.0

State = Literal["stopped", "connecting", "connected", "reconnecting", "rejected"]


class Rejected(Exception):
    """The hub refuses this desktop's token."""


def stream_url(hub_url: str) -> str:
    """The hub's stream address from its base URL (http(s) or ws(s), as in ``hub_url``)."""
    parts = urlsplit(hub_url.rstrip("/"))
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, parts.path + STREAM_PATH, "", ""))


def hub_urls(hub_url: str) -> list[str]:
    """The hubs in ``hub_url``, which may list several, comma-separated, tried in that order."""
    return [url.strip() for url in hub_url.split(",") if url.strip()]


def in_clear(hub_url: str) -> bool:
    """Whether the token and every event would cross a network unencrypted: http(s) or ws to a host
    other than this computer (for any of the hubs, when ``hub_url`` lists several)."""
    return any(_one_in_clear(url) for url in hub_urls(hub_url))


def _one_in_clear(hub_url: str) -> bool:
    parts = urlsplit(hub_url)
    if parts.scheme not in ("http", "ws"):
        return False
    host = (parts.hostname or "").rstrip(".").lower()
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host != "localhost" and not host.endswith(".localhost")


def backoff(attempt: int, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP) -> float:
    """Full jitter: a random wait up to base·2^attempt (at most ``cap``), so desktops spread out."""
    return random.uniform(0, min(cap, base * 2**attempt))


def _record(store: Store, event: Event, is_mine: bool, received: datetime, journal: str, seq: int) -> bool:
    is_new = store.record(event, is_mine, received)
    store.set_hub_cursor(journal, seq)
    return is_new


class HubClient:
    def __init__(
        self,
        writer: Writer,
        bus: Bus,
        matcher: Callable[[], Matcher],
        *,
        on_state: Callable[[State, str], None] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._writer = writer
        self._bus = bus
        self._matcher = matcher  # who this desktop is, from its settings
        self._on_state = on_state
        self._ssl = ssl_context if ssl_context is not None else True
        self.url: str | None = None
        self._token: str | None = None
        self._task: asyncio.Task[None] | None = None
        self.state: State = "stopped"
        self.detail = ""
        self.identity: dict[str, Any] = {}  # who the hub says this desktop is
        self._journal: str | None = None
        self._seq = 0
        self._catching_up = False

    @property
    def position(self) -> tuple[str | None, int]:
        """(journal, sequence number) this desktop has everything up to."""
        return self._journal, self._seq

    async def connect(self, url: str, token: str) -> None:
        """Receive from this hub from now on; a no-op if already doing just that."""
        running = self._task is not None and not self._task.done()
        if running and (url, token) == (self.url, self._token):
            return
        await self._cancel()
        self.url, self._token = url, token
        self._task = asyncio.get_running_loop().create_task(
            self._run(url, token), name="office hub connection"
        )

    async def stop(self) -> None:
        """Receive nothing more from the hub (quitting, or back to this computer's receiver)."""
        await self._cancel()
        self._set("stopped", "")

    async def _cancel(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def _set(self, state: State, detail: str) -> None:
        self.state, self.detail = state, detail
        if self._on_state is not None:
            self._on_state(state, detail)

    async def _run(self, url: str, token: str) -> None:
        attempt = 0
        hubs = hub_urls(url)
        at, untried = 0, len(hubs)  # the hub to try next; how many to try before waiting
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=CONNECT_TIMEOUT)
        self._set("connecting", url)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                while True:
                    current = hubs[at]
                    try:
                        if await self._connection(session, current, token):
                            attempt, untried = 0, len(hubs)
                        problem = "the hub closed the connection"
                    except Rejected as exc:
                        log.warning("the office hub refused this desktop: %s", exc)
                        self._set("rejected", str(exc))
                        return
                    except aiohttp.WSServerHandshakeError as exc:
                        problem = _refusal(exc.status)
                    except (aiohttp.ClientError, OSError, TimeoutError, StoreError) as exc:
                        problem = _describe(exc)
                    at, untried = (at + 1) % len(hubs), untried - 1
                    if untried > 0:  # another hub of the same stream: at once, from the same cursor
                        log.info("office hub %s: %s; trying %s", current, problem, hubs[at])
                        self._set("reconnecting", f"{problem}; trying the next hub")
                        continue
                    untried = len(hubs)
                    delay = backoff(attempt)
                    attempt += 1
                    log.info("office hub: %s; trying again in %.1f s", problem, delay)
                    self._set("reconnecting", f"{problem}; trying again in {delay:.0f} s")
                    await asyncio.sleep(delay)
        except Exception:
            log.exception("the office hub connection failed")
            self._set("reconnecting", "stopped by an error (see the log)")
            raise

    async def _connection(self, session: aiohttp.ClientSession, url: str, token: str) -> bool:
        """One connection, until it ends; True if it got as far as the hub's hello."""
        if self._journal is None:
            cursor = await self._writer.run(lambda store: store.hub_cursor())
            if cursor is not None:
                self._journal, self._seq = cursor
        params = resume_query(self._journal, self._seq)
        async with await _open(session, url, token, params, self._ssl) as ws:
            try:
                hello = parse_hello(await _hello(ws))
            except ValueError as exc:
                raise aiohttp.ClientPayloadError(str(exc)) from None
            await self._hello(hello)
            async for frame in ws:
                if frame.type == aiohttp.WSMsgType.TEXT:
                    await self._handle(frame.data)
            if ws.close_code == CLOSE_REVOKED:
                raise Rejected("the hub revoked this desktop's token")
            if ws.exception() is not None:
                raise aiohttp.ClientConnectionError(str(ws.exception()))
        return True

    async def _hello(self, hello: Hello) -> None:
        journal, start = hello.journal, hello.start
        if journal == self._journal and hello.gap:
            log.warning(
                "the hub's journal no longer reaches back to #%d: events up to #%d were not received here",
                self._seq,
                start,
            )
        if journal != self._journal or start > self._seq:
            await self._writer.run(lambda store: store.set_hub_cursor(journal, start))
            self._journal, self._seq = journal, start
        self._catching_up = True
        self.identity = hello.user
        mine = self._matcher()
        known_as = str(self.identity.get("extension", ""))
        detail = f"as ext {known_as}"
        if known_as and known_as != mine.extension:
            detail += f" (but Settings say ext {mine.extension or 'none'}: pop-ups follow Settings)"
            log.warning(
                "the hub knows this desktop as ext %s, but its settings say %r", known_as, mine.extension
            )
        self._set("connected", detail)

    async def _handle(self, text: str) -> None:
        try:
            message = json_value(text)
            kind = message["type"]
            seq = int(message["seq"])
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a message from the hub that is not understood")
            return
        assert self._journal is not None
        journal = self._journal
        if kind == CAUGHT_UP:
            self._catching_up = False  # what follows is live
        if seq <= self._seq:
            return  # already here
        if kind == EVENT:
            try:
                event = parse(message["event"], message["event_type"])
                received = datetime.fromisoformat(message["received"])
            except (InvalidEvent, KeyError, ValueError, TypeError) as exc:
                log.error("the hub sent entry #%d that cannot be read: %s", seq, exc)
                return
            is_mine = self._matcher().is_mine(event)
            is_new = await self._writer.run(
                lambda store: _record(store, event, is_mine, received, journal, seq)
            )
            self._seq = seq
            self._bus.publish(Delivery(event, is_new, is_mine, received, caught_up=self._catching_up))
        elif kind in (CAUGHT_UP, POSITION):
            await self._writer.run(lambda store: store.set_hub_cursor(journal, seq))
            self._seq = seq


async def check(url: str, token: str, ssl_context: ssl.SSLContext | None = None) -> dict[str, Any]:
    """Connect once; who the hub says this token belongs to (``hub connect`` asks before saving).
    Of several hubs, the first that answers says it; if none does, the last one's error is raised."""
    timeout = aiohttp.ClientTimeout(total=CONNECT_TIMEOUT)
    tls = ssl_context if ssl_context is not None else True
    *others, last = hub_urls(url)
    for hub in others:
        try:
            return await _identify(hub, token, tls, timeout)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.info("the hub at %s does not answer (%s); trying the next", hub, _describe(exc))
    return await _identify(last, token, tls, timeout)


async def _identify(
    url: str, token: str, tls: ssl.SSLContext | bool, timeout: aiohttp.ClientTimeout
) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        await _open(session, url, token, {}, tls) as ws,
    ):
        user = (await _hello(ws)).get("user")
    return user if isinstance(user, dict) else {}


async def _open(
    session: aiohttp.ClientSession,
    url: str,
    token: str,
    params: dict[str, str],
    ssl_context: ssl.SSLContext | bool,
) -> aiohttp.ClientWebSocketResponse:
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT):
            return await session.ws_connect(
                stream_url(url),
                params=params,
                headers={"Authorization": authorization(token)},
                heartbeat=HEARTBEAT_SECONDS,
                compress=0,
                max_msg_size=MAX_HUB_MESSAGE,
                ssl=ssl_context,
            )
    except aiohttp.WSServerHandshakeError as exc:
        if exc.status == 401:
            raise Rejected("the hub does not accept this desktop's token (revoked, or mistyped)") from None
        raise


async def _hello(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    frame = await ws.receive(timeout=CONNECT_TIMEOUT)
    try:
        hello = json_value(frame.data) if frame.type == aiohttp.WSMsgType.TEXT else None
    except ValueError:
        hello = None
    if not isinstance(hello, dict) or hello.get("type") != HELLO:
        raise aiohttp.ClientPayloadError("the hub did not say hello (is this the hub's address?)")
    return hello


def json_value(text: str) -> Any:
    """``json.loads``, with nesting too deep to parse (a RecursionError) a ValueError like any bad JSON."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _refusal(status: int) -> str:
    if status == 429:
        return "the hub has too many connections with this desktop's token (is it running elsewhere too?)"
    return f"the hub answered HTTP {status}" + (
        " (is this the hub's address?)" if status in (404, 405) else ""
    )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, StoreError):
        return str(exc)
    if isinstance(exc, NETWORK_ERRORS):
        failure = classify(exc, CONNECT_TIMEOUT)
        if failure.kind is Failure.REFUSED:
            return "cannot reach the hub: nothing answers at its address (is it running?)"
        if failure.kind is not Failure.OTHER:
            return f"cannot reach the hub: {failure.message}"
    return f"the connection to the hub failed: {exc or type(exc).__name__}"
