"""Keep the log for ``retention_days`` only: older calls and texts go, a small batch at a time.

Each batch is one write job through the writer, so a webhook that arrives
meanwhile waits for one short transaction at most, never for the whole prune.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from intulse_desktop.store import now_utc
from intulse_desktop.writer import Writer

BATCH = 500


async def prune(writer: Writer, days: int, now: datetime | None = None, batch: int = BATCH) -> int:
    """Delete calls and texts from before ``days`` ago; returns how many went."""
    before = (now or now_utc()) - timedelta(days=days)
    total = 0
    while deleted := await writer.run(lambda store: store.prune(before, batch)):
        total += deleted
    return total
