"""A contacts file (vCard or CSV) read whole, then stored in one transaction.

Reading everything before writing anything is what makes a bad file import nothing:
the first problem stops it with the line it is on. Contacts without a phone number are
left out (they cannot name a caller) and counted.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from intulse_desktop.contacts.csv_import import read_csv
from intulse_desktop.contacts.fields import ContactFileError
from intulse_desktop.contacts.vcard import looks_like_vcard, read_vcards
from intulse_desktop.store.facade import Store
from intulse_desktop.store.rows import ContactChanges, NewContact

MAX_FILE_BYTES = 200 * 2**20


@dataclass(frozen=True)
class ContactsFile:
    contacts: list[NewContact]
    without_numbers: int  # cards or rows left out: no phone number


@dataclass(frozen=True)
class Imported:
    changes: ContactChanges
    without_numbers: int


def read_contacts_file(path: Path) -> ContactsFile:
    """Every contact in ``path``; ``ContactFileError`` (naming the file and line) if it cannot be read."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ContactFileError(0, f"larger than {MAX_FILE_BYTES // 2**20} MB", path)
        data = path.read_bytes()
    except OSError as exc:
        raise ContactFileError(0, f"cannot read it: {exc.strerror or exc}", path) from None
    try:
        return read_contacts(decode(data))
    except ContactFileError as exc:
        raise ContactFileError(exc.line, exc.reason, path) from None


def read_contacts(text: str) -> ContactsFile:
    found = read_vcards(text) if looks_like_vcard(text) else read_csv(text)
    contacts: list[NewContact] = []
    without_numbers = 0
    for item in found:
        if isinstance(item, int):
            without_numbers += 1
        else:
            contacts.append(item)
    return ContactsFile(contacts, without_numbers)


def decode(data: bytes) -> str:
    """A file's text: UTF-8 or UTF-16 by their byte-order mark, UTF-8, else Windows-1252 (what
    Outlook exports). Binary data is refused."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ContactFileError(0, "not a vCard or CSV file (damaged UTF-16 text)") from None
    if b"\0" in data:
        raise ContactFileError(0, "not a vCard or CSV file (binary data)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def import_contacts(store: Store, found: ContactsFile) -> Imported:
    """Store what a file held, in one transaction of its own (for a command; the app runs
    ``store.upsert_contacts("import", found.contacts)`` through its writer instead)."""
    with store.transaction():
        changes = store.upsert_contacts("import", found.contacts)
    return Imported(changes, found.without_numbers)
