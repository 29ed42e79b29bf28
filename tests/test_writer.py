from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from intulse_desktop.events import parse
from intulse_desktop.store import Store, StoreError
from intulse_desktop.writer import Writer

from .conftest import payload

NOW = datetime(2026, 11, 26, 5, 0, tzinfo=timezone.utc)


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

    results = await asyncio.gather(writer.run(broken), writer.record(started(1), False, NOW), return_exceptions=True)
    assert isinstance(results[0], ValueError) and results[1] is True


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
