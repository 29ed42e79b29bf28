"""The one thread that writes the log, with group commit.

Requests that arrive while a commit (an fsync) is under way queue up and are
committed together in the next transaction, so ``synchronous=FULL`` costs one
fsync per batch instead of one per event. Each caller is answered only after
the commit that holds its write.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from intulse_desktop.events import Event
from intulse_desktop.store import Store, StoreError

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_BATCH = 256

_Job = tuple[Callable[[Store], Any], "asyncio.Future[Any] | None"]
_STOP = object()


class Writer:
    def __init__(self, path: Path, region: str = "US") -> None:
        self._path = path
        self._region = region
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._store: Store | None = None

    @property
    def region(self) -> str:
        return self._region

    @region.setter
    def region(self, value: str) -> None:
        self._region = value
        if self._store is not None:
            self._store.region = value

    async def start(self) -> None:
        """Open (and upgrade) the log in the writer thread; raises ``StoreError``."""
        self._loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = self._loop.create_future()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="store-writer", daemon=True)
        self._thread.start()
        await ready

    async def record(self, event: Event, is_mine: bool, received: datetime) -> bool:
        """Store ``event``; returns whether it was new, once it is committed."""
        return await self.run(lambda store: store.record(event, is_mine, received))

    async def run(self, job: Callable[[Store], T]) -> T:
        """Run a write job in the writer thread and wait for its commit."""
        if self._thread is None or not self._thread.is_alive():
            raise StoreError("the call log is closed")
        assert self._loop is not None
        future: asyncio.Future[T] = self._loop.create_future()
        self._queue.put((job, future))
        return await future

    def submit(self, job: Callable[[Store], Any]) -> None:
        """Queue a write nobody waits for (troubleshooting lines); failures are logged."""
        if self._thread is not None and self._thread.is_alive():
            self._queue.put((job, None))

    async def close(self) -> None:
        """Commit what is queued, then stop the thread and close the log."""
        if self._thread is None:
            return
        self._queue.put(_STOP)
        await asyncio.to_thread(self._thread.join)
        self._thread = None

    # --- the thread ----------------------------------------------------------------------

    def _run(self, ready: asyncio.Future[None]) -> None:
        try:
            self._store = Store(self._path, self._region)
        except StoreError as exc:
            self._answer([(ready, exc)])
            return
        self._answer([(ready, None)])
        try:
            stopping = False
            while not stopping:
                batch: list[_Job] = []
                item = self._queue.get()
                while item is not _STOP:
                    batch.append(item)
                    if len(batch) >= MAX_BATCH:
                        break
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                stopping = item is _STOP
                if batch:
                    results = self._store.run_batch([job for job, _ in batch])
                    self._answer([(future, result) for (_, future), result in zip(batch, results)])
        finally:
            self._store.close()
            self._store = None

    def _answer(self, pairs: list[tuple[asyncio.Future[Any] | None, Any]]) -> None:
        assert self._loop is not None
        try:
            self._loop.call_soon_threadsafe(_settle, pairs)
        except RuntimeError:  # the loop is gone: nobody is waiting any more
            pass


def _settle(pairs: list[tuple[asyncio.Future[Any] | None, Any]]) -> None:
    for future, result in pairs:
        if future is None:
            if isinstance(result, Exception):
                log.error("a background write to the call log failed: %s", result)
        elif not future.done():
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)
