"""The hub's journal: written with the event, numbered for good, trimmed, and a desktop's place in it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from intulse_desktop.events import parse
from intulse_desktop.store import Store
from intulse_desktop.store import journal as store_module

from .conftest import payload

NOW = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)


@pytest.fixture
def hub_log(tmp_path):
    s = Store(tmp_path / "hub.sqlite3", journal=True)
    yield s
    s.close()


def record(store, name, **fields):
    event = parse(payload(name) | fields, name.split("-")[0])
    [result] = store.run_batch([lambda s: s.record(event, False, NOW)])
    assert not isinstance(result, Exception), result
    return event


def test_each_new_event_is_journaled_with_its_payload(hub_log):
    event = record(hub_log, "TextMessageReceived")
    [row] = hub_log.journal_since(0, 10)
    assert (row.seq, row.event_type, row.received_utc) == (1, "TextMessageReceived", NOW)
    assert parse(json.loads(row.payload), row.event_type) == event


def test_a_repeated_delivery_gets_no_second_number(hub_log):
    record(hub_log, "CallStarted")
    record(hub_log, "CallStarted")
    assert [r.seq for r in hub_log.journal_since(0, 10)] == [1]


def test_an_event_that_fails_to_store_leaves_no_number_behind(hub_log):
    event = parse(payload("CallStarted"), "CallStarted")

    def fails_after_recording(store):
        store.record(event, False, NOW)
        raise RuntimeError("disk gone")

    [result] = hub_log.run_batch([fails_after_recording])
    assert isinstance(result, RuntimeError)
    assert hub_log.journal_since(0, 10) == []
    assert hub_log.journal_bounds() == (1, 0)


def test_a_desktops_log_keeps_no_journal(tmp_path):
    store = Store(tmp_path / "desk.sqlite3")
    record(store, "CallStarted")
    assert store.journal_since(0, 10) == []
    store.close()


def test_the_journal_is_trimmed_but_numbers_are_never_reused(hub_log, monkeypatch):
    monkeypatch.setattr(store_module, "MAX_JOURNAL", 3)
    for n in range(6):
        record(hub_log, "CallStarted", Id=f"call-{n}")
    assert hub_log.journal_bounds() == (4, 6)
    assert [r.seq for r in hub_log.journal_since(0, 10)] == [4, 5, 6]


def test_journal_reads_page_and_stop_where_asked(hub_log):
    for n in range(5):
        record(hub_log, "CallStarted", Id=f"call-{n}")
    assert [r.seq for r in hub_log.journal_since(1, 2)] == [2, 3]
    assert [r.seq for r in hub_log.journal_since(1, 10, upto=3)] == [2, 3]


def test_each_log_has_its_own_journal_identity(tmp_path, hub_log):
    other = Store(tmp_path / "other.sqlite3")
    assert len(hub_log.journal_origin()) == 32
    assert other.journal_origin() != hub_log.journal_origin()
    other.close()


def test_a_desktops_cursor_never_moves_back(tmp_path):
    store = Store(tmp_path / "desk.sqlite3")
    assert store.hub_cursor() is None
    store.run_batch([lambda s: s.set_hub_cursor("j1", 7)])
    store.run_batch([lambda s: s.set_hub_cursor("j1", 5)])
    assert store.hub_cursor() == ("j1", 7)
    store.close()
