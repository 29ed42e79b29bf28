"""The call log: calls, texts, presence and recent deliveries in one SQLite file.

Where each part lives:

- ``schema``: the migrations (append-only; the version in ``PRAGMA user_version``)
- ``connection``: the file opened durable (WAL, ``synchronous=FULL``), migrated, in transactions
- ``rows``: the row types, the call log's sort orders, how times are stored
- ``writes``: storing events, delivery lines, calls seen, pruning
- ``queries``: reading calls, texts, presence, deliveries
- ``search``: the trigram search engine and its index's upkeep
- ``journal``: the office hub's journal and a desktop's place in it
- ``contacts``: the address book, its lookup by number, imports and syncs
- ``facade``: ``Store``, all of the above on one connection
- ``checkpoint``: copying the WAL into the file beside the writer
- ``writer``: the one writer, with group commit
- ``retention``: pruning the log to ``retention_days``, a batch at a time

Modules in this package import each other from their modules, never from here.
"""

from intulse_desktop.store.checkpoint import Checkpointer
from intulse_desktop.store.contacts import ContactError
from intulse_desktop.store.errors import StoreError, as_store_error
from intulse_desktop.store.facade import Store
from intulse_desktop.store.rows import (
    CALL_FIELDS,
    CALL_SORTS,
    AttachmentRow,
    CallQuery,
    CallRow,
    ContactChanges,
    ContactNumber,
    ContactRow,
    DeliveryRow,
    JournalRow,
    MessageRow,
    NewContact,
    PresenceRow,
    call_sort_key,
    message_sort_key,
    now_utc,
    to_db_time,
)
from intulse_desktop.store.schema import MIGRATIONS
from intulse_desktop.store.writer import Writer
from intulse_desktop.store.writes import MAX_DELIVERIES

__all__ = [
    "CALL_FIELDS",
    "CALL_SORTS",
    "MAX_DELIVERIES",
    "MIGRATIONS",
    "AttachmentRow",
    "CallQuery",
    "CallRow",
    "Checkpointer",
    "ContactChanges",
    "ContactError",
    "ContactNumber",
    "ContactRow",
    "DeliveryRow",
    "JournalRow",
    "MessageRow",
    "NewContact",
    "PresenceRow",
    "Store",
    "StoreError",
    "Writer",
    "as_store_error",
    "call_sort_key",
    "message_sort_key",
    "now_utc",
    "to_db_time",
]
