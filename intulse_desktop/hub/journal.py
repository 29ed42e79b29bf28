"""Where the hub reads what it serves: the journal, a numbered and ordered record of stored events.

The hub persists before it fans out, but it does not persist itself: the
receiver stores each new event and its sequence number in one transaction
(``Service(journal=True)`` → ``Store.record``), answers 200, and only then
publishes the delivery on the bus. The hub reads that journal back through
``Journal``: its identity, its bounds, a page of entries, and a signal that
more may have been appended. ``SqliteJournal`` is the hub's own;
``jetstream.StreamJournal`` is a NATS JetStream stream shared by several hubs
(docs/hub.md, "several hubs"), with the stream's sequence and identity in place
of the table's. The reads are coroutines because a broker's are.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from intulse_desktop.bus import Delivery, Subscriber
from intulse_desktop.events import Event, InvalidEvent, parse
from intulse_desktop.hub.protocol import event_message
from intulse_desktop.store import JournalRow, Store

log = logging.getLogger(__name__)


class Journal(Protocol):
    """What the hub needs of a journal. Sequence numbers are never reused, and mean something only
    with the journal's ``origin``."""

    async def open(self) -> str:
        """Start reading; returns the journal's identity (its origin)."""
        ...

    async def bounds(self) -> tuple[int, int]:
        """(oldest kept, newest given) sequence numbers; (head + 1, head) when none are kept."""
        ...

    async def since(self, after: int, limit: int, upto: int | None = None) -> list[JournalRow]:
        """At most ``limit`` entries after ``after`` (up to ``upto``), oldest first."""
        ...

    def on_append(self, notify: Callable[[], None]) -> Callable[[], None]:
        """Call ``notify`` whenever entries may have been appended; returns the function that stops it."""
        ...

    async def close(self) -> None: ...


class SqliteJournal:
    """The journal table in the hub's own log, read through a connection of its own.

    The receiver's writer appends; a new delivery on the bus says it committed.
    """

    def __init__(
        self, database: Path, region: str, subscribe: Callable[[Subscriber], Callable[[], None]]
    ) -> None:
        self._database = database
        self._region = region
        self._subscribe = subscribe  # the Service's: hears each delivery once it is committed
        self._store: Store | None = None

    async def open(self) -> str:
        self._store = Store(self._database, self._region)
        return self._store.journal_origin()

    async def bounds(self) -> tuple[int, int]:
        return self._reader().journal_bounds()

    async def since(self, after: int, limit: int, upto: int | None = None) -> list[JournalRow]:
        return self._reader().journal_since(after, limit, upto)

    def on_append(self, notify: Callable[[], None]) -> Callable[[], None]:
        def delivered(delivery: Delivery) -> None:
            if delivery.is_new:  # a repeat is never journalled
                notify()

        return self._subscribe(delivered)

    async def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def _reader(self) -> Store:
        assert self._store is not None, "open() first"
        return self._store


@dataclass(slots=True)
class Entry:
    """A journal entry, parsed once, with its message ready for every desktop that gets it."""

    seq: int
    event: Event
    message: str
    _state_only: str | None = None

    def state_only(self) -> str:
        """The message of a presence entry without the line it is connected to (made once, when asked)."""
        if self._state_only is None:
            message = json.loads(self.message)
            message["event"].update(ConnectedLineName="", ConnectedLineNumber="")
            self._state_only = json.dumps(message)
        return self._state_only


def to_entry(row: JournalRow) -> Entry | None:
    try:
        event = parse(json.loads(row.payload), row.event_type)
    except (ValueError, InvalidEvent) as exc:  # written by this program, so not expected
        log.error("journal entry %d cannot be read (%s); desktops will not get it", row.seq, exc)
        return None
    return Entry(row.seq, event, event_message(row.seq, row.event_type, row.received_utc, row.payload))
