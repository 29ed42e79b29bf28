"""Google's and Outlook's contacts CSV exports as contacts.

Google (old and new exports): ``Name`` or ``First/Middle/Last Name`` (``Given/Additional/
Family Name``), ``Organization Name`` (``Organization 1 - Name``), and numbered phones,
``Phone 1 - Label`` (``- Type``) with ``Phone 1 - Value``, several in one cell joined by
`` ::: ``. Outlook: ``First/Middle/Last Name``, ``Company``, and a column per kind of
number (``Mobile Phone``, ``Business Phone 2``, ``Home Fax``, …). Headers are matched
ignoring case, so exports in between read too.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator

from intulse_desktop.contacts.fields import ContactFileError, label_of, phone_number
from intulse_desktop.store.rows import ContactNumber, NewContact

_NUMBERED_PHONE = re.compile(r"^phone (\d+) - value$")
_FULL_NAME = ("name", "display name", "full name")
_NAME_PARTS = (
    ("first name", "given name"),
    ("middle name", "additional name"),
    ("last name", "family name"),
    ("suffix", "name suffix"),
)
_ORGANISATION = ("organization name", "organization 1 - name", "company", "organization")
# Outlook's number columns: a header with one of these words (not Google's "Phone 1 - Label").
_PHONE_HEADER = re.compile(r"\b(phone|fax|pager|mobile|telex|isdn|callback)\b")


def read_csv(text: str) -> Iterator[NewContact | int]:
    """Each row as a contact, or, for a row without a phone number, its line."""
    reader = csv.reader(text.lstrip("\ufeff").splitlines(keepends=True))
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        columns = _Columns(header)
        line = reader.line_num + 1
        for row in reader:
            if any(cell.strip() for cell in row):
                yield columns.contact(row, line) or line
            line = reader.line_num + 1
    except csv.Error as exc:
        raise ContactFileError(reader.line_num, f"not valid CSV: {exc}") from None


class _Columns:
    """Where a header has the name, the organisation and the numbers."""

    def __init__(self, header: list[str]) -> None:
        self.width = len(header)
        index = {name: i for i, name in reversed(list(enumerate(header)))}
        self.full_name = next((index[n] for n in _FULL_NAME if n in index), None)
        self.name_parts = [index[n] for names in _NAME_PARTS for n in names if n in index]
        self.organisation = next((index[n] for n in _ORGANISATION if n in index), None)
        self.phones: list[tuple[int, int | None, str]] = []  # (value column, label column, header label)
        for i, name in enumerate(header):
            numbered = _NUMBERED_PHONE.match(name)
            if numbered:
                n = numbered.group(1)
                kind = index.get(f"phone {n} - label", index.get(f"phone {n} - type"))
                self.phones.append((i, kind, ""))
            elif _PHONE_HEADER.search(name) and " - " not in name:
                self.phones.append((i, None, label_of([name])))
        if not self.phones or (self.full_name is None and not self.name_parts and self.organisation is None):
            raise ContactFileError(
                1, "not a Google or Outlook contacts CSV (no name and phone columns in its first line)"
            )

    def contact(self, row: list[str], line: int) -> NewContact | None:
        if len(row) > self.width:
            raise ContactFileError(line, f"{len(row)} cells where the first line has {self.width} columns")

        def cell(i: int | None) -> str:
            return row[i].strip() if i is not None and i < len(row) else ""

        numbers = []
        for value, kind, label in self.phones:
            for raw in cell(value).split(":::"):
                if raw.strip():
                    numbers.append(ContactNumber(phone_number(raw, line), label or label_of([cell(kind)])))
        if not numbers:
            return None
        organisation = cell(self.organisation)
        name = (
            cell(self.full_name)
            or " ".join(" ".join(cell(i) for i in self.name_parts).split())
            or organisation
        )
        if not name:
            raise ContactFileError(line, "this row has numbers but no name or company")
        return NewContact(name, tuple(numbers), organisation, line=line)
