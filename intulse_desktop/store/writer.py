"""The one writer of the log, with group commit.

Writes run on the event loop, inside a transaction that collects everything
that arrives while the previous commit is under way; only the COMMIT (the
fsync that ``synchronous=FULL`` asks for) runs in a thread. So an fsync is paid
once per batch, the loop never waits on the disk, and the commit thread takes
the GIL twice per batch rather than after every statement (a thread that runs
the statements itself stalls behind the busy loop for the GIL each time). Each
caller is answered only after the commit that holds its write.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from intulse_desktop.events import Event
from intulse_desktop.store.checkpoint import Checkpointer
from intulse_desktop.store.errors import StoreError, as_store_error
from intulse_desktop.store.facade import Store

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_BATCH = 512
INDEX_DELAY = 1.0  # new calls join the search index a second later, many at a time
INDEX_BATCH = 500  # ... in transactions short enough not to hold up a delivery
CHECKPOINT_DELAY = 1.0  # the WAL is copied into the log a second after writes, beside the writer

_Job = tuple[Callable[[Store], Any], "asyncio.Future[Any] | None"]


class Writer:
    def __init__(self, path: Path, region: str = "US", *, journal: bool = False) -> None:
        self._path = path
        self._region = region
        self._journal = journal
        self._store: Store | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # Qt may run our callbacks between its passes
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[_Job] = []
        self._flushing: asyncio.Task[None] | None = None
        self._indexing: asyncio.Handle | None = None
        self._checkpointer: Checkpointer | None = None
        self._checkpoint_pool: ThreadPoolExecutor | None = None
        self._checkpointing: asyncio.Handle | None = None
        self._checkpoint_done: asyncio.Future[None] | None = None
        self.commits = 0  # transactions so far; with ``jobs``, shows how well commits are grouped
        self.jobs = 0

    @property
    def region(self) -> str:
        return self._region

    @region.setter
    def region(self, value: str) -> None:
        self._region = value
        if self._store is not None:
            self._store.region = value

    async def start(self) -> None:
        """Open (and upgrade) the log; raises ``StoreError``."""
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="store-commit")
        self._loop = loop = asyncio.get_running_loop()
        try:
            self._store = await loop.run_in_executor(
                self._pool, lambda: Store(self._path, self._region, journal=self._journal)
            )
            self._store.find_calls_to_index()
            self._store.checkpoint_elsewhere()
        except StoreError:
            self._pool.shutdown()
            self._pool = None
            raise
        self._checkpointer = Checkpointer(self._path)
        self._checkpoint_pool = ThreadPoolExecutor(1, thread_name_prefix="store-checkpoint")
        self._index_soon()

    async def record(self, event: Event, is_mine: bool, received: datetime) -> bool:
        """Store ``event``; returns whether it was new, once it is committed."""
        return await self.run(lambda store: store.record(event, is_mine, received))

    async def run(self, job: Callable[[Store], T]) -> T:
        """Run a write job and wait for its commit."""
        if self._store is None:
            raise StoreError("the call log is closed")
        assert self._loop is not None
        future: asyncio.Future[T] = self._loop.create_future()
        self._queue(job, future)
        return await future

    def submit(self, job: Callable[[Store], Any]) -> None:
        """Queue a write nobody waits for (troubleshooting lines); failures are logged."""
        if self._store is not None:
            self._queue(job, None)

    async def close(self) -> None:
        """Commit what is queued, then close the log (calls still waiting are indexed next time)."""
        for handle in (self._indexing, self._checkpointing):
            if handle is not None:
                handle.cancel()
        self._indexing = self._checkpointing = None
        if self._flushing is not None:
            await self._flushing
        if self._checkpoint_done is not None:
            await self._checkpoint_done
        if self._checkpointer is not None:
            self._checkpointer.close()
            self._checkpointer = None
        if self._store is not None:
            self._store.close()  # the last connection: SQLite checkpoints what is left
            self._store = None
        for pool in (self._pool, self._checkpoint_pool):
            if pool is not None:
                pool.shutdown()
        self._pool = self._checkpoint_pool = None

    def _queue(self, job: Callable[[Store], Any], future: asyncio.Future[Any] | None) -> None:
        self._pending.append((job, future))
        if self._flushing is None:
            assert self._loop is not None
            self._flushing = self._loop.create_task(self._flush())

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                results = await self._commit([job for job, _ in batch])
                for (_, future), result in zip(batch, results, strict=True):
                    _settle(future, result)
        finally:
            self._flushing = None
        self._index_soon()
        self._checkpoint_soon()

    def _checkpoint_soon(self) -> None:
        if self._checkpointer is None or self._checkpointing is not None:
            return
        assert self._loop is not None
        self._checkpointing = self._loop.call_later(CHECKPOINT_DELAY, self._checkpoint)

    def _checkpoint(self) -> None:
        self._checkpointing = None
        if self._checkpoint_done is not None and not self._checkpoint_done.done():
            self._checkpoint_soon()  # the last one is still copying: look again later
            return
        assert self._checkpointer is not None
        assert self._loop is not None
        self._checkpoint_done = self._loop.run_in_executor(self._checkpoint_pool, self._checkpointer.run)

    def _index_soon(self) -> None:
        """After calls were stored: index them shortly, so one index transaction takes many.

        While a backlog remains, batch follows batch at once (still behind any delivery).
        """
        store = self._store
        if store is None or not store.calls_to_index or self._indexing is not None:
            return
        delay = 0 if store.index_backlog else INDEX_DELAY
        assert self._loop is not None
        self._indexing = self._loop.call_later(delay, self._index)

    def _index(self) -> None:
        self._indexing = None
        self.submit(lambda store: store.index_calls(INDEX_BATCH))

    async def _commit(self, jobs: list[Callable[[Store], Any]]) -> list[Any]:
        """One transaction for the batch; if any job fails, each runs again alone."""
        store = self._store
        assert store is not None
        assert self._pool is not None
        assert self._loop is not None
        try:
            store.begin()
            results = store.apply(jobs)
            await self._loop.run_in_executor(self._pool, store.commit)
        except Exception as exc:
            store.rollback()
            if len(jobs) == 1:
                return [as_store_error(exc)]
            return [(await self._commit([job]))[0] for job in jobs]
        self.commits += 1
        self.jobs += len(jobs)
        return results


def _settle(future: asyncio.Future[Any] | None, result: Any) -> None:
    if future is None:
        if isinstance(result, Exception):
            log.error("a background write to the call log failed: %s", result)
    elif not future.done():
        if isinstance(result, Exception):
            future.set_exception(result)
        else:
            future.set_result(result)
