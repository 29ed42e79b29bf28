"""vCard 2.1, 3.0 and 4.0 (Google, Apple, Outlook and Android exports; CardDAV) as contacts.

``vobject`` reads each card: folded lines, quoted-printable, charsets, escaped values.
This module finds the cards and their lines first, so an error names the line of the
file it is on (vobject's own line numbers are off), and it joins what vobject does not:
the soft line breaks of a quoted-printable value (``=`` at the end of a line, vCard 2.1).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from intulse_desktop.contacts.fields import ContactFileError, label_of, phone_number
from intulse_desktop.store.rows import ContactNumber, NewContact

if TYPE_CHECKING:
    import vobject.base

_QUOTED_PRINTABLE = re.compile(r"^[^:]*quoted-printable[^:]*:", re.IGNORECASE)
_GROUP = re.compile(r"^([^.:;]+)\.")  # Apple's item1.TEL and item1.X-ABLABEL


@dataclass(frozen=True)
class RawCard:
    text: str
    lines: list[tuple[int, str]]  # (line number in the file, the line)


def looks_like_vcard(text: str) -> bool:
    return text.lstrip("\ufeff \t\r\n")[:11].upper() == "BEGIN:VCARD"


def read_vcards(text: str, etag: str = "", uid: str = "") -> Iterator[NewContact | int]:
    """Each card of ``text`` as a contact, or, for a card without a phone number (nothing to
    show a caller by), the line it starts on. ``uid``/``etag`` (CardDAV) override the card's."""
    for card in _cards(text):
        contact = _contact(card)
        if contact is None:
            yield card.lines[0][0]
            continue
        yield NewContact(
            contact.name,
            contact.numbers,
            contact.organisation,
            uid or contact.uid,
            etag,
            card.lines[0][0],
        )


def _cards(text: str) -> Iterator[RawCard]:
    """The cards of a file with the number of each of their lines; ``ContactFileError`` for
    text outside a card, a card inside a card, or one that never ends."""
    lines: list[tuple[int, str]] | None = None
    physical = text.lstrip("\ufeff").splitlines()
    number = 0
    while number < len(physical):
        line = physical[number]
        number += 1
        here = number
        # A quoted-printable value may go on after a soft line break ("=" at the end).
        while _QUOTED_PRINTABLE.match(line) and line.endswith("=") and number < len(physical):
            line = line[:-1] + physical[number].lstrip(" \t")
            number += 1
        keyword = line.strip().upper()
        if keyword == "BEGIN:VCARD":
            if lines is not None:
                raise ContactFileError(here, f"a new card begins before the card of line {lines[0][0]} ends")
            lines = [(here, line)]
        elif lines is None:
            if line.strip():
                raise ContactFileError(here, f"not part of a vCard (BEGIN:VCARD missing?): {line[:60]!r}")
        elif keyword == "END:VCARD":
            lines.append((here, line))
            yield RawCard("\r\n".join(text for _, text in lines) + "\r\n", lines)
            lines = None
        else:
            lines.append((here, line))
    if lines is not None:
        raise ContactFileError(lines[0][0], "the card that begins here never ends (END:VCARD missing)")


@dataclass(frozen=True)
class _Parsed:
    name: str
    numbers: tuple[ContactNumber, ...]
    organisation: str
    uid: str


def _contact(card: RawCard) -> _Parsed | None:
    import vobject  # here, not at the top: the app starts without it; only reading a card needs it
    import vobject.base

    try:
        component = vobject.readOne(card.text)
    except (vobject.base.ParseError, ValueError, UnicodeError, LookupError) as exc:
        said = re.sub(r"^At line \d+: ", "", str(exc))  # vobject's line numbers are not the file's
        raise ContactFileError(_line_of(card, said), f"not a vCard line ({said})") from None
    children = component.contents
    labels = {
        line.group.lower(): line.value
        for line in children.get("x-ablabel", [])
        if line.group and isinstance(line.value, str)
    }
    numbers = []
    for tel in children.get("tel", []):
        raw = _text(tel.value)
        if not raw.strip():
            continue
        written = raw.strip()
        if written.lower().startswith("tel:"):  # vCard 4.0: a tel: URI, maybe with ;ext=
            written = written[4:].split(";")[0]
        types = [*tel.singletonparams, *tel.params.get("TYPE", [])]
        custom = labels.get((tel.group or "").lower(), "")  # Apple's "_$!<Mobile>!$_" or the user's own
        label = (label_of([custom]) or custom.strip("_$!<> ").lower()) if custom else label_of(types)
        numbers.append(ContactNumber(phone_number(written, _line_of(card, raw)), label))
    if not numbers:
        return None
    organisation = _organisation(children)
    name = _name(children) or organisation
    if not name:
        numbers_text = ", ".join(n.number for n in numbers)
        raise ContactFileError(card.lines[0][0], f"the card with {numbers_text} has no name (FN, N or ORG)")
    uid = _text(children["uid"][0].value).strip() if "uid" in children else ""
    return _Parsed(name, tuple(numbers), organisation, uid)


def _name(children: dict[str, list[vobject.base.ContentLine]]) -> str:
    if "fn" in children and _text(children["fn"][0].value).strip():
        return " ".join(_text(children["fn"][0].value).split())
    if "n" in children:
        value = children["n"][0].value
        import vobject.vcard  # loaded by _contact already

        if isinstance(value, vobject.vcard.Name):
            parts = [value.prefix, value.given, value.additional, value.family, value.suffix]
            return " ".join(" ".join(_text(p) for p in parts).split())
        return " ".join(_text(value).replace(";", " ").split())
    return ""


def _organisation(children: dict[str, list[vobject.base.ContentLine]]) -> str:
    if "org" not in children:
        return ""
    value = children["org"][0].value
    parts = value if isinstance(value, list) else [value]
    return " ".join(" ".join(_text(p) for p in parts if _text(p).strip()).split())


def _text(value: object) -> str:
    if isinstance(value, list):
        return " ".join(_text(v) for v in value)
    return value if isinstance(value, str) else ""


def _line_of(card: RawCard, what: str) -> int:
    """The line of ``card`` that ``what`` (an error message, a value) is about; else its first."""
    for number, line in card.lines:
        text = line.strip()
        if text and (text in what or (what.strip() and what.strip() in text)):
            return number
    return card.lines[0][0]
