"""Export what the call log window shows (its search, filters and order) to a CSV file.

Runs in a worker thread on a connection of its own, so a million rows never
hold up the window; reads in keyset pages, so memory stays flat; writes through
``atomic.replacing``, so a cancelled or failed export leaves no half file behind.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from intulse_desktop.atomic import replacing
from intulse_desktop.export import MESSAGE_FIELDS, call_record, message_record, write_csv
from intulse_desktop.store import CALL_FIELDS, CallQuery, Store, call_sort_key, message_sort_key

PAGE = 2000
PROGRESS_EVERY = 1000


class ExportCancelled(Exception):
    """The user cancelled; nothing was written."""


def export_calls(
    database: Path,
    query: CallQuery,
    target: Path,
    progress: Callable[[int, int | None], None],
    cancel: threading.Event,
) -> int:
    """Write every call ``query`` selects to ``target``; returns how many."""
    store = Store(database)
    try:
        total = store.count_calls(replace(query, limit=None, offset=0, after=None))
        progress(0, total)

        rows = _keyset(
            lambda after: store.calls(replace(query, limit=PAGE, offset=0, after=after)),
            lambda row: call_sort_key(row, query.sort),
        )
        return _write(target, map(call_record, rows), CALL_FIELDS, lambda n: progress(n, total), cancel)
    finally:
        store.close()


def export_messages(
    database: Path,
    filters: dict[str, Any],
    target: Path,
    progress: Callable[[int, int | None], None],
    cancel: threading.Event,
) -> int:
    """Write every text ``Store.messages(**filters)`` selects to ``target``; returns how many."""
    store = Store(database)
    try:
        rows = _keyset(lambda after: store.messages(limit=PAGE, after=after, **filters), message_sort_key)
        return _write(target, map(message_record, rows), MESSAGE_FIELDS, lambda n: progress(n, None), cancel)
    finally:
        store.close()


def _keyset(read: Callable[[Any], list[Any]], after: Callable[[Any], Any]) -> Iterator[Any]:
    """Every row, a page at a time, each page continuing after the last row of the one before."""
    position = None
    while True:
        page = read(position)
        yield from page
        if len(page) < PAGE:
            return
        position = after(page[-1])


def _write(
    target: Path,
    records: Iterator[dict[str, Any]],
    fields: tuple[str, ...],
    progress: Callable[[int], None],
    cancel: threading.Event,
) -> int:
    written = 0

    def watched() -> Iterator[dict[str, Any]]:
        nonlocal written
        for record in records:
            if cancel.is_set():
                raise ExportCancelled()
            yield record
            written += 1
            if written % PROGRESS_EVERY == 0:
                progress(written)

    with replacing(target) as out:
        write_csv(watched(), fields, out)
    progress(written)
    return written
