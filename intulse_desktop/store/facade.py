"""``Store``: the call log as the one object its callers use, composed of the store's parts.

Each part is a class over the same connection, in a module of its own:
``connection.Database`` (opening, migrating, transactions), ``writes.LogWrites``,
``queries.LogQueries`` with ``search.CallSearch`` under it, ``journal.Journal`` and
``contacts.AddressBook``.
Only the writer (``writer.py``) calls the write methods; readers (the GUI, the
command line) open their own ``Store``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from intulse_desktop.store.contacts import AddressBook
from intulse_desktop.store.errors import as_store_error
from intulse_desktop.store.journal import Journal
from intulse_desktop.store.queries import LogQueries
from intulse_desktop.store.writes import LogWrites


class Store(LogWrites, LogQueries, Journal, AddressBook):
    def __init__(self, path: Path | str, region: str = "US", *, journal: bool = False) -> None:
        self.journal = journal
        self._deliveries = []
        self.calls_to_index = False
        self.index_backlog = False
        super().__init__(path, region)

    def apply(self, jobs: Sequence[Callable[[Store], Any]]) -> list[Any]:
        """Run write jobs inside the open transaction; the first failure stops the batch.

        Callers then roll back and run each job alone, so one bad
        job fails only itself without a savepoint per job on the common path.
        """
        results = [job(self) for job in jobs]
        self.write_noted()
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
