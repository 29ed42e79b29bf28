"""Calls, texts and presence as plain records: for JSON, CSV and the command line.

Times are ISO 8601 in UTC with a ``Z``. CSV cells that a spreadsheet would run
as a formula (a caller picks their own caller-ID name) are defused.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from typing import IO, Any

from intulse_desktop.formatting import without_bidi_controls
from intulse_desktop.store import CALL_FIELDS, CallRow, MessageRow, PresenceRow

MESSAGE_FIELDS = ("id", "from", "to", "body", "created_utc", "attachments", "contact_name")
_PLAIN_NUMBER = re.compile(r"^[+-]?[\d\s().-]*$")


def iso_utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    value = value.astimezone(UTC)
    spec = (
        "seconds"
        if not value.microsecond
        else "milliseconds"
        if not value.microsecond % 1000
        else "microseconds"
    )
    return value.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: iso_utc(v) if isinstance(v, datetime) else v for k, v in values.items()}


def call_record(row: CallRow) -> dict[str, Any]:
    return _plain({name: getattr(row, name) for name in CALL_FIELDS})


def message_record(row: MessageRow) -> dict[str, Any]:
    return {
        "id": row.id if row.id is not None else row.key,
        "from": row.from_,
        "to": row.to,
        "body": row.body,
        "created_utc": iso_utc(row.created_utc),
        "attachments": [asdict(a) for a in row.attachments],
        "contact_name": row.contact_name,
    }


def presence_record(row: PresenceRow) -> dict[str, Any]:
    return _plain(asdict(row))


def write_json(records: Iterable[Mapping[str, Any]], out: IO[str]) -> None:
    """A JSON array, written record by record so a large log never sits in memory."""
    separator = "[\n "
    for record in records:
        out.write(separator + json.dumps(record, ensure_ascii=False))
        separator = ",\n "
    out.write("[]\n" if separator.startswith("[") else "\n]\n")


def csv_cell(value: Any) -> str:
    """A cell as text, without bidi controls (a spreadsheet shows them as the app would not);
    one that starts like a formula gets a leading quote (OWASP)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = json.dumps(value, ensure_ascii=False)
    text = without_bidi_controls(str(value))
    if text[:1] in ("=", "@", "\t", "\r") or (text[:1] in ("+", "-") and not _PLAIN_NUMBER.match(text)):
        return "'" + text
    return text


def write_csv(records: Iterable[Mapping[str, Any]], fields: Iterable[str], out: IO[str]) -> None:
    fields = list(fields)
    writer = csv.writer(out)
    writer.writerow(fields)
    for record in records:
        writer.writerow([csv_cell(record.get(f)) for f in fields])
