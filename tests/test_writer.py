from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from intulse_desktop.events import parse
from intulse_desktop.store import Store, StoreError
from intulse_desktop.store.writer import Writer

from .conftest import payload

NOW = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)


def started(n):
    return parse(payload("CallStarted") | {"Id": f"c{n}"}, "CallStarted")


async def test_events_that_arrive_together_share_a_commit_and_each_is_answered_after_it(writer, tmp_path):
    reader = Store(tmp_path / "log.sqlite3")

    async def record_and_look(n):
        is_new = await writer.record(started(n), False, NOW)
        return is_new, reader.call(f"c{n}") is not None  # committed by the time we are answered

    results = await asyncio.gather(*(record_and_look(n) for n in range(100)))
    reader.close()
    assert results == [(True, True)] * 100
    assert writer.jobs == 100
    assert writer.commits < 50


async def test_a_write_job_returns_its_result(writer):
    assert await writer.run(lambda store: store.schema_version) >= 1


async def test_a_failing_job_raises_for_its_caller_only(writer):
    def broken(store):
        raise ValueError("boom")

    results = await asyncio.gather(
        writer.run(broken), writer.record(started(1), False, NOW), return_exceptions=True
    )
    assert isinstance(results[0], ValueError)
    assert results[1] is True


async def test_closing_commits_what_is_queued(tmp_path):
    writer = Writer(tmp_path / "log.sqlite3")
    await writer.start()
    for n in range(20):
        writer.submit(lambda store, n=n: store.record(started(n), False, NOW))
    await writer.close()
    store = Store(tmp_path / "log.sqlite3")
    assert store.count_calls() == 20
    store.close()


async def test_a_closed_writer_refuses_work(tmp_path):
    writer = Writer(tmp_path / "log.sqlite3")
    await writer.start()
    await writer.close()
    with pytest.raises(StoreError):
        await writer.record(started(1), False, NOW)


async def test_a_log_that_cannot_be_opened_fails_start(tmp_path):
    (tmp_path / "log.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open"):
        await Writer(tmp_path / "log.sqlite3").start()


async def test_new_calls_join_the_search_index_shortly_after_many_at_a_time(writer, tmp_path, monkeypatch):
    monkeypatch.setattr("intulse_desktop.store.writer.INDEX_DELAY", 0.05)
    await asyncio.gather(*(writer.record(started(n), False, NOW) for n in range(30)))
    commits = writer.commits
    waiting = "SELECT count(*) FROM call_numbers WHERE n > (SELECT upto FROM search_indexed)"
    assert await writer.run(lambda store: store._db.execute(waiting).fetchone()[0]) == 30
    for _ in range(100):
        if await writer.run(lambda store: store._db.execute(waiting).fetchone()[0]) == 0:
            break
        await asyncio.sleep(0.02)
    assert await writer.run(lambda store: store._db.execute(waiting).fetchone()[0]) == 0
    assert writer.commits - commits <= 10  # a handful of index transactions, not one per call


async def test_a_backlog_is_indexed_batch_after_batch_without_waiting_between(writer, monkeypatch):
    monkeypatch.setattr("intulse_desktop.store.writer.INDEX_BATCH", 4)
    monkeypatch.setattr("intulse_desktop.store.writer.INDEX_DELAY", 0.4)
    await asyncio.gather(*(writer.record(started(n), False, NOW) for n in range(10)))
    waiting = "SELECT count(*) FROM call_numbers WHERE n > (SELECT upto FROM search_indexed)"
    loop = asyncio.get_running_loop()
    start = loop.time()
    while (
        await writer.run(lambda store: store._db.execute(waiting).fetchone()[0]) and loop.time() - start < 3
    ):
        await asyncio.sleep(0.01)
    # three batches: the first after the delay, the other two at once (waiting each time: 1.2 s)
    assert loop.time() - start < 0.9
    assert await writer.run(lambda store: store._db.execute(waiting).fetchone()[0]) == 0


async def test_commits_leave_checkpoints_to_their_own_connection_and_the_wal_is_reused(tmp_path, monkeypatch):
    monkeypatch.setattr("intulse_desktop.store.writer.CHECKPOINT_DELAY", 0.01)
    writer = Writer(tmp_path / "log.sqlite3")
    await writer.start()
    wal = tmp_path / "log.sqlite3-wal"
    assert await writer.run(lambda store: store._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0]) == 0
    sizes = []
    for round_ in range(3):
        await asyncio.gather(*(writer.record(started(round_ * 1000 + n), False, NOW) for n in range(200)))
        await asyncio.sleep(0.05)
        while writer._checkpoint_done is None or not writer._checkpoint_done.done():
            await asyncio.sleep(0.01)
        sizes.append(wal.stat().st_size)
    await writer.close()
    assert sizes[2] <= sizes[0] * 1.5  # checkpointed, then written again from its start: it did not grow
    assert not wal.exists() or wal.stat().st_size == 0  # closing the log checkpoints the rest
