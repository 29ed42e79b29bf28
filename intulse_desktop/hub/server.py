"""The office hub: the organisation's one receiver, and a WebSocket stream for each desktop.

The hub is ``--headless`` (the same ``Service``: persist, then acknowledge)
with a journal: each new event is written, in the same transaction, with a
sequence number. Desktops connect out to ``STREAM_PATH`` with their own token
and receive only their own events (their extension, user id and numbers, as
``matching.Matcher`` decides) and the presence of the extensions they may see.

One path serves both catching up and live: a desktop says how far it got
(``since`` in ``journal``); the hub sends what it missed from the journal (the
newest entries, at most ``RING`` of them and ``RING_BYTES`` of their messages,
are kept parsed in memory; older ones are read a page at a time), then
``caught_up``, then each new entry as it is committed. Live entries reach a
desktop through an index of who owns what, so a burst costs per recipient, not
per connection. Every send is guarded by the sequence number the desktop was
sent last, so the boundary between catching up and live never repeats an entry.
A desktop that reads too slowly is not queued for without end: past
``MAX_QUEUE`` entries or ``RING_BYTES`` of them it is served from the journal
again. A user may hold ``MAX_CONNECTIONS_PER_USER`` streams at once; a desktop
whose heartbeat failed has its transport aborted, not closed, so what was
queued for a peer that stopped reading does not keep the socket open. Now and
then the hub tells each desktop how far it has been served (``position``), so a
desktop that receives little still resumes from near the end of the journal.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import ssl
import sys
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from aiohttp import WSCloseCode, web

from intulse_desktop.headless import LinePrinter, stop_on_signals
from intulse_desktop.hub.audience import Audience, Desktop
from intulse_desktop.hub.journal import Entry, Journal, SqliteJournal, to_entry
from intulse_desktop.hub.protocol import (
    CLOSE_REVOKED,
    HEARTBEAT_SECONDS,
    STREAM_PATH,
    bearer_token,
    caught_up_message,
    hello_message,
    parse_resume,
    position_message,
)
from intulse_desktop.hub.users import Directory, User
from intulse_desktop.service import Service
from intulse_desktop.store import StoreError
from intulse_desktop.store.rows import JournalRow
from intulse_desktop.tasks import Tasks

if TYPE_CHECKING:
    from intulse_desktop.tunnel.manager import ManagedTunnel

log = logging.getLogger(__name__)

RING = 2048  # newest journal entries kept parsed in memory
RING_BYTES = 16 * 2**20  # and at most this much of their messages (the parsed events are as large again)
PAGE = 256  # older ones are read this many at a time
MAX_QUEUE = 1024  # live entries waiting for one slow desktop before it is served from the journal
POSITION_SECONDS = 30.0
CLOSE_TIMEOUT = 1.0
MAX_DESKTOP_MESSAGE = 4096  # desktops send nothing but control frames
MAX_CONNECTIONS_PER_USER = 4  # a person's desktop and laptop, with room for one not yet known to be gone


class Hub:
    def __init__(self, service: Service, users: Directory, journal: Journal | None = None) -> None:
        self.service = service
        self.users = users
        self.region = service.settings.default_region
        self.journal = journal or SqliteJournal(service.paths.database, self.region, service.subscribe)
        self.audience = Audience(self.region)
        self._ring: list[Entry] = []
        self.ring_bytes = 0  # the messages' length in the ring
        self._connections: Counter[int] = Counter()  # streams per user id, counted from before the upgrade
        self.head = 0
        self.origin = ""
        self._more = False  # entries may have been appended since the follower last looked
        self._tasks: Tasks | None = None
        self._following: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._loops: list[asyncio.Task[None]] = []

    # --- lifecycle -----------------------------------------------------------------------

    def install(self, app: web.Application) -> None:
        """Add the stream to the receiver's application (``Service.start(hub.install)``)."""
        app.router.add_get(STREAM_PATH, self.stream)
        app.on_shutdown.append(self._going_away)

    async def start(self) -> None:
        """After ``service.start``: load the journal's end, then follow it."""
        self.origin = await self.journal.open()
        _, self.head = await self.journal.bounds()
        rows = await self.journal.since(max(self.head - RING, 0), RING)
        self._ring = [entry for row in rows if (entry := to_entry(row))]
        self.ring_bytes = sum(len(entry.message) for entry in self._ring)
        self._trim_ring()
        self._unsubscribe = self.journal.on_append(self._on_append)
        self._tasks = tasks = Tasks(asyncio.get_running_loop())
        self._loops = [
            tasks.spawn(self._watch_users(), "watch the hub's users"),
            tasks.spawn(self._report_positions(), "report positions to desktops"),
        ]

    async def close(self) -> None:
        """After ``service.close`` (which closed every stream)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        loops = [*self._loops, *([self._following] if self._following else [])]
        for task in loops:
            task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        await self.journal.close()

    async def _going_away(self, app: web.Application) -> None:
        await asyncio.gather(
            *(
                d.ws.close(code=WSCloseCode.GOING_AWAY, message=b"hub shutting down")
                for d in list(self.audience.desktops)
            ),
            return_exceptions=True,
        )

    # --- the stream ----------------------------------------------------------------------

    async def stream(self, request: web.Request) -> web.StreamResponse:
        user = self._authenticate(request)
        if user is None:  # the same answer for a wrong, a revoked and a missing token
            return web.json_response(
                {"error": "unauthorized"},
                status=401,
                headers={"WWW-Authenticate": 'Bearer realm="intulse-hub"'},
            )
        try:
            since, journal = parse_resume(request.query)
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        if self._connections[user.id] >= MAX_CONNECTIONS_PER_USER:
            log.warning(
                "user %d (ext %s) refused: already %d connections",
                user.id,
                user.extension,
                self._connections[user.id],
            )
            return web.json_response(
                {"error": f"this token already has {MAX_CONNECTIONS_PER_USER} connections"},
                status=429,
                headers={"Retry-After": str(int(HEARTBEAT_SECONDS))},
            )
        self._connections[user.id] += 1
        try:
            return await self._stream(request, user, since, journal)
        finally:
            self._connections[user.id] -= 1
            if not self._connections[user.id]:
                del self._connections[user.id]

    async def _stream(
        self, request: web.Request, user: User, since: int | None, journal: str | None
    ) -> web.StreamResponse:
        try:
            oldest, _ = await self.journal.bounds()
        except StoreError as exc:
            log.warning("a desktop could not be served: %s", exc)
            return web.json_response({"error": "the hub cannot read its journal; retry later"}, status=503)
        ws = web.WebSocketResponse(
            heartbeat=HEARTBEAT_SECONDS,
            compress=False,
            max_msg_size=MAX_DESKTOP_MESSAGE,
            timeout=CLOSE_TIMEOUT,
        )
        if not ws.can_prepare(request).ok:
            return web.json_response({"error": "this address takes a WebSocket connection"}, status=400)
        await ws.prepare(request)
        start = self.head  # a desktop seen first, or a cursor of another journal: from the end
        if since is not None and journal == self.origin and since <= self.head:
            start = since
        gap = start < oldest - 1  # the journal no longer reaches back that far
        start = max(start, oldest - 1) if gap else start
        desktop = Desktop(user, user.matcher(self.region), ws, start)
        self.audience.join(desktop)
        log.info(
            "desktop connected: user %d (ext %s) from %s, from #%d",
            user.id,
            user.extension,
            request.remote,
            start,
        )
        sender: asyncio.Task[None] | None = None
        try:
            await ws.send_str(hello_message(self.origin, start, self.head, gap, user.describe()))
            sender = asyncio.create_task(self._serve(desktop), name=f"serve user {user.id}")
            async for _ in ws:
                pass  # desktops send nothing; aiohttp answers pings and notices the close
        finally:
            self.audience.leave(desktop)
            if sender is not None:
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sender
            _abort_if_stuck(request, ws)
            log.info("desktop disconnected: user %d (ext %s)", user.id, user.extension)
        return ws

    def _authenticate(self, request: web.Request) -> User | None:
        token = bearer_token(request.headers.get("Authorization", ""))
        return None if token is None else self.users.authenticate(token)

    async def _serve(self, desktop: Desktop) -> None:
        ws = desktop.ws
        try:
            while not ws.closed:
                if desktop.behind:
                    await self._catch_up(desktop)
                elif desktop.queue:
                    item = desktop.queue.popleft()
                    desktop.queued_bytes -= 0 if isinstance(item, int) else len(item.message)
                    if isinstance(item, int):
                        if item > desktop.sent:
                            desktop.sent = item
                            await ws.send_str(position_message(item))
                    elif item.seq > desktop.sent:
                        desktop.sent = item.seq
                        await ws.send_str(desktop.message(item))
                else:
                    desktop.wake.clear()
                    await desktop.wake.wait()
        except ConnectionError:
            pass  # it went away; the handler cleans up
        except Exception:
            log.exception("serving user %d failed", desktop.user.id)
            await ws.close(code=WSCloseCode.INTERNAL_ERROR, message=b"hub error")

    async def _catch_up(self, desktop: Desktop) -> None:
        desktop.behind = False
        upto = self.head
        while desktop.sent < upto:
            entries, last = await self._page(desktop.sent, upto)
            if last is None:
                break
            for entry in entries:
                if desktop.sees(entry.event):
                    desktop.sent = entry.seq
                    await desktop.ws.send_str(desktop.message(entry))
            desktop.sent = max(desktop.sent, last)
        desktop.sent = max(desktop.sent, upto)
        await desktop.ws.send_str(caught_up_message(desktop.sent))

    async def _page(self, after: int, upto: int) -> tuple[list[Entry], int | None]:
        """Entries after ``after`` up to ``upto``: from memory if it reaches back so far."""
        ring = self._ring
        if ring and after + 1 >= ring[0].seq:
            start = bisect.bisect_right(ring, after, key=lambda e: e.seq)
            entries = [e for e in ring[start : start + PAGE] if e.seq <= upto]
            return entries, (entries[-1].seq if entries else None)
        rows = await self.journal.since(after, PAGE, upto)
        return [e for row in rows if (e := to_entry(row))], (rows[-1].seq if rows else None)

    # --- following the journal: fan-out --------------------------------------------------

    def _on_append(self) -> None:
        self._more = True
        if self._following is None and self._tasks is not None:  # one reader, many appends per read
            self._following = self._tasks.spawn(self._follow(), "follow the journal")

    async def _follow(self) -> None:
        try:
            while self._more:
                self._more = False
                while rows := await self.journal.since(self.head, 4 * PAGE):
                    self._fan_out(rows)
        except StoreError as exc:
            log.error("cannot follow the journal (%s); trying again with the next entry", exc)
        finally:
            self._following = None

    def _fan_out(self, rows: list[JournalRow]) -> None:
        for row in rows:
            self.head = row.seq
            entry = to_entry(row)
            if entry is None:
                continue
            self._ring.append(entry)
            self.ring_bytes += len(entry.message)
            for desktop in self.audience.of(entry.event):
                self._push(desktop, entry)
        self._trim_ring()

    def _trim_ring(self) -> None:
        """Once past ``RING_BYTES``, or twice ``RING`` entries: down to both."""
        ring = self._ring
        if len(ring) <= 2 * RING and self.ring_bytes <= RING_BYTES:
            return
        drop = max(len(ring) - RING, 0)
        kept = self.ring_bytes - sum(len(entry.message) for entry in ring[:drop])
        while kept > RING_BYTES and drop < len(ring):
            kept -= len(ring[drop].message)
            drop += 1
        del ring[:drop]
        self.ring_bytes = kept

    @staticmethod
    def _push(desktop: Desktop, item: Entry | int) -> None:
        if desktop.behind:
            return  # catching up from the journal, which has it
        desktop.queue.append(item)
        desktop.queued_bytes += 0 if isinstance(item, int) else len(item.message)
        if len(desktop.queue) > MAX_QUEUE or desktop.queued_bytes > RING_BYTES:
            desktop.queue.clear()
            desktop.queued_bytes = 0
            desktop.behind = True
        desktop.wake.set()

    async def _report_positions(self) -> None:
        """Tell idle desktops how far they are served, so they resume from near the end."""
        while True:
            await asyncio.sleep(POSITION_SECONDS)
            for n, desktop in enumerate(list(self.audience.desktops), start=1):
                if desktop.sent < self.head and not desktop.queue:
                    self._push(desktop, self.head)
                if n % 100 == 0:  # a few at a time, so live events never wait behind thousands of these
                    await asyncio.sleep(0.01)

    async def _watch_users(self) -> None:
        """Close the connections of users removed by ``hub remove-user`` (another process)."""
        while True:
            await self.users.wait_changed()
            ids = self.users.ids()
            revoked = [d for d in self.audience.desktops if d.user.id not in ids]
            for desktop in revoked:
                self.audience.leave(desktop)
                log.info(
                    "user %d (ext %s) was removed: closing its connection",
                    desktop.user.id,
                    desktop.user.extension,
                )
            await asyncio.gather(
                *(d.ws.close(code=CLOSE_REVOKED, message=b"token revoked") for d in revoked),
                return_exceptions=True,
            )


def _abort_if_stuck(request: web.Request, ws: web.WebSocketResponse) -> None:
    """Abort a stream whose heartbeat failed or whose peer left data unread: closing would wait for
    the peer to read it, and keep the socket open for as long as the peer does not."""
    transport = request.transport
    if transport is not None and (ws.exception() is not None or transport.get_write_buffer_size()):
        transport.abort()


async def run(
    service: Service,
    users: Directory,
    host: str,
    port: int,
    *,
    journal: Journal | None = None,
    ssl_context: ssl.SSLContext | None = None,
    verbose: bool = False,
    out: TextIO = sys.stdout,
    tunnel: ManagedTunnel | None = None,
) -> int:
    """Receive and serve until SIGTERM or SIGINT, then close every stream and return 0.

    With ``tunnel`` Intulse and the desktops reach the hub through it: one line per change.
    """
    stop = stop_on_signals()
    hub = Hub(service, users, journal)
    service.subscribe(LinePrinter(out, verbose))
    await service.start(hub.install)
    try:
        await hub.start()
        _, bound_port = await service.listen(host, port, ssl_context)
        scheme = "https" if ssl_context is not None else "http"
        print(
            f"intulse-desktop hub: receiving webhooks and serving desktops at {scheme}://{host}:{bound_port} "
            f"({len(users.all())} users; journal at #{hub.head})",
            file=sys.stderr,
            flush=True,
        )
        if tunnel is not None:
            tunnel.subscribe(
                lambda news: print(f"intulse-desktop hub: {news.message}", file=sys.stderr, flush=True)
            )
            tunnel.start((host, bound_port))
        service.keep_pruned(service.settings.retention_days)
        await stop.wait()
    finally:
        if tunnel is not None:
            await tunnel.stop()
        await service.close()
        await hub.close()
    return 0
