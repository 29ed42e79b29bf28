"""The webhook receiver: an aiohttp application that checks, stores, then acknowledges.

Intulse signs nothing, so the secret in the URL path is the only thing between
a stranger and the log: a wrong secret looks exactly like an unknown path. A
2xx goes out only after the event's commit; afterwards the bus hears of it.

A request carrying ``X-Intulse-Desktop-Test: <nonce>`` is a test delivery: it
passes the same checks, is answered with its nonce (proof that this receiver,
not something else at that address, got it), and is neither stored nor popped.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import time
import zlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import hdrs, web
from aiohttp.abc import AbstractAccessLogger

from intulse_desktop import __version__
from intulse_desktop.bus import Bus, Delivery, TestNotice
from intulse_desktop.events import EVENT_TYPES, Event, InvalidEvent, parse
from intulse_desktop.logs import redact_path
from intulse_desktop.matching import Matcher
from intulse_desktop.store import StoreError, now_utc
from intulse_desktop.store.writer import Writer

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
BODY_TIMEOUT = 10.0
# A connection gets this long for its request line and headers, the first or the next
# (aiohttp's keep-alive timeout runs from the moment a connection opens): an idle or
# half-sent connection holds a descriptor for no more (connections.py bounds how many).
HEADER_TIMEOUT = 10.0
RETRY_AFTER_SECONDS = 5
TEST_HEADER = "X-Intulse-Desktop-Test"
_NONCE = re.compile(r"[A-Za-z0-9_-]{8,64}")
JSON_TYPES = {"application/json", "text/json", "text/plain", "application/octet-stream"}
# Decompressed here, not by aiohttp: its parser fails with a traceback in the log on a
# coding it has no module for (br, zstd), and passes an unknown one through undecoded.
ZLIB_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
CANNOT_WRITE = "the call log cannot be written"


Recorder = Callable[[Event, bool, datetime], Awaitable[bool]]  # stores an event; True if it was new


def webhook_urls(base_url: str, secret: str) -> dict[str, str]:
    """The URL to register for each event type: its own path, so the type is known."""
    return {event_type: f"{base_url}/hooks/{secret}/{event_type}" for event_type in EVENT_TYPES}


class Rejected(Exception):
    """A request answered with a 4xx/5xx JSON reason."""

    def __init__(self, status: int, reason: str, **extra: Any) -> None:
        super().__init__(reason)
        self.status = status
        self.body = {"error": reason, **extra}
        self.headers: dict[str, str] = {}

    def response(self) -> web.Response:
        response = web.json_response(self.body, status=self.status, headers=self.headers)
        if self.status in (408, 413):
            response.force_close()  # the rest of the body is not worth reading
        return response


NOT_FOUND = "not found"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_JSON = json.JSONDecoder(parse_constant=_reject_constant)
_STORED = {  # the answers to a stored delivery, made once: they are on every delivery's path
    (event_type, new): json.dumps({"stored": True, "new": new, "type": event_type}).encode()
    for event_type in EVENT_TYPES
    for new in (True, False)
}


async def _not_found(request: web.Request) -> web.Response:
    return Rejected(404, NOT_FOUND).response()


class Receiver:
    """What a webhook request needs: the secret, the matcher, the writer and the bus.

    ``secret`` and ``matcher`` may be replaced while running (settings changed).
    """

    def __init__(
        self,
        writer: Writer,
        bus: Bus,
        secret: str,
        matcher: Matcher,
        *,
        body_timeout: float = BODY_TIMEOUT,
    ) -> None:
        self.writer = writer
        # Where an event is made durable before the 200: the log, or a broker (a hub with --broker).
        self.record: Recorder = self._into_log
        self.problem: Callable[[], str | None] = lambda: None  # what keeps it from storing, for /healthz
        self.bus = bus
        self.secret = secret
        self.matcher = matcher
        self.body_timeout = body_timeout
        self.started = time.monotonic()
        self.stopping = False
        self.degraded: str | None = None  # why deliveries get a 503: /healthz says so
        self._in_flight = 0
        self._drained = asyncio.Event()
        self._drained.set()

    def app(self, extend: Callable[[web.Application], None] | None = None) -> web.Application:
        """The application; ``extend`` adds routes of its own (the hub's) before the catch-all."""
        # Every answer, aiohttp's 404 included, is JSON with a reason; no middleware
        # sits on the path of each delivery.
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_route("*", "/healthz", self.healthz)
        app.router.add_route("*", "/hooks/{secret}", self.hook)
        app.router.add_route("*", "/hooks/{secret}/{event_type}", self.hook)
        if extend is not None:
            extend(app)
        app.router.add_route("*", "/{tail:.*}", _not_found)
        return app

    async def healthz(self, request: web.Request) -> web.Response:
        if request.method not in (hdrs.METH_GET, hdrs.METH_HEAD):
            return _method_not_allowed("GET").response()
        degraded = self.degraded or self.problem()  # a hub with --broker that lost NATS, too
        health: dict[str, Any] = {
            "status": "ok" if degraded is None else "degraded",
            "version": __version__,
            "uptime_seconds": round(time.monotonic() - self.started, 1),
        }
        if degraded is None:
            return web.json_response(health)
        return web.json_response(health | {"reason": degraded}, status=503)

    async def drain(self, timeout: float) -> bool:
        """Refuse new deliveries and wait for those under way; False if some did not finish.

        aiohttp's own shutdown stops reading from open connections, which would cut
        off a delivery whose body is still arriving; this lets it complete first.
        """
        self.stopping = True
        try:
            async with asyncio.timeout(timeout):
                await self._drained.wait()
        except TimeoutError:
            return False
        return True

    async def hook(self, request: web.Request) -> web.Response:
        if self.stopping:
            error = Rejected(503, "shutting down; retry later")
            error.headers.update({"Retry-After": str(RETRY_AFTER_SECONDS), "Connection": "close"})
            return error.response()
        self._in_flight += 1
        self._drained.clear()
        try:
            return await self._hook(request)
        except Rejected as rejected:
            return rejected.response()
        except Exception:  # a bug of ours: still an answer with a reason, and the sender may retry
            log.exception("a delivery failed")
            return Rejected(500, "the receiver failed on this delivery; its log says why").response()
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._drained.set()

    async def _hook(self, request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.match_info["secret"].encode(), self.secret.encode()):
            raise Rejected(404, NOT_FOUND)
        if request.method != hdrs.METH_POST:
            raise _method_not_allowed("POST")
        declared = request.match_info.get("event_type")
        if declared is not None and declared not in EVENT_TYPES:
            raise Rejected(404, f"unknown event type; expected one of {', '.join(EVENT_TYPES)}")
        received = now_utc()
        nonce = request.headers.get(TEST_HEADER)
        try:
            if nonce is not None and not _NONCE.fullmatch(nonce):
                raise Rejected(400, f"the {TEST_HEADER} header must be 8 to 64 letters, digits, - or _")
            event = parse(await self._read_json(request), declared)
        except InvalidEvent as exc:
            raise self._noted(received, declared, Rejected(422, str(exc), fields=list(exc.fields))) from None
        except Rejected as rejected:
            raise self._noted(received, declared, rejected) from None
        if nonce is not None:
            return self._test(nonce, event, received)
        is_mine = self.matcher.is_mine(event)
        try:
            is_new = await self.record(event, is_mine, received)
        except StoreError as exc:
            log.error("could not store %s: %s", event.TYPE, exc)
            self.degraded = f"{CANNOT_WRITE} (since {received.isoformat(timespec='seconds')})"
            error = Rejected(503, f"{CANNOT_WRITE} right now; retry later")
            error.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            raise error from None
        self.degraded = None
        # After this handler has returned, so listeners never delay the answer.
        asyncio.get_running_loop().call_soon(self.bus.publish, Delivery(event, is_new, is_mine, received))
        return web.Response(body=_STORED[event.TYPE, is_new], content_type="application/json")

    async def _into_log(self, event: Event, is_mine: bool, received: datetime) -> bool:
        return await self.writer.record(event, is_mine, received)

    def _test(self, nonce: str, event: Event, received: datetime) -> web.Response:
        log.info("a test delivery (%s) arrived", event.TYPE)
        detail = f"a test {event.TYPE}"
        self.writer.submit(
            lambda store: store.log_delivery(received, "test", 200, event_key=nonce, detail=detail)
        )
        asyncio.get_running_loop().call_soon(self.bus.publish_test, TestNotice(nonce, event.TYPE, received))
        return web.json_response({"test": nonce, "stored": False, "type": event.TYPE})

    def _noted(self, received: datetime, declared: str | None, rejected: Rejected) -> Rejected:
        """Keep a troubleshooting line for a bad delivery that carried the right secret."""
        reason = rejected.body["error"]
        log.warning("rejected a delivery (%d): %s", rejected.status, reason)
        self.writer.submit(
            lambda store: store.log_delivery(received, declared or "unknown", rejected.status, detail=reason)
        )
        return rejected

    async def _read_json(self, request: web.Request) -> Any:
        content_type = request.headers.get(hdrs.CONTENT_TYPE)
        if content_type is not None:
            mime = request.content_type
            if mime not in JSON_TYPES and not mime.endswith("+json"):
                raise Rejected(415, f"the body must be JSON (Content-Type: application/json), not {mime}")
        coding = request.headers.get(hdrs.CONTENT_ENCODING, "identity").strip().lower()
        if coding != "identity" and coding not in ZLIB_WBITS:
            raise Rejected(415, f"the body's Content-Encoding must be gzip or deflate, not {coding[:32]!r}")
        if request.content_length is not None and request.content_length > MAX_BODY:
            raise _too_large()
        content = request.content
        try:
            if content.is_eof() and request.content_length is not None:
                # It came whole with the headers, as it nearly always does, and its size was
                # checked above: take it as it lies. request.read() costs about 9 µs more,
                # 5 % of the receiver's throughput (benchmarks/receiver.py).
                body = content.read_nowait()
            else:  # chunked or still arriving: read() stops past client_max_size
                async with asyncio.timeout(self.body_timeout):  # and a body that trickles is cut off
                    body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise _too_large() from None
        except TimeoutError:
            raise Rejected(408, f"the body did not arrive within {self.body_timeout:g} seconds") from None
        if coding != "identity":
            body = _inflate(body, coding)
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise Rejected(400, f"the body is not UTF-8: {exc.reason} at byte {exc.start}") from None
        if not text.strip():
            raise Rejected(400, "the body is empty")
        try:
            return _JSON.decode(text)
        except RecursionError:
            raise Rejected(400, "the body is nested too deeply") from None
        except ValueError as exc:
            raise Rejected(400, f"the body is not valid JSON: {exc}") from None


def _inflate(body: bytes, coding: str) -> bytes:
    """A gzip or deflate body decompressed, up to MAX_BODY: a small bomb inflates to gigabytes."""
    wbits = ZLIB_WBITS[coding]
    if coding == "deflate" and body[:1] and body[0] & 0x0F != 8:  # raw deflate, as some senders do
        wbits = -zlib.MAX_WBITS
    try:
        data = zlib.decompressobj(wbits).decompress(body, MAX_BODY + 1)
    except zlib.error as exc:
        raise Rejected(400, f"the body is not valid {coding}: {exc}") from None
    if len(data) > MAX_BODY:
        raise _too_large()
    return data


def _too_large() -> Rejected:
    return Rejected(413, f"the body is larger than {MAX_BODY} bytes")


def _method_not_allowed(allowed: str) -> Rejected:
    error = Rejected(405, f"use {allowed}")
    error.headers["Allow"] = allowed
    return error


def server_options() -> dict[str, Any]:
    """How the receiver's HTTP server must run, wherever it runs (app, hub, tests)."""
    return {
        "access_log_class": AccessLogger,
        "keepalive_timeout": HEADER_TIMEOUT,
        "auto_decompress": False,  # _read_json does it
        "max_line_size": 4096,  # a hook's path is about 100 characters
        "max_field_size": 4096,
        "max_headers": 64,  # at most 256 KiB of headers held per connection
    }


class AccessLogger(AbstractAccessLogger):
    """One line per request, with the secret path segment replaced; successes only in debug."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        level = logging.DEBUG if response.status < 400 else logging.INFO
        if not self.logger.isEnabledFor(level):
            return
        self.logger.log(
            level,
            "%s %s %s %d %.1fms",
            request.remote,
            request.method,
            redact_path(request.rel_url.path),
            response.status,
            time * 1000,
        )

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)
