"""Retention outside the GUI: the headless receiver and the hub prune too."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from intulse_desktop.events import parse
from intulse_desktop.store.retention import keep_pruned, pruning

from .conftest import payload

NOW = datetime.now(UTC)


async def record_calls(writer, ages_in_days):
    for n, age in enumerate(ages_in_days):
        body = payload("CallCompleted") | {"Id": f"c{n}", "StartUtc": (NOW - timedelta(days=age)).isoformat()}
        await writer.record(parse(body, "CallCompleted"), False, NOW)


async def ids(writer):
    return await writer.run(lambda store: sorted(c.id for c in store.calls()))


async def test_pruning_deletes_old_calls_while_the_block_runs_and_stops_after(writer):
    await record_calls(writer, [40, 35, 1])
    async with pruning(writer, 30):
        for _ in range(200):
            if await ids(writer) == ["c2"]:
                break
            await asyncio.sleep(0.01)
    assert await ids(writer) == ["c2"]


async def test_pruning_without_retention_keeps_everything(writer):
    await record_calls(writer, [4000])
    async with pruning(writer, None):
        await asyncio.sleep(0.05)
    assert await ids(writer) == ["c0"]


async def test_keep_pruned_prunes_again_each_period(writer):
    pruned = []

    async def until_pruned(times):
        for _ in range(100):
            if len(pruned) == times:
                return
            await asyncio.sleep(0.01)

    await record_calls(writer, [40])
    task = asyncio.get_running_loop().create_task(
        keep_pruned(writer, 30, lambda: pruned.append(1), every=0.05)
    )
    await until_pruned(1)
    await record_calls(writer, [40])  # after the first prune: only a second one finds it
    await until_pruned(2)
    task.cancel()
    assert pruned == [1, 1]
    assert await ids(writer) == []


async def test_a_prune_that_cannot_write_is_tried_again_next_time(writer, caplog):
    from intulse_desktop.store import StoreError

    await record_calls(writer, [40])
    try:
        await writer.run(lambda store: store._db.execute("PRAGMA query_only = ON"))
    except StoreError:
        pass  # from now on every write fails
    task = asyncio.get_running_loop().create_task(keep_pruned(writer, 30, every=0.02))
    for _ in range(100):
        if len([r for r in caplog.records if "could not prune" in r.getMessage()]) >= 2:
            break
        await asyncio.sleep(0.01)
    assert not task.done()
    task.cancel()
    assert len([r for r in caplog.records if "could not prune" in r.getMessage()]) >= 2
