"""The log's schema: append-only migrations, its version in ``PRAGMA user_version``.

A log upgrades one step at a time, in the transaction that opens it; a step, once
released, is never edited (a log may already hold it): change the schema by adding one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from intulse_desktop.store.errors import StoreError

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
        remote_party_name, remote_digits, remote_key, content='', detail='none', columnsize=0, tokenize='trigram'
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
    """,  # noqa: E501 (a released step is never edited, not even its layout)
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
    # 5: the address book (store/contacts.py): contacts and their numbers, each number also by the
    # key the call log compares (calls.remote_key), so a call finds its contact through an index.
    # A contact comes from a source: "local" (added here), "import" (a file) or "carddav"; an
    # imported or synced one is found again by its uid there (a vCard's UID, a CardDAV href).
    # carddav_books keeps each address book's sync-token (RFC 6578). contacts_search is a trigram
    # index of names and organisations (as calls_search is of calls): a search lists the few
    # contacts it names without reading all of them.
    """
    CREATE TABLE contacts (
        id           INTEGER PRIMARY KEY,
        name         TEXT NOT NULL,
        organisation TEXT NOT NULL DEFAULT '',
        vip          INTEGER NOT NULL DEFAULT 0,
        source       TEXT NOT NULL CHECK (source IN ('local', 'import', 'carddav')),
        source_uid   TEXT NOT NULL DEFAULT '',
        etag         TEXT NOT NULL DEFAULT '',
        updated_utc  TEXT NOT NULL
    );
    CREATE UNIQUE INDEX contacts_by_source ON contacts (source, source_uid) WHERE source_uid != '';
    CREATE INDEX contacts_by_name ON contacts (name COLLATE NOCASE);
    CREATE TABLE contact_numbers (
        contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
        position   INTEGER NOT NULL,
        number     TEXT NOT NULL,
        number_key TEXT NOT NULL CHECK (number_key != ''),
        label      TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (contact_id, position)
    ) WITHOUT ROWID;
    CREATE INDEX contact_numbers_by_key ON contact_numbers (number_key, contact_id);
    CREATE TABLE carddav_books (
        url        TEXT PRIMARY KEY,
        sync_token TEXT NOT NULL DEFAULT ''
    ) WITHOUT ROWID;
    CREATE VIRTUAL TABLE contacts_search USING fts5 (
        name, organisation, content='', detail='none', columnsize=0, tokenize='trigram'
    );
    CREATE TRIGGER contacts_search_insert AFTER INSERT ON contacts BEGIN
        INSERT INTO contacts_search (rowid, name, organisation) VALUES (new.id, new.name, new.organisation);
    END;
    CREATE TRIGGER contacts_search_update AFTER UPDATE OF name, organisation ON contacts BEGIN
        INSERT INTO contacts_search (contacts_search, rowid, name, organisation)
            VALUES ('delete', old.id, old.name, old.organisation);
        INSERT INTO contacts_search (rowid, name, organisation) VALUES (new.id, new.name, new.organisation);
    END;
    CREATE TRIGGER contacts_search_delete AFTER DELETE ON contacts BEGIN
        INSERT INTO contacts_search (contacts_search, rowid, name, organisation)
            VALUES ('delete', old.id, old.name, old.organisation);
    END;
    """,
]


def migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the log at ``path`` up to the newest schema (inside the caller's transaction)."""
    version: int = db.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise StoreError(f"{path} was written by a newer Intulse Desktop (schema {version})")
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        for statement in _statements(script):
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {number}")


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
