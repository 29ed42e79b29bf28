"""Bounds on the receiver's connections, which anyone who can reach its port may open.

Without the secret nobody can store an event, but every open connection holds a
file descriptor: with macOS's 256, 300 idle connections made valid deliveries
time out. So each connection passes a ``ConnectionGuard`` first:

- at most ``limit`` connections in all, well below the descriptor limit;
- at most ``PER_PEER_IDLE`` idle ones from one address;
- past either bound, the idle connection quiet the longest (no request under
  way: it sent none yet, half of one, or waits to send its next) is closed to
  make room, so a delivery's new connection gets in; only when every connection
  is busy is the new one refused, with a 503.

An idle connection counts against its address's bound only once it has been
quiet for ``GRACE`` seconds: one that was just opened has not had the time to
send its request. Many connections opened at once from one address (desktops
behind one office NAT reconnecting to a restarted hub, a burst of deliveries)
are all served; a peer that opens connections and sends nothing still holds
``PER_PEER_IDLE`` of them, plus what it opens within ``GRACE``, never more than
``limit`` in all.

A connection that sends no complete request line and headers within the
receiver's header timeout is closed by aiohttp itself (``receiver.server_options``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import time
from typing import Any, cast

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from intulse_desktop.process import fd_limit

log = logging.getLogger(__name__)

MAX_CONNECTIONS = 4096
PER_PEER_IDLE = 64
GRACE = 2.0  # seconds a connection may stay quiet before it counts as idle for its address
BACKLOG = 64  # also how many connections asyncio accepts at once, before the guard sees any
WARN_EVERY = 60.0  # seconds between two warnings that connections were closed or refused

_REFUSAL_BODY = json.dumps({"error": "too many connections; retry later"}).encode()
REFUSAL = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"Content-Type: application/json; charset=utf-8\r\n"
    b"Retry-After: 5\r\n"
    b"Connection: close\r\n"
    b"Content-Length: " + str(len(_REFUSAL_BODY)).encode() + b"\r\n\r\n" + _REFUSAL_BODY
)


def connection_limit() -> int:
    """The most connections to hold: half the descriptors, less a burst of accepts."""
    descriptors = fd_limit()
    if descriptors is None:
        return MAX_CONNECTIONS
    return max(16, min(MAX_CONNECTIONS, descriptors // 2 - BACKLOG))


def is_loopback(host: str | None) -> bool:
    """Whether listening on ``host`` keeps other machines out."""
    if host == "localhost":
        return True
    try:
        return bool(host) and ipaddress.ip_address(str(host)).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


class _Connection(asyncio.Protocol):
    """One connection: aiohttp's request handler, once the guard has let it in."""

    __slots__ = ("_guard", "handler", "heard", "peer")

    def __init__(self, guard: ConnectionGuard) -> None:
        self._guard = guard
        self.handler: RequestHandler | None = None
        self.peer = ""
        self.heard = time.monotonic()  # when it was opened or last sent something

    @property
    def idle(self) -> bool:
        """No request under way. aiohttp has no public word for it (checked by tests/test_connections.py)."""
        handler = self.handler
        return handler is not None and not handler._request_in_progress and not handler._messages

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peername = transport.get_extra_info("peername")
        self.peer = str(peername[0]) if isinstance(peername, tuple) else ""
        if not self._guard.admit(self):
            cast(asyncio.Transport, transport).write(REFUSAL)
            transport.close()
            return
        self.handler = self._guard.server()
        self.handler.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self.heard = time.monotonic()
        if self.handler is not None:
            self.handler.data_received(data)

    def eof_received(self) -> None:  # then asyncio closes the transport, as aiohttp's handler wants
        if self.handler is not None:
            self.handler.eof_received()

    def pause_writing(self) -> None:
        if self.handler is not None:
            self.handler.pause_writing()

    def resume_writing(self) -> None:
        if self.handler is not None:
            self.handler.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._guard.release(self)
        if self.handler is not None:
            self.handler.connection_lost(exc)


def _heard(connection: _Connection) -> float:
    return connection.heard


class ConnectionGuard:
    """The protocol factory of a listening socket: aiohttp's ``Server``, within bounds."""

    def __init__(
        self, server: web.Server, limit: int, per_peer_idle: int = PER_PEER_IDLE, grace: float = GRACE
    ) -> None:
        self.server = server
        self.limit = limit
        self.per_peer_idle = per_peer_idle
        self.grace = grace
        self._open: dict[_Connection, None] = {}  # oldest first
        self._by_peer: dict[str, dict[_Connection, None]] = {}
        self._warned = -WARN_EVERY

    def __call__(self) -> _Connection:
        return _Connection(self)

    def __len__(self) -> int:
        return len(self._open)

    def admit(self, new: _Connection) -> bool:
        """Make room for ``new`` by closing idle connections; False if every one is busy."""
        same_peer = self._by_peer.get(new.peer, {})
        if len(same_peer) >= self.per_peer_idle:
            quiet_since = new.heard - self.grace
            idle = [c for c in same_peer if c.idle and c.heard <= quiet_since]
            if len(idle) >= self.per_peer_idle:
                self._close(
                    min(idle, key=_heard), f"more than {self.per_peer_idle} idle connections from {new.peer}"
                )
        if len(self._open) >= self.limit:
            idle = [c for c in self._open if c.idle]
            if not idle:
                self._warn(f"refused a connection from {new.peer}: {self.limit} connections, all busy")
                return False
            self._close(min(idle, key=_heard), f"more than {self.limit} connections")
        self._open[new] = None
        self._by_peer.setdefault(new.peer, {})[new] = None
        return True

    def release(self, connection: _Connection) -> None:
        if connection not in self._open:  # refused, or closed by the guard already
            return
        del self._open[connection]
        same_peer = self._by_peer[connection.peer]
        del same_peer[connection]
        if not same_peer:
            del self._by_peer[connection.peer]

    def _close(self, connection: _Connection, why: str) -> None:
        self._warn(f"closing idle connections: {why}")
        self.release(connection)
        assert connection.handler is not None
        connection.handler.force_close()

    def _warn(self, message: str) -> None:
        now = time.monotonic()
        if now - self._warned >= WARN_EVERY:
            self._warned = now
            log.warning("%s (said at most once a minute)", message)


class GuardedSite(web.TCPSite):
    """A ``TCPSite`` whose connections pass a ``ConnectionGuard``, and that says when it is exposed."""

    def __init__(self, runner: web.BaseRunner, host: str, port: int, **kwargs: Any) -> None:
        super().__init__(runner, host, port, backlog=BACKLOG, **kwargs)
        assert runner.server is not None
        self.guard = ConnectionGuard(runner.server, connection_limit())

    async def start(self) -> None:
        await web.BaseSite.start(self)  # TCPSite.start, with the guard as the protocol factory
        self._server = await asyncio.get_running_loop().create_server(
            self.guard,
            self._host,
            self._port,
            ssl=self._ssl_context,
            backlog=self._backlog,
            reuse_address=self._reuse_address,
            reuse_port=self._reuse_port,
        )
        sockets = self._server.sockets
        self._bound_port = sockets[0].getsockname()[1] if sockets else self._port
        if not is_loopback(self._host):
            log.warning(
                "listening on %s, not on loopback: other machines can connect; "
                "only the secret in the URL keeps strangers' events out",
                self._host or "every address",
            )
