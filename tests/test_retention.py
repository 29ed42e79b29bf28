"""Retention: old calls and texts are deleted now and then again each period."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

from intulse_desktop.events import parse
from intulse_desktop.store import StoreError
from intulse_desktop.store.retention import keep_pruned

from .helpers.builders import payload
from .helpers.waiting import eventually

NOW = datetime.now(UTC)


async def record_calls(writer, ages_in_days):
    for n, age in enumerate(ages_in_days):
        body = payload("CallCompleted") | {"Id": f"c{n}", "StartUtc": (NOW - timedelta(days=age)).isoformat()}
        await writer.record(parse(body, "CallCompleted"), False, NOW)


async def ids(writer):
    return await writer.run(lambda store: sorted(c.id for c in store.calls()))


async def test_keep_pruned_prunes_again_each_period(writer):
    pruned = []
    await record_calls(writer, [40])
    task = asyncio.get_running_loop().create_task(
        keep_pruned(writer, 30, lambda: pruned.append(1), every=0.05)
    )
    await eventually(lambda: len(pruned) == 1)
    await record_calls(writer, [40])  # after the first prune: only a second one finds it
    await eventually(lambda: len(pruned) == 2)
    task.cancel()
    assert await ids(writer) == []


async def test_a_prune_that_cannot_write_is_tried_again_next_time(writer, caplog):
    def failures():
        return [r for r in caplog.records if "could not prune" in r.getMessage()]

    await record_calls(writer, [40])
    with contextlib.suppress(StoreError):  # from now on every write fails
        await writer.run(lambda store: store._db.execute("PRAGMA query_only = ON"))
    task = asyncio.get_running_loop().create_task(keep_pruned(writer, 30, every=0.02))
    await eventually(lambda: len(failures()) >= 2)
    assert not task.done()
    task.cancel()
