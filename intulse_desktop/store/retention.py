"""Keep the log for ``retention_days`` only: older calls and texts go, a small batch at a time.

Each batch is one write job through the writer, so a webhook that arrives
meanwhile waits for one short transaction at most, never for the whole prune.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from intulse_desktop.store.errors import StoreError
from intulse_desktop.store.rows import now_utc
from intulse_desktop.store.writer import Writer

log = logging.getLogger(__name__)

BATCH = 500
DAY = 24 * 60 * 60


async def prune(writer: Writer, days: int, now: datetime | None = None, batch: int = BATCH) -> int:
    """Delete calls and texts from before ``days`` ago; returns how many went."""
    before = (now or now_utc()) - timedelta(days=days)
    total = 0
    while deleted := await writer.run(lambda store: store.prune(before, batch)):
        total += deleted
    return total


async def keep_pruned(
    writer: Writer, days: int, on_pruned: Callable[[], None] | None = None, every: float = DAY
) -> None:
    """Prune now, then once a day, for as long as the app runs (cancel the task to stop)."""
    while True:
        try:
            deleted = await prune(writer, days)
        except StoreError as exc:  # a full disk, say: try again tomorrow
            log.warning("could not prune the call log: %s", exc)
            deleted = 0
        if deleted:
            log.info("deleted %d calls and texts older than %d days", deleted, days)
            if on_pruned is not None:
                on_pruned()
        await asyncio.sleep(every)
