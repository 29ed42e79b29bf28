"""Writing the log: events as they arrive, delivery lines, calls seen, pruning.

Only the writer (``writer.py``) runs these, each inside its open transaction; the
delivery lines noted meanwhile are written with the batch (``write_noted``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from intulse_desktop.events import (
    CallCompleted,
    CallStarted,
    Event,
    ExtensionUpdated,
    TextMessageReceived,
)
from intulse_desktop.matching import digits, number_key
from intulse_desktop.store.connection import Database
from intulse_desktop.store.journal import append_to_journal, trim_journal
from intulse_desktop.store.rows import to_db_time

MAX_DELIVERIES = 500

_CALL_WRITE_COLUMNS = [
    "id",
    "linked_id",
    "client_id",
    "user_id",
    "user_display_name",
    "extension",
    "direction",
    "remote_party_name",
    "remote_party_number",
    "remote_key",
    "remote_digits",
    "start_utc",
    "answer_utc",
    "duration_seconds",
    "recording",
    "outcome",
]
_INSERT_STARTED = (
    f"INSERT INTO calls ({', '.join(_CALL_WRITE_COLUMNS[:12])}) VALUES ({', '.join('?' * 12)}) "
    "ON CONFLICT (id) DO NOTHING"
)
_UPSERT_COMPLETED = (
    f"INSERT INTO calls ({', '.join(_CALL_WRITE_COLUMNS)}) VALUES ({', '.join('?' * 16)}) "
    f"ON CONFLICT (id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in _CALL_WRITE_COLUMNS[1:])} "
    "WHERE calls.outcome IS NULL"
)
_INSERT_DELIVERY = (
    "INSERT INTO deliveries (received_utc, event_type, http_status, stored, is_new, is_mine, event_key, "
    "detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_TRIM_DELIVERIES = "DELETE FROM deliveries WHERE seq <= (SELECT max(seq) FROM deliveries) - ?"


class LogWrites(Database):
    journal: bool  # an office hub: each new event also goes to the journal
    calls_to_index: bool  # see search.CallSearch
    _deliveries: list[tuple[Any, ...]]  # noted in this transaction, written by write_noted

    def begin(self) -> None:
        self._deliveries.clear()
        super().begin()

    def write_noted(self) -> None:
        """Write the delivery lines noted in this transaction; trim deliveries and the journal."""
        self._db.executemany(_INSERT_DELIVERY, self._deliveries)
        self._db.execute(_TRIM_DELIVERIES, (MAX_DELIVERIES,))
        if self.journal:
            trim_journal(self._db)

    def record(self, event: Event, is_mine: bool, received: datetime) -> bool:
        """Store one event and a delivery line for it; True if the log changed."""
        if isinstance(event, CallCompleted):
            is_new, key = self._record_completed(event), event.id
        elif isinstance(event, CallStarted):
            is_new, key = self._record_started(event), event.id
        elif isinstance(event, TextMessageReceived):
            key = event.key  # a hash for the older shape: made once
            is_new = self._record_text(event, key)
        else:
            is_new, key = self._record_presence(event, received), event.extension
        self.log_delivery(
            received, event.TYPE, 200, stored=True, is_new=is_new, is_mine=is_mine, event_key=key
        )
        if is_new and self.journal:
            append_to_journal(self._db, event, received)
        return is_new

    def _call_values(self, call: CallStarted | CallCompleted) -> tuple[Any, ...]:
        """Values for ``_CALL_WRITE_COLUMNS[:12]``."""
        return (
            call.id,
            call.linked_id,
            call.client_id,
            call.user_id,
            call.user_display_name,
            call.extension,
            call.direction,
            call.remote_party_name,
            call.remote_party_number,
            number_key(call.remote_party_number, self.region),
            digits(call.remote_party_number),
            to_db_time(call.start_utc),
        )

    def _record_started(self, call: CallStarted) -> bool:
        # A late CallStarted never undoes what a CallCompleted already wrote.
        is_new = self._db.execute(_INSERT_STARTED, self._call_values(call)).rowcount == 1
        self.calls_to_index |= is_new
        return is_new

    def _record_completed(self, call: CallCompleted) -> bool:
        values = self._call_values(call) + (
            to_db_time(call.answer_utc) if call.answer_utc else None,
            call.duration_in_seconds,
            call.recording,
            call.outcome,
        )
        is_new = self._db.execute(_UPSERT_COMPLETED, values).rowcount == 1
        self.calls_to_index |= is_new
        return is_new

    def _record_text(self, text: TextMessageReceived, key: str) -> bool:
        cursor = self._db.execute(
            "INSERT INTO messages (key, id, from_number, to_number, from_key, to_key, body, created_utc) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
            (
                key,
                text.id,
                text.from_,
                text.to,
                number_key(text.from_, self.region),
                number_key(text.to, self.region),
                text.body,
                to_db_time(text.created_utc),
            ),
        )
        if cursor.rowcount != 1:
            return False
        self._db.executemany(
            "INSERT INTO attachments (message_key, position, id, is_image, is_audio, mime_type, "
            "name, size_in_bytes, url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (key, i, a.id, a.is_image, a.is_audio, a.mime_type, a.name, a.size_in_bytes, a.url)
                for i, a in enumerate(text.attachments)
            ],
        )
        return True

    def _record_presence(self, update: ExtensionUpdated, received: datetime) -> bool:
        cursor = self._db.execute(
            "INSERT INTO presence (extension, status, state, connected_line_name, "
            "connected_line_number, updated_utc) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (extension) DO UPDATE SET status = excluded.status, "
            "state = excluded.state, connected_line_name = excluded.connected_line_name, "
            "connected_line_number = excluded.connected_line_number, "
            "updated_utc = excluded.updated_utc "
            "WHERE status IS NOT excluded.status "
            "OR connected_line_name IS NOT excluded.connected_line_name "
            "OR connected_line_number IS NOT excluded.connected_line_number",
            (
                update.extension,
                update.status,
                update.state,
                update.connected_line_name,
                update.connected_line_number,
                to_db_time(received),
            ),
        )
        return cursor.rowcount == 1

    def log_delivery(
        self,
        received: datetime,
        event_type: str,
        http_status: int,
        *,
        stored: bool = False,
        is_new: bool = False,
        is_mine: bool = False,
        event_key: str = "",
        detail: str = "",
    ) -> None:
        """Note a delivery for troubleshooting; written with the rest of the batch in ``apply``."""
        self._deliveries.append(
            (to_db_time(received), event_type, http_status, stored, is_new, is_mine, event_key, detail[:500])
        )

    def mark_seen(self, call_ids: Sequence[str]) -> int:
        """Mark calls seen; returns how many changed."""
        changed = 0
        for start in range(0, len(call_ids), 500):
            chunk = call_ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            changed += self._db.execute(
                f"UPDATE calls SET seen = 1 WHERE seen = 0 AND id IN ({marks})", chunk
            ).rowcount
        return changed

    def prune(self, before: datetime, limit: int = 500) -> int:
        """Delete up to ``limit`` calls and ``limit`` texts (with their attachments) from
        before ``before``, oldest first; returns how many went. Small batches keep each
        transaction, and so the receiver's wait behind it, short."""
        cutoff = to_db_time(before)
        calls = self._db.execute(
            "DELETE FROM calls WHERE id IN "
            "(SELECT id FROM calls WHERE start_utc < ? ORDER BY start_utc LIMIT ?)",
            (cutoff, limit),
        ).rowcount
        texts = self._db.execute(
            "DELETE FROM messages WHERE key IN "
            "(SELECT key FROM messages WHERE created_utc < ? ORDER BY created_utc LIMIT ?)",
            (cutoff, limit),
        ).rowcount
        return calls + texts
