"""The SQLite file under every part of the store: opened durable, migrated, in transactions.

WAL with ``synchronous=FULL``, so a committed event survives a crash and a power loss.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from intulse_desktop.store.errors import StoreError
from intulse_desktop.store.schema import migrate


class Database:
    """One connection to the log; the parts of ``Store`` (its subclasses) share it."""

    def __init__(self, path: Path | str, region: str = "US") -> None:
        self.path = Path(path)
        self.region = region  # how numbers written without a country code are read
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA busy_timeout = 5000")
            mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":
                raise StoreError(f"{self.path}: cannot use write-ahead logging (got {mode})")
            self._db.execute("PRAGMA synchronous = FULL")
            self._db.execute("PRAGMA foreign_keys = ON")
            with self.transaction():
                migrate(self._db, self.path)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the call log {self.path}: {exc}") from None

    def close(self) -> None:
        self._db.close()

    def checkpoint_elsewhere(self) -> None:
        """The writer's connection leaves checkpoints to a ``Checkpointer``."""
        self._db.execute("PRAGMA wal_autocheckpoint = 0")

    @property
    def schema_version(self) -> int:
        version: int = self._db.execute("PRAGMA user_version").fetchone()[0]
        return version

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
        self._db.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self._db.execute("COMMIT")

    def rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")
