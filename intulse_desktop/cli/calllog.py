"""Reading the log: ``calls``, ``messages`` and ``presence``, as lines, JSON or CSV."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from intulse_desktop.context import Context
from intulse_desktop.export import (
    MESSAGE_FIELDS,
    call_record,
    message_record,
    presence_record,
    write_csv,
    write_json,
)
from intulse_desktop.formatting import format_duration, local_time, printable
from intulse_desktop.matching import format_number
from intulse_desktop.store import CALL_FIELDS, CallQuery, CallRow, MessageRow

Row = TypeVar("Row")


def _emit(
    fmt: str | None,
    rows: Iterable[Row],
    record: Callable[[Row], dict[str, Any]],
    fields: Iterable[str],
    line: Callable[[Row], str],
) -> None:
    if fmt == "json":
        write_json(map(record, rows), sys.stdout)
    elif fmt == "csv":
        write_csv(map(record, rows), fields, sys.stdout)
    else:
        for row in rows:
            print(line(row))


def cmd_calls(ctx: Context) -> int:
    query = CallQuery(
        search=ctx.args.search or "",
        outcome="missed" if ctx.args.missed else None,
        limit=ctx.args.limit,
    )
    region = ctx.settings.default_region

    def line(row: CallRow) -> str:
        return "  ".join(
            [
                local_time(row.start_utc),
                f"{row.direction:<8}",
                f"{row.outcome or 'ringing':<10}",
                f"{printable(format_number(row.remote_party_number, region)):<16}",
                f"ext {printable(row.extension):<5}",
                f"{format_duration(row.duration_seconds):>7}",
                "rec" if row.recording else "   ",
                printable(row.remote_party_name),
            ]
        )

    store = ctx.store()
    try:
        _emit(ctx.args.format, store.iter_calls(query), call_record, CALL_FIELDS, line)
    finally:
        store.close()
    return 0


def cmd_messages(ctx: Context) -> int:
    region = ctx.settings.default_region

    def line(row: MessageRow) -> str:
        body = row.body if ctx.args.verbose else f"({len(row.body)} characters; -v shows them)"
        return (
            f"{local_time(row.created_utc)}  {printable(format_number(row.from_, region)):<16} -> "
            f"{printable(format_number(row.to, region)):<16}  "
            f"{len(row.attachments)} attachment(s)  {printable(body)}"
        )

    store = ctx.store()
    try:
        rows = store.messages(limit=ctx.args.limit)
    finally:
        store.close()
    _emit(ctx.args.format, rows, message_record, MESSAGE_FIELDS, line)
    return 0


def cmd_presence(ctx: Context) -> int:
    store = ctx.store()
    try:
        rows = store.presence()
    finally:
        store.close()
    if ctx.args.json:
        write_json(map(presence_record, rows), sys.stdout)
        return 0
    for row in rows:
        line = (
            f"ext {printable(row.extension):<6} {row.state:<12} {printable(row.status):<14} "
            f"{local_time(row.updated_utc)}"
        )
        if row.connected_line_number or row.connected_line_name:
            line += f"  with {printable(row.connected_line_number)} {printable(row.connected_line_name)}"
        print(line)
    return 0
