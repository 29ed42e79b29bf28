"""The hub's journal when the organisation's NATS JetStream stream is the log (``hub --broker``).

Every hub follows the whole stream with an ordered consumer from where it
started, and keeps the newest entries in memory: live fan-out and most
catching up read them there. A desktop further behind is served from the
stream itself, a page at a time, from its sequence on
(``DeliverByStartSequence``). The stream's sequence and identity (its name and
creation time: a stream made again is another journal) are the desktops'
cursor, so a desktop resumes at any hub from where it got to at another.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Callable
from datetime import datetime

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from intulse_desktop.hub.broker import BROKER_ERRORS, EVENT_TYPE, RECEIVED, STREAM, SUBJECT
from intulse_desktop.store.errors import StoreError
from intulse_desktop.store.rows import JournalRow

log = logging.getLogger(__name__)

TAIL = 4096  # newest entries kept in memory (trimmed to this when twice as many)
FETCH_TIMEOUT = 5.0


def to_row(msg: Msg) -> JournalRow:
    headers = msg.headers or {}
    received = datetime.fromisoformat(headers.get(RECEIVED, "1970-01-01T00:00:00+00:00"))
    return JournalRow(msg.metadata.sequence.stream, received, headers.get(EVENT_TYPE, ""), msg.data.decode())


class StreamJournal:
    """``hub.journal.Journal`` over a JetStream stream."""

    def __init__(self, js: JetStreamContext) -> None:
        self._js = js
        self._tail: list[JournalRow] = []
        self._head = 0
        self._notify: Callable[[], None] | None = None
        self._subscription: JetStreamContext.PushSubscription | None = None

    async def open(self) -> str:
        info = await self._js.stream_info(STREAM)
        self._head = info.state.last_seq
        self._subscription = await self._js.subscribe(
            SUBJECT,
            stream=STREAM,
            cb=self._received,
            ordered_consumer=True,
            config=ConsumerConfig(
                deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=self._head + 1
            ),
        )
        created = info.created.isoformat() if info.created else "0"
        return f"nats:{STREAM}@{created}"

    async def _received(self, msg: Msg) -> None:
        row = to_row(msg)
        if row.seq <= self._head:
            return  # the ordered consumer started again from before what it had
        self._head = row.seq
        self._tail.append(row)
        if len(self._tail) > 2 * TAIL:
            del self._tail[:-TAIL]
        if self._notify is not None:
            self._notify()

    async def bounds(self) -> tuple[int, int]:
        try:
            info = await self._js.stream_info(STREAM)
        except BROKER_ERRORS as exc:
            raise StoreError(f"cannot read the events stream's bounds: {exc}") from None
        oldest = info.state.first_seq if info.state.messages else self._head + 1
        return max(oldest, 1), self._head

    async def since(self, after: int, limit: int, upto: int | None = None) -> list[JournalRow]:
        last = self._head if upto is None else min(upto, self._head)
        if after >= last:
            return []
        tail = self._tail
        if tail and after + 1 >= tail[0].seq:
            start = bisect.bisect_right(tail, after, key=lambda row: row.seq)
            return [row for row in tail[start : start + limit] if row.seq <= last]
        return await self._read(after, min(limit, last - after), last)

    async def _read(self, after: int, limit: int, last: int) -> list[JournalRow]:
        """A page from the stream itself, through a short-lived consumer that starts after ``after``."""
        config = ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=after + 1,
            ack_policy=AckPolicy.NONE,
            inactive_threshold=30.0,
        )
        try:
            reader = await self._js.pull_subscribe(SUBJECT, stream=STREAM, config=config)
            try:
                messages = await reader.fetch(limit, timeout=FETCH_TIMEOUT)
            except TimeoutError:  # nothing there any more (the stream was purged)
                messages = []
            finally:
                await reader.unsubscribe()
        except BROKER_ERRORS as exc:
            raise StoreError(f"cannot read the events stream from #{after + 1}: {exc}") from None
        return [row for row in map(to_row, messages) if row.seq <= last]

    def on_append(self, notify: Callable[[], None]) -> Callable[[], None]:
        self._notify = notify

        def stop() -> None:
            self._notify = None

        return stop

    async def close(self) -> None:
        if self._subscription is not None:
            try:
                await self._subscription.unsubscribe()
            except BROKER_ERRORS as exc:
                log.debug("the events stream's consumer did not stop cleanly: %s", exc)
            self._subscription = None
