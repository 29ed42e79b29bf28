"""Copying the write-ahead log into the log file, beside the writer rather than in its commits."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

log = logging.getLogger(__name__)


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
            log.warning("could not checkpoint the call log: %s", exc)

    def close(self) -> None:
        self._db.close()
