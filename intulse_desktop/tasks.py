"""Background tasks that are never lost and never fail silently.

asyncio keeps only weak references to tasks, so a fire-and-forget task can be
collected mid-flight, and its exception is reported (if ever) at collection.
Here each task is held until it ends and its failure goes to the log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class Tasks:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop  # Qt slots may start tasks between loop passes
        self._running: set[asyncio.Task[Any]] = set()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def spawn(self, coro: Coroutine[Any, Any, Any], what: str) -> asyncio.Task[Any]:
        task = self._loop.create_task(coro, name=what)
        self._running.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s failed", task.get_name(), exc_info=task.exception())

    async def wait(self) -> None:
        """Let what is running finish (used on quit)."""
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
