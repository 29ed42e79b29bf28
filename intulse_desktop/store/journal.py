"""The office hub's journal (docs/hub.md): every new event with a sequence number that is
never reused, which desktops catch up from; and a desktop's place in its hub's journal."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from intulse_desktop.events import Event
from intulse_desktop.store.connection import Database
from intulse_desktop.store.rows import JournalRow, from_db_time, now_utc, to_db_time

MAX_JOURNAL = 100_000  # how far back an office hub's desktops can catch up (docs/hub.md)


def append_to_journal(db: sqlite3.Connection, event: Event, received: datetime) -> None:
    """Journal a new event (in the transaction that stores it: a number never refers to nothing)."""
    db.execute(
        "INSERT INTO journal (received_utc, event_type, payload) VALUES (?, ?, ?)",
        (to_db_time(received), event.TYPE, event.model_dump_json(by_alias=True)),
    )


def trim_journal(db: sqlite3.Connection) -> None:
    """Keep the newest ``MAX_JOURNAL`` entries."""
    db.execute("DELETE FROM journal WHERE seq <= (SELECT max(seq) FROM journal) - ?", (MAX_JOURNAL,))


class Journal(Database):
    def journal_origin(self) -> str:
        """This log's journal identity: sequence numbers mean something only with it."""
        origin: str = self._db.execute("SELECT id FROM journal_origin").fetchone()[0]
        return origin

    def journal_bounds(self) -> tuple[int, int]:
        """(oldest kept, newest given) sequence numbers; (head + 1, head) when none are kept."""
        row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'journal'").fetchone()
        head = row[0] if row else 0
        oldest = self._db.execute("SELECT min(seq) FROM journal").fetchone()[0]
        return (head + 1 if oldest is None else oldest), head

    def journal_since(self, after: int, limit: int, upto: int | None = None) -> list[JournalRow]:
        """Journal entries after ``after`` (up to ``upto``), oldest first."""
        sql = "SELECT seq, received_utc, event_type, payload FROM journal WHERE seq > ?"
        params: list[Any] = [after]
        if upto is not None:
            sql += " AND seq <= ?"
            params.append(upto)
        rows = self._db.execute(sql + " ORDER BY seq LIMIT ?", [*params, limit])
        return [
            JournalRow(seq, from_db_time(received), kind, payload) for seq, received, kind, payload in rows
        ]

    def hub_cursor(self) -> tuple[str, int] | None:
        """(journal, seq) of the hub this desktop heard from last, if any."""
        row = self._db.execute(
            "SELECT journal, seq FROM hub_cursor ORDER BY updated_utc DESC LIMIT 1"
        ).fetchone()
        return None if row is None else (row[0], row[1])

    def set_hub_cursor(self, journal: str, seq: int) -> None:
        """Remember how far this desktop has received the hub's journal; it never moves back."""
        self._db.execute(
            "INSERT INTO hub_cursor (journal, seq, updated_utc) VALUES (?, ?, ?) ON CONFLICT (journal) "
            "DO UPDATE SET seq = max(seq, excluded.seq), updated_utc = excluded.updated_utc",
            (journal, seq, to_db_time(now_utc())),
        )
