"""The one error the store's callers handle."""

from __future__ import annotations

import sqlite3


class StoreError(RuntimeError):
    """The log cannot be written (disk full, read-only, damaged)."""


def as_store_error(exc: Exception) -> Exception:
    """A database failure as the ``StoreError`` callers handle; anything else as it is."""
    return StoreError(f"cannot write the call log: {exc}") if isinstance(exc, sqlite3.Error) else exc
