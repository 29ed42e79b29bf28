"""The call log: calls, texts, presence and recent deliveries in one SQLite file.

WAL with ``synchronous=FULL``, so a committed event survives a crash and a
power loss. The schema version lives in ``PRAGMA user_version`` and upgrades
one step at a time. Only the writer (``writer.py``) calls the write methods;
readers (the GUI, the command line) open their own ``Store``.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from intulse_desktop.events import (
    CallCompleted,
    CallStarted,
    Event,
    ExtensionUpdated,
    PhoneState,
    TextMessageReceived,
)
from intulse_desktop.matching import Matcher, digits, number_key

MAX_DELIVERIES = 500
MAX_JOURNAL = 100_000  # how far back an office hub's desktops can catch up (docs/hub.md)
MAX_PREFIX_TERMS = 200  # a short search beginning more trigrams than this reads the table instead

MIGRATIONS: list[str] = [
    # 1: the first schema
    """
    CREATE TABLE calls (
        id                  TEXT PRIMARY KEY,
        linked_id           TEXT NOT NULL DEFAULT '',
        client_id           INTEGER,
        user_id             INTEGER,
        user_display_name   TEXT NOT NULL DEFAULT '',
        extension           TEXT NOT NULL DEFAULT '',
        direction           TEXT NOT NULL,
        remote_party_name   TEXT NOT NULL DEFAULT '',
        remote_party_number TEXT NOT NULL DEFAULT '',
        remote_key          TEXT NOT NULL DEFAULT '',
        remote_digits       TEXT NOT NULL DEFAULT '',
        start_utc           TEXT NOT NULL,
        answer_utc          TEXT,
        duration_seconds    INTEGER,
        recording           TEXT,
        outcome             TEXT CHECK (outcome IN ('answered', 'missed', 'unanswered')),
        seen                INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    CREATE INDEX calls_by_start ON calls (start_utc);
    CREATE INDEX calls_by_remote ON calls (remote_key, start_utc);
    CREATE INDEX calls_by_extension ON calls (extension, start_utc);
    CREATE INDEX calls_unseen_missed ON calls (start_utc) WHERE outcome = 'missed' AND seen = 0;

    CREATE TABLE messages (
        key          TEXT PRIMARY KEY,
        id           INTEGER,
        from_number  TEXT NOT NULL,
        to_number    TEXT NOT NULL,
        from_key     TEXT NOT NULL,
        to_key       TEXT NOT NULL,
        body         TEXT NOT NULL,
        created_utc  TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX messages_by_created ON messages (created_utc);
    CREATE INDEX messages_by_from ON messages (from_key, created_utc);

    CREATE TABLE attachments (
        message_key   TEXT NOT NULL REFERENCES messages (key) ON DELETE CASCADE,
        position      INTEGER NOT NULL,
        id            INTEGER,
        is_image      INTEGER NOT NULL,
        is_audio      INTEGER NOT NULL,
        mime_type     TEXT NOT NULL,
        name          TEXT NOT NULL,
        size_in_bytes INTEGER,
        url           TEXT NOT NULL,
        PRIMARY KEY (message_key, position)
    ) WITHOUT ROWID;

    CREATE TABLE presence (
        extension             TEXT PRIMARY KEY,
        status                TEXT NOT NULL,
        state                 TEXT NOT NULL,
        connected_line_name   TEXT NOT NULL,
        connected_line_number TEXT NOT NULL,
        updated_utc           TEXT NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE deliveries (
        seq          INTEGER PRIMARY KEY,
        received_utc TEXT NOT NULL,
        event_type   TEXT NOT NULL,
        http_status  INTEGER NOT NULL,
        stored       INTEGER NOT NULL,
        is_new       INTEGER NOT NULL,
        is_mine      INTEGER NOT NULL,
        event_key    TEXT NOT NULL DEFAULT '',
        detail       TEXT NOT NULL DEFAULT ''
    );
    """,
    # 2: the office hub's journal: every new event with its sequence number (AUTOINCREMENT: a
    # number is never reused, even after trimming), the journal's identity, and a desktop's
    # place in the journal of the hub it receives from
    """
    CREATE TABLE journal (
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,
        received_utc TEXT NOT NULL,
        event_type   TEXT NOT NULL,
        payload      TEXT NOT NULL
    );
    CREATE TABLE journal_origin (id TEXT NOT NULL);
    INSERT INTO journal_origin VALUES (lower(hex(randomblob(16))));
    CREATE TABLE hub_cursor (
        journal     TEXT PRIMARY KEY,
        seq         INTEGER NOT NULL,
        updated_utc TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
    # 3: find a call by any part of its name or number on a large log. A trigram index
    # (contentless, no positions: the smallest) over the name, the digits as written and the
    # E.164 key (so "+1 317 555" finds "317-555-0142" too), each value padded with two U+0001
    # so that even its last character begins a trigram (see Store._index_query), and its
    # vocabulary. The search re-checks candidates with LIKE, so it answers exactly as a scan
    # would. FTS5 needs integer rowids and calls are keyed by text, so call_numbers numbers
    # them; triggers keep both in step.
    """
    CREATE TABLE call_numbers (n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE);
    CREATE VIRTUAL TABLE calls_search USING fts5 (
        remote_party_name, remote_digits, remote_key,
        content='', detail='none', columnsize=0, tokenize='trigram'
    );
    CREATE VIRTUAL TABLE calls_search_terms USING fts5vocab (calls_search, 'row');
    INSERT INTO call_numbers (id) SELECT id FROM calls ORDER BY start_utc;
    INSERT INTO calls_search (rowid, remote_party_name, remote_digits, remote_key)
        SELECT n, remote_party_name || char(1, 1), remote_digits || char(1, 1), remote_key || char(1, 1)
        FROM calls JOIN call_numbers USING (id);
    CREATE TRIGGER calls_search_insert AFTER INSERT ON calls BEGIN
        INSERT INTO call_numbers (id) VALUES (new.id);
        INSERT INTO calls_search (rowid, remote_party_name, remote_digits, remote_key)
            SELECT n, new.remote_party_name || char(1, 1), new.remote_digits || char(1, 1),
                new.remote_key || char(1, 1)
            FROM call_numbers WHERE id = new.id;
    END;
    CREATE TRIGGER calls_search_update AFTER UPDATE OF remote_party_name, remote_digits, remote_key ON calls
    WHEN old.remote_party_name IS NOT new.remote_party_name OR old.remote_digits IS NOT new.remote_digits
        OR old.remote_key IS NOT new.remote_key
    BEGIN
        INSERT INTO calls_search (calls_search, rowid, remote_party_name, remote_digits, remote_key)
            SELECT 'delete', n, old.remote_party_name || char(1, 1), old.remote_digits || char(1, 1),
                old.remote_key || char(1, 1)
            FROM call_numbers WHERE id = old.id;
        INSERT INTO calls_search (rowid, remote_party_name, remote_digits, remote_key)
            SELECT n, new.remote_party_name || char(1, 1), new.remote_digits || char(1, 1),
                new.remote_key || char(1, 1)
            FROM call_numbers WHERE id = new.id;
    END;
    CREATE TRIGGER calls_search_delete AFTER DELETE ON calls BEGIN
        INSERT INTO calls_search (calls_search, rowid, remote_party_name, remote_digits, remote_key)
            SELECT 'delete', n, old.remote_party_name || char(1, 1), old.remote_digits || char(1, 1),
                old.remote_key || char(1, 1)
            FROM call_numbers WHERE id = old.id;
        DELETE FROM call_numbers WHERE id = old.id;
    END;
    """,
    # 4: index calls a batch at a time, after they are stored, not in the transaction of each
    # delivery: FTS5 writes a segment per transaction, and merging hundreds of tiny segments a
    # second stalled the receiver (p99 from 15 ms to 450 ms). Calls past search_indexed.upto
    # are waiting (Store.index_calls); searches scan that short tail as well.
    """
    DROP TRIGGER calls_search_insert;
    DROP TRIGGER calls_search_update;
    DROP TRIGGER calls_search_delete;
    CREATE TABLE search_indexed (upto INTEGER NOT NULL);
    INSERT INTO search_indexed SELECT coalesce(max(n), 0) FROM call_numbers;
    CREATE TRIGGER call_numbers_insert AFTER INSERT ON calls BEGIN
        INSERT INTO call_numbers (id) VALUES (new.id);
    END;
    CREATE TRIGGER calls_search_update AFTER UPDATE OF remote_party_name, remote_digits, remote_key ON calls
    WHEN (old.remote_party_name IS NOT new.remote_party_name OR old.remote_digits IS NOT new.remote_digits
        OR old.remote_key IS NOT new.remote_key)
        AND (SELECT n FROM call_numbers WHERE id = old.id) <= (SELECT upto FROM search_indexed)
    BEGIN
        INSERT INTO calls_search (calls_search, rowid, remote_party_name, remote_digits, remote_key)
            SELECT 'delete', n, old.remote_party_name || char(1, 1), old.remote_digits || char(1, 1),
                old.remote_key || char(1, 1)
            FROM call_numbers WHERE id = old.id;
        INSERT INTO calls_search (rowid, remote_party_name, remote_digits, remote_key)
            SELECT n, new.remote_party_name || char(1, 1), new.remote_digits || char(1, 1),
                new.remote_key || char(1, 1)
            FROM call_numbers WHERE id = new.id;
    END;
    CREATE TRIGGER calls_search_delete AFTER DELETE ON calls BEGIN
        INSERT INTO calls_search (calls_search, rowid, remote_party_name, remote_digits, remote_key)
            SELECT 'delete', n, old.remote_party_name || char(1, 1), old.remote_digits || char(1, 1),
                old.remote_key || char(1, 1)
            FROM call_numbers WHERE id = old.id AND n <= (SELECT upto FROM search_indexed);
        DELETE FROM call_numbers WHERE id = old.id;
    END;
    """,
]


class StoreError(RuntimeError):
    """The log cannot be written (disk full, read-only, damaged)."""


# --- rows -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallRow:
    id: str
    linked_id: str
    client_id: int | None
    user_id: int | None
    user_display_name: str
    extension: str
    direction: str
    remote_party_name: str
    remote_party_number: str
    start_utc: datetime
    answer_utc: datetime | None
    duration_seconds: int | None
    recording: str | None
    outcome: str | None
    seen: bool = field(default=False, compare=False)


CALL_FIELDS = tuple(f.name for f in fields(CallRow) if f.name != "seen")
_CALL_COLUMNS = ", ".join(f.name for f in fields(CallRow))


@dataclass(frozen=True)
class AttachmentRow:
    id: int | None
    is_image: bool
    is_audio: bool
    mime_type: str
    name: str
    size_in_bytes: int | None
    url: str


@dataclass(frozen=True)
class MessageRow:
    key: str
    id: int | None
    from_: str
    to: str
    body: str
    created_utc: datetime
    attachments: tuple[AttachmentRow, ...] = ()


@dataclass(frozen=True)
class PresenceRow:
    extension: str
    status: str
    state: PhoneState
    connected_line_name: str
    connected_line_number: str
    updated_utc: datetime


@dataclass(frozen=True)
class DeliveryRow:
    seq: int
    received_utc: datetime
    event_type: str
    http_status: int
    stored: bool
    is_new: bool
    is_mine: bool
    event_key: str
    detail: str


@dataclass(frozen=True)
class JournalRow:
    seq: int
    received_utc: datetime
    event_type: str
    payload: str  # the event as JSON, in Intulse's field names (``events.parse`` reads it back)


@dataclass(frozen=True)
class CallQuery:
    """Which calls to list; every filter is optional and they combine with AND."""

    search: str = ""
    outcome: str | None = None
    direction: str | None = None
    with_recording: bool = False
    since: datetime | None = None
    until: datetime | None = None
    mine: Matcher | None = None
    limit: int | None = 50
    offset: int = 0
    order: Literal["asc", "desc"] = "desc"
    sort: str = "start_utc"  # a key of CALL_SORTS
    after: tuple[Any, ...] | None = None  # keyset paging: the call_sort_key of the last row already read
    id: str | None = None  # only this call (does it match the rest of the query?)


# What the call log can be sorted by: the SQL (never built from input) and the same value
# computed from a row, so a page can continue after a row (keyset) and a live row can be
# placed among loaded ones. Ties go by start time, then id. Names sort ignoring ASCII case
# (SQLite's lower(), which bytes.lower() matches).
CALL_SORTS: dict[str, tuple[str, Callable[[CallRow], Any]]] = {
    "start_utc": ("start_utc", lambda r: to_db_time(r.start_utc)),
    "direction": ("direction", lambda r: r.direction),
    "outcome": ("coalesce(outcome, '')", lambda r: r.outcome or ""),
    "remote_party_name": (
        "lower(remote_party_name)",
        lambda r: r.remote_party_name.encode().lower().decode(),
    ),
    "remote_party_number": ("remote_digits", lambda r: digits(r.remote_party_number)),
    "extension": ("extension", lambda r: r.extension),
    "duration_seconds": (
        "coalesce(duration_seconds, -1)",
        lambda r: -1 if r.duration_seconds is None else r.duration_seconds,
    ),
    "recording": ("(coalesce(recording, '') != '')", lambda r: int(bool(r.recording))),
}


def call_sort_key(row: CallRow, sort: str = "start_utc") -> tuple[Any, ...]:
    """Where ``row`` stands in the order ``sort`` (ascending); what ``CallQuery.after`` takes."""
    value = CALL_SORTS[sort][1](row)
    return (value, row.id) if sort == "start_utc" else (value, to_db_time(row.start_utc), row.id)


# --- time as stored: fixed-width ISO 8601 in UTC, so text order is time order -------------


def to_db_time(value: datetime) -> str:
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def from_db_time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def as_store_error(exc: Exception) -> Exception:
    """A database failure as the ``StoreError`` callers handle; anything else as it is."""
    return StoreError(f"cannot write the call log: {exc}") if isinstance(exc, sqlite3.Error) else exc


def now_utc() -> datetime:
    return datetime.now(UTC)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _statements(script: str) -> Iterator[str]:
    """Each statement of a migration (a trigger's body has semicolons of its own)."""
    statement = ""
    for piece in script.split(";"):
        statement += piece + ";"
        if sqlite3.complete_statement(statement):
            if statement.strip(" \n;"):
                yield statement
            statement = ""
    if statement.strip(" \n;"):
        raise StoreError(f"incomplete statement in a migration: {statement[:80]!r}")


def _fts_string(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _all_trigrams(value: str) -> str:
    """Every trigram of ``value`` (3 or more characters), as one FTS5 query."""
    grams = dict.fromkeys(value[i : i + 3] for i in range(len(value) - 2))
    return "(" + " AND ".join(_fts_string(g) for g in grams) + ")"


class Checkpointer:
    """Copies the write-ahead log into the database on a connection of its own.

    SQLite's automatic checkpoint runs inside a COMMIT, and its fsync of a database
    file that keeps growing can take a hundred milliseconds on an ext4 journal:
    every delivery waiting on that commit waited too. A passive checkpoint here
    runs beside the writer and never blocks it; a WAL that has been checkpointed is
    then reused from its start, so the commits' fsyncs stay on a file that does not grow.
    """

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    def run(self) -> None:
        try:
            self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:  # the next one will try again; the data is safe in the WAL
            logging.getLogger(__name__).warning("could not checkpoint the call log: %s", exc)

    def close(self) -> None:
        self._db.close()


class Store:
    # SQLite steps (about 20 ms on a 2-core laptop) a search may scan in the order shown
    # before it looks for its few matches another way: see iter_calls, benchmarks/calllog.py.
    SCAN_BUDGET = 250_000

    def __init__(self, path: Path | str, region: str = "US", *, journal: bool = False) -> None:
        self.path = Path(path)
        self.region = region
        self.journal = journal  # an office hub: each new event also goes to the journal
        self._deliveries: list[tuple[Any, ...]] = []  # noted in this transaction, written by apply
        self.calls_to_index = False  # new calls wait for index_calls (migration 4); the writer asks
        self.index_backlog = False  # the last index_calls left more waiting than one batch
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA busy_timeout = 5000")
            mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":
                raise StoreError(f"{self.path}: cannot use write-ahead logging (got {mode})")
            self._db.execute("PRAGMA synchronous = FULL")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the call log {self.path}: {exc}") from None

    def close(self) -> None:
        self._db.close()

    def checkpoint_elsewhere(self) -> None:
        """The writer's connection leaves checkpoints to a ``Checkpointer``."""
        self._db.execute("PRAGMA wal_autocheckpoint = 0")

    @property
    def schema_version(self) -> int:
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        with self.transaction():
            version = self.schema_version
            if version > len(MIGRATIONS):
                raise StoreError(f"{self.path} was written by a newer Intulse Desktop (schema {version})")
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in _statements(script):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.begin()
        try:
            yield
        except BaseException:
            self.rollback()
            raise
        self.commit()

    def begin(self) -> None:
        self._deliveries.clear()
        self._db.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self._db.execute("COMMIT")

    def rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def apply(self, jobs: Sequence[Callable[[Store], Any]]) -> list[Any]:
        """Run write jobs inside the open transaction; the first failure stops the batch.

        Callers then roll back and run each job alone, so one bad
        job fails only itself without a savepoint per job on the common path.
        """
        results = [job(self) for job in jobs]
        self._db.executemany(_INSERT_DELIVERY, self._deliveries)
        self._db.execute(_TRIM_DELIVERIES, (MAX_DELIVERIES,))
        if self.journal:
            self._db.execute(_TRIM_JOURNAL, (MAX_JOURNAL,))
        return results

    def run_batch(self, jobs: Sequence[Callable[[Store], Any]]) -> list[Any]:
        """Run write jobs in one transaction; each job's failure is its own (for tests and tools)."""
        try:
            with self.transaction():
                return self.apply(jobs)
        except Exception as exc:
            if len(jobs) == 1:
                return [as_store_error(exc)]
        return [self.run_batch([job])[0] for job in jobs]

    # --- writes (the writer only, inside a transaction) ---------------------------------

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
        if is_new and self.journal:  # in this transaction: a sequence number never refers to nothing
            payload = event.model_dump_json(by_alias=True)
            self._db.execute(_INSERT_JOURNAL, (to_db_time(received), event.TYPE, payload))
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

    def find_calls_to_index(self) -> None:
        """Set ``calls_to_index`` from the log itself (a log opened with calls still waiting)."""
        self.calls_to_index = self.index_backlog = (
            self._db.execute(
                "SELECT EXISTS (SELECT 1 FROM call_numbers WHERE n > (SELECT upto FROM search_indexed))"
            ).fetchone()[0]
            == 1
        )

    def index_calls(self, limit: int) -> int:
        """Add up to ``limit`` calls that are waiting to the search index; returns how many.

        ``calls_to_index`` stays set while more are waiting.
        """
        (upto,) = self._db.execute("SELECT upto FROM search_indexed").fetchone()
        last = self._db.execute(
            "SELECT max(n), count(*) FROM (SELECT n FROM call_numbers WHERE n > ? ORDER BY n LIMIT ?)",
            (upto, limit),
        ).fetchone()
        self.calls_to_index = self.index_backlog = last[1] == limit
        if not last[1]:
            return 0
        self._db.execute(
            "INSERT INTO calls_search (rowid, remote_party_name, remote_digits, remote_key) "
            "SELECT n, remote_party_name || char(1, 1), remote_digits || char(1, 1), "
            "remote_key || char(1, 1) "
            "FROM call_numbers JOIN calls USING (id) WHERE n > ? AND n <= ?",
            (upto, last[0]),
        )
        self._db.execute("UPDATE search_indexed SET upto = ?", (last[0],))
        return last[1]

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

    def set_hub_cursor(self, journal: str, seq: int) -> None:
        """Remember how far this desktop has received the hub's journal; it never moves back."""
        self._db.execute(
            "INSERT INTO hub_cursor (journal, seq, updated_utc) VALUES (?, ?, ?) ON CONFLICT (journal) "
            "DO UPDATE SET seq = max(seq, excluded.seq), updated_utc = excluded.updated_utc",
            (journal, seq, to_db_time(now_utc())),
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

    # --- queries -------------------------------------------------------------------------

    @staticmethod
    def _mine_clause(mine: Matcher, by_unseen: bool = False) -> tuple[str, list[Any]]:
        """``by_unseen``: for the few unseen missed calls, read through their partial index.
        ("+column" keeps SQLite, which has no statistics, from walking every call of my
        extension instead: 100 ms on a million calls, at every tray refresh.)"""
        parts, params = [], []
        plus = "+" if by_unseen else ""
        if mine.extension:
            parts.append(f"{plus}extension = ?")
            params.append(mine.extension)
        if mine.user_id is not None:
            parts.append(f"{plus}user_id = ?")
            params.append(mine.user_id)
        return ("(" + " OR ".join(parts) + ")" if parts else "0"), params

    @staticmethod
    def _search_clause(search: str) -> tuple[str, list[Any]]:
        """Name, or the digits of the number as written or as E.164; ("", []) for no search."""
        text = search.strip()
        if not text:
            return "", []
        wanted = digits(text)
        if wanted:
            return (
                r"(remote_party_name LIKE ? ESCAPE '\' OR remote_digits LIKE ? OR remote_key LIKE ?)",
                [_like(text), f"%{wanted}%", f"%{wanted}%"],
            )
        return r"remote_party_name LIKE ? ESCAPE '\'", [_like(text)]

    def _call_where(self, query: CallQuery) -> tuple[str, list[Any]]:
        clause, params = self._search_clause(query.search)
        clauses = [clause] if clause else []
        if query.outcome:
            clauses.append("outcome = ?")
            params.append(query.outcome)
        if query.direction:
            clauses.append("direction = ?")
            params.append(query.direction)
        if query.with_recording:
            clauses.append("recording IS NOT NULL AND recording != ''")
        if query.since:
            clauses.append("start_utc >= ?")
            params.append(to_db_time(query.since))
        if query.until:
            clauses.append("start_utc < ?")
            params.append(to_db_time(query.until))
        if query.mine:
            clause, extra = self._mine_clause(query.mine)
            clauses.append(clause)
            params += extra
        if query.id is not None:
            clauses.append("id = ?")
            params.append(query.id)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def _index_query(self, search: str) -> str | None:
        """An FTS5 query for the calls ``search`` may match (LIKE then decides): "" if none can,
        None where the index cannot help (a short text that begins too many trigrams).

        The text (and its digits, if any): 3 or more characters must hold every one of their
        trigrams; fewer must begin one of the index's trigrams, looked up in its vocabulary
        (every value is indexed with two characters of padding, so its last letter begins one).
        """
        text = search.strip()
        parts = []
        for value in dict.fromkeys(filter(None, [text, digits(text)])):
            if len(value) >= 3:
                parts.append(_all_trigrams(value))
                continue
            start = value.lower()
            terms = [
                row[0]
                for row in self._db.execute(
                    "SELECT term FROM calls_search_terms WHERE term >= ? AND term < ? LIMIT ?",
                    (start, start + "\U0010ffff", MAX_PREFIX_TERMS + 1),
                )
            ]
            if len(terms) > MAX_PREFIX_TERMS:
                return None
            if terms:
                parts.append("(" + " OR ".join(_fts_string(term) for term in terms) + ")")
        return " OR ".join(parts)

    def _few_matches(self, search: str) -> tuple[str, list[Any]]:
        """The calls a search may match, found without walking the log in order: through the
        trigram index, or where it cannot help, in one pass over the table."""
        match = self._index_query(search)
        clause, params = self._search_clause(search)
        if match is None:
            return f"SELECT id FROM calls WHERE {clause}", params
        # Calls not indexed yet (the last moments' worth; see migration 4) are read directly.
        waiting = (
            "SELECT k.id FROM call_numbers AS k JOIN calls USING (id) "
            f"WHERE k.n > (SELECT upto FROM search_indexed) AND {clause}"
        )
        if not match:
            return waiting, params
        return (
            "SELECT k.id FROM calls_search JOIN call_numbers AS k ON k.n = calls_search.rowid "
            f"WHERE calls_search MATCH ? UNION ALL {waiting}",
            [match, *params],
        )

    def _source(self, query: CallQuery, few: bool) -> tuple[str, list[Any]]:
        """FROM what: all calls, or (``few``) the search's candidates first, each then looked up
        (CROSS JOIN keeps that order; SQLite would rather walk the log in order probing them)."""
        if not few:
            return "calls", []
        candidates, params = self._few_matches(query.search)
        return f"({candidates}) AS found CROSS JOIN calls USING (id)", params

    def _calls_sql(self, query: CallQuery, few: bool = False) -> tuple[str, list[Any]]:
        if query.sort not in CALL_SORTS:
            raise ValueError(f"cannot sort calls by {query.sort!r}; use one of {', '.join(CALL_SORTS)}")
        source, params = self._source(query, few)
        where, extra = self._call_where(query)
        params += extra
        keys = (
            ["start_utc", "id"]
            if query.sort == "start_utc"
            else [CALL_SORTS[query.sort][0], "start_utc", "id"]
        )
        descending = query.order == "desc"
        if query.after is not None:
            if len(query.after) != len(keys):
                raise ValueError(f"a position in calls sorted by {query.sort} has {len(keys)} values")
            marks = ", ".join("?" * len(keys))
            where += (
                f"{' AND' if where else ' WHERE'} ({', '.join(keys)}) {'<' if descending else '>'} ({marks})"
            )
            params += list(query.after)
        order = ", ".join(f"{key} {'DESC' if descending else 'ASC'}" for key in keys)
        sql = f"SELECT {_CALL_COLUMNS} FROM {source}{where} ORDER BY {order}"
        if query.limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [query.limit, query.offset]
        return sql, params

    def calls(self, query: CallQuery = CallQuery()) -> list[CallRow]:
        return list(self.iter_calls(query))

    def iter_calls(self, query: CallQuery = CallQuery()) -> Iterator[CallRow]:
        """Calls in the query's order. A search first scans in that order for a moment (quick
        when matches are many); if that was not enough, matches are few: see ``_few_matches``."""
        sql, params = self._calls_sql(query)
        rows: Iterable[tuple[Any, ...]] | None = None
        if query.id is None and query.search.strip():
            rows = self._within_budget(sql, params)
            if rows is None:
                sql, params = self._calls_sql(query, few=True)
        for row in self._db.execute(sql, params) if rows is None else rows:
            yield _call_row(row)

    def count_calls(self, query: CallQuery = CallQuery()) -> int:
        where, params = self._call_where(query)
        if query.id is None and query.search.strip():
            rows = self._within_budget(f"SELECT count(*) FROM calls{where}", params)
            if rows is not None:
                return rows[0][0]
            source, found = self._source(query, few=True)
            return self._db.execute(f"SELECT count(*) FROM {source}{where}", found + params).fetchone()[0]
        return self._db.execute(f"SELECT count(*) FROM calls{where}", params).fetchone()[0]

    def _within_budget(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]] | None:
        """All rows of ``sql``, or None if reading them takes more than ``SCAN_BUDGET`` steps."""
        ticks = 0
        allowed = max(0, self.SCAN_BUDGET // 1000)

        def tick() -> bool:
            nonlocal ticks
            ticks += 1
            return ticks > allowed  # True interrupts the statement

        self._db.set_progress_handler(tick, 1000)
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.OperationalError:
            if ticks <= allowed:
                raise
            return None
        finally:
            self._db.set_progress_handler(None, 0)

    def call(self, call_id: str) -> CallRow | None:
        row = self._db.execute(f"SELECT {_CALL_COLUMNS} FROM calls WHERE id = ?", (call_id,)).fetchone()
        return None if row is None else _call_row(row)

    def calls_with(self, number: str, limit: int | None = None) -> list[CallRow]:
        """Every call with this number, however it was written, newest first."""
        return self._with_number(
            f"SELECT {_CALL_COLUMNS} FROM calls WHERE remote_key = ? ORDER BY start_utc DESC",
            number,
            limit,
            _call_row,
        )

    def messages_with(self, number: str, limit: int | None = None) -> list[MessageRow]:
        """Every text from this number, newest first."""
        rows = self._with_number(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE from_key = ? ORDER BY created_utc DESC",
            number,
            limit,
            lambda row: row,
        )
        return self._with_attachments(rows)

    def _with_number(self, sql: str, number: str, limit: int | None, make: Callable[[Any], Any]) -> list[Any]:
        key = number_key(number, self.region)
        if not key:
            return []
        params: list[Any] = [key]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [make(row) for row in self._db.execute(sql, params)]

    def recent_callers(self, mine: Matcher, limit: int = 5) -> list[CallRow]:
        """My latest call with each of the last ``limit`` numbers, newest first."""
        where, params = self._mine_clause(mine)
        sql = (
            f"SELECT {_CALL_COLUMNS} FROM calls WHERE id IN ("
            f"SELECT id FROM (SELECT id, remote_key, max(start_utc) AS last FROM calls "
            f"WHERE {where} AND remote_key != '' GROUP BY remote_key ORDER BY last DESC LIMIT ?)"
            ") ORDER BY start_utc DESC"
        )
        return [_call_row(row) for row in self._db.execute(sql, [*params, limit])]

    def unseen_missed_count(self, mine: Matcher) -> int:
        where, params = self._mine_clause(mine, by_unseen=True)
        return self._db.execute(
            f"SELECT count(*) FROM calls WHERE outcome = 'missed' AND seen = 0 AND {where}", params
        ).fetchone()[0]

    def messages(
        self,
        limit: int | None = 50,
        offset: int = 0,
        order: str = "desc",
        *,
        search: str = "",
        since: datetime | None = None,
        until: datetime | None = None,
        after: tuple[str, str] | None = None,
        key: str | None = None,
    ) -> list[MessageRow]:
        """Texts by time; ``search`` looks in the body and the sender's number (digits only),
        ``after`` continues after a ``message_sort_key`` (keyset paging), ``key`` asks about one."""
        direction = "DESC" if order == "desc" else "ASC"
        clauses: list[str] = []
        params: list[Any] = []
        text = search.strip()
        if text:
            wanted = digits(text)
            clauses.append(r"(body LIKE ? ESCAPE '\'" + (" OR from_key LIKE ?)" if wanted else ")"))
            params += [_like(text), f"%{wanted}%"] if wanted else [_like(text)]
        if since:
            clauses.append("created_utc >= ?")
            params.append(to_db_time(since))
        if until:
            clauses.append("created_utc < ?")
            params.append(to_db_time(until))
        if after is not None:
            clauses.append(f"(created_utc, key) {'<' if order == 'desc' else '>'} (?, ?)")
            params += list(after)
        if key is not None:
            clauses.append("key = ?")
            params.append(key)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        order = f"ORDER BY created_utc {direction}, key {direction}"
        sql = f"SELECT {_MESSAGE_COLUMNS} FROM messages{where} {order}"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        return self._with_attachments(self._db.execute(sql, params).fetchall())

    def _with_attachments(self, rows: list[tuple[Any, ...]]) -> list[MessageRow]:
        by_key: dict[str, list[AttachmentRow]] = {row[0]: [] for row in rows}
        keys = list(by_key)
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            for row in self._db.execute(
                "SELECT message_key, id, is_image, is_audio, mime_type, name, size_in_bytes, url "
                f"FROM attachments WHERE message_key IN ({marks}) ORDER BY message_key, position",
                chunk,
            ):
                by_key[row[0]].append(
                    AttachmentRow(row[1], bool(row[2]), bool(row[3]), row[4], row[5], row[6], row[7])
                )
        return [
            MessageRow(key, id_, frm, to, body, from_db_time(created), tuple(by_key[key]))  # type: ignore[arg-type]
            for key, id_, frm, to, body, created in rows
        ]

    def presence(self, extension: str | None = None) -> list[PresenceRow]:
        sql = (
            "SELECT extension, status, state, connected_line_name, connected_line_number, "
            "updated_utc FROM presence"
        )
        params: tuple[str, ...] = ()
        if extension is not None:
            sql += " WHERE extension = ?"
            params = (extension,)
        return [
            PresenceRow(row[0], row[1], PhoneState(row[2]), row[3], row[4], datetime.fromisoformat(row[5]))
            for row in self._db.execute(sql + " ORDER BY extension", params)
        ]

    def deliveries(self, limit: int = 100) -> list[DeliveryRow]:
        return [
            DeliveryRow(
                row[0],
                from_db_time(row[1]),
                row[2],
                row[3],
                bool(row[4]),
                bool(row[5]),
                bool(row[6]),
                row[7],
                row[8],
            )  # type: ignore[arg-type]
            for row in self._db.execute(
                "SELECT seq, received_utc, event_type, http_status, stored, is_new, is_mine, "
                "event_key, detail FROM deliveries ORDER BY seq DESC LIMIT ?",
                (limit,),
            )
        ]

    # --- the office hub's journal ----------------------------------------------------------

    def journal_origin(self) -> str:
        """This log's journal identity: sequence numbers mean something only with it."""
        return self._db.execute("SELECT id FROM journal_origin").fetchone()[0]

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
            JournalRow(seq, from_db_time(received), kind, payload)  # type: ignore[arg-type]
            for seq, received, kind, payload in rows
        ]

    def hub_cursor(self) -> tuple[str, int] | None:
        """(journal, seq) of the hub this desktop heard from last, if any."""
        row = self._db.execute(
            "SELECT journal, seq FROM hub_cursor ORDER BY updated_utc DESC LIMIT 1"
        ).fetchone()
        return None if row is None else (row[0], row[1])


_MESSAGE_COLUMNS = "key, id, from_number, to_number, body, created_utc"
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
_INSERT_JOURNAL = "INSERT INTO journal (received_utc, event_type, payload) VALUES (?, ?, ?)"
_TRIM_JOURNAL = "DELETE FROM journal WHERE seq <= (SELECT max(seq) FROM journal) - ?"


def message_sort_key(row: MessageRow) -> tuple[str, str]:
    """Where a text stands in time order; what ``Store.messages(after=...)`` takes."""
    return (to_db_time(row.created_utc), row.key)


def _call_row(row: tuple[Any, ...]) -> CallRow:
    values = list(row)
    values[9] = from_db_time(values[9])
    values[10] = from_db_time(values[10])
    values[14] = bool(values[14])
    return CallRow(*values)
