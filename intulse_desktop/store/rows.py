"""What the log hands out: one frozen dataclass per kind of row, the call log's sort orders,
and how times are stored (fixed-width ISO 8601 in UTC, so text order is time order)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, Literal, overload

from intulse_desktop.events import PhoneState
from intulse_desktop.matching import Matcher, digits


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
    contact_name: str = field(default="", compare=False)  # the address book's name for the number


def contact_name_of(key: str) -> str:
    """SQL for the name of the contact with the number key ``key`` (a column), "" if none; where
    contacts share a number, a VIP first, then the oldest (as ``Store.contact_for``)."""
    return (
        "coalesce((SELECT c.name FROM contact_numbers AS k JOIN contacts AS c ON c.id = k.contact_id "
        f"WHERE k.number_key = {key} ORDER BY c.vip DESC, c.id LIMIT 1), '')"
    )


CALL_FIELDS = tuple(f.name for f in fields(CallRow) if f.name != "seen")  # contact_name comes last
_STORED = ", ".join(f.name for f in fields(CallRow) if f.name != "contact_name")
CALL_COLUMNS = f"{_STORED}, {contact_name_of('calls.remote_key')}"  # a SELECT that ``call_row`` reads
# The same, over a page of calls already chosen and sorted (``page``, with its remote_key): a
# contact's name is then looked up for the page's rows alone, not for every call sorted.
PAGE_COLUMNS = f"{_STORED}, {contact_name_of('page.remote_key')}"
PAGE_SOURCE_COLUMNS = f"{_STORED}, remote_key, remote_digits"  # with what CALL_SORTS sorts by


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
    contact_name: str = ""  # the address book's name for the sender


@dataclass(frozen=True)
class PresenceRow:
    extension: str
    status: str
    state: PhoneState
    connected_line_name: str
    connected_line_number: str
    updated_utc: datetime


@dataclass(frozen=True)
class ContactNumber:
    number: str  # as written (E.164 where phonenumbers can read it)
    label: str = ""  # mobile, work, home, main, fax, pager, other, or the source's own word


@dataclass(frozen=True)
class ContactRow:
    """A contact in the address book (``store/contacts.py``)."""

    id: int
    name: str
    organisation: str
    vip: bool
    source: str  # "local" (added here), "import" (a file), "carddav" (synced, read-only here)
    numbers: tuple[ContactNumber, ...] = ()


@dataclass(frozen=True)
class NewContact:
    """A contact as a file or an address-book server has it, before it is stored.

    ``uid`` finds it again at the next import or sync (a vCard's UID, a CardDAV href);
    ``line`` is where it starts in its file, for error messages.
    """

    name: str
    numbers: tuple[ContactNumber, ...]
    organisation: str = ""
    uid: str = ""
    etag: str = ""
    line: int = 0


@dataclass(frozen=True)
class ContactChanges:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0


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


def message_sort_key(row: MessageRow) -> tuple[str, str]:
    """Where a text stands in time order; what ``Store.messages(after=...)`` takes."""
    return (to_db_time(row.created_utc), row.key)


def call_row(row: tuple[Any, ...]) -> CallRow:
    """A row of ``SELECT CALL_COLUMNS`` as a ``CallRow``."""
    values = list(row)
    values[9] = from_db_time(values[9])
    values[10] = from_db_time(values[10])
    values[14] = bool(values[14])
    return CallRow(*values)


def to_db_time(value: datetime) -> str:
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


@overload
def from_db_time(text: str) -> datetime: ...
@overload
def from_db_time(text: None) -> None: ...
def from_db_time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def now_utc() -> datetime:
    return datetime.now(UTC)
