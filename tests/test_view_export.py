"""Exporting a view of the log: every page, in the view's order, all or nothing."""

from __future__ import annotations

import csv
import threading
from datetime import UTC, datetime, timedelta

import pytest

from intulse_desktop import view_export
from intulse_desktop.events import parse
from intulse_desktop.store import CallQuery, Store
from intulse_desktop.view_export import ExportCancelled, export_calls, export_messages

from .helpers.builders import payload

T0 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def database(tmp_path, monkeypatch):
    monkeypatch.setattr(view_export, "PAGE", 7)
    monkeypatch.setattr(view_export, "PROGRESS_EVERY", 5)
    path = tmp_path / "log.sqlite3"
    store = Store(path)
    bodies = [
        payload("CallCompleted")
        | {
            "Id": f"call-{n}",
            "StartUtc": (T0 + timedelta(minutes=n)).isoformat(),
            "RemotePartyName": f"Caller {['ann', 'bob', 'cy'][n % 3]}",
        }
        for n in range(30)
    ]
    bodies += [
        payload("TextMessageReceived") | {"Id": n, "CreatedUtc": (T0 + timedelta(minutes=n)).isoformat()}
        for n in range(1, 16)
    ]
    events = [parse(b) for b in bodies]
    store.run_batch([lambda s, e=e: s.record(e, False, T0) for e in events])
    store.close()
    return path


def read(path):
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_every_page_of_the_view_is_written_in_its_order(database, tmp_path):
    progress = []
    target = tmp_path / "out.csv"
    query = CallQuery(search="caller bob", sort="start_utc", order="asc", limit=200)
    written = export_calls(
        database, query, target, lambda done, total: progress.append((done, total)), threading.Event()
    )
    rows = read(target)
    assert written == 10 == len(rows) - 1
    assert [r[0] for r in rows[1:]] == [f"call-{n}" for n in range(1, 30, 3)]
    assert progress == [(0, 10), (5, 10), (10, 10), (10, 10)]


def test_texts_are_written_too(database, tmp_path):
    target = tmp_path / "texts.csv"
    assert export_messages(database, {"search": ""}, target, lambda d, t: None, threading.Event()) == 15
    assert [r[0] for r in read(target)[1:]] == [str(n) for n in range(15, 0, -1)]


def test_cancelling_midway_leaves_no_file(database, tmp_path):
    cancel = threading.Event()
    out = tmp_path / "out"
    out.mkdir()

    def progress(done, total):
        if done >= 5:
            cancel.set()

    with pytest.raises(ExportCancelled):
        export_calls(database, CallQuery(), out / "calls.csv", progress, cancel)
    assert list(out.iterdir()) == []


def test_an_export_replaces_an_older_file_only_when_complete(database, tmp_path):
    target = tmp_path / "calls.csv"
    target.write_text("the previous export\n")
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(ExportCancelled):
        export_calls(database, CallQuery(), target, lambda d, t: None, cancel)
    assert target.read_text() == "the previous export\n"
