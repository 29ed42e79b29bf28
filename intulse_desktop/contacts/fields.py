"""What every contacts file shares: its errors (naming the line), numbers and their labels."""

from __future__ import annotations

from collections.abc import Iterable

from intulse_desktop.matching import digits

# The words sources use for a number's kind, and the label kept for it (first match wins:
# a work fax is a fax). Anything else keeps no label.
_LABELS = [
    ("fax", ("fax",)),
    ("pager", ("pager",)),
    ("mobile", ("cell", "mobile", "iphone", "cellular", "car")),
    ("main", ("main", "primary", "company main")),
    ("work", ("work", "business", "office", "assistant")),
    ("home", ("home",)),
    ("other", ("other",)),
]


class ContactFileError(ValueError):
    """A contacts file that cannot be read; nothing of it was imported."""

    def __init__(self, line: int, reason: str, file: object = None) -> None:
        where = ", ".join(filter(None, [str(file) if file else "", f"line {line}" if line else ""]))
        super().__init__(f"{where}: {reason}" if where else reason)
        self.line = line
        self.reason = reason


def label_of(words: Iterable[str]) -> str:
    """The label for a number from its source's words (vCard TYPEs, CSV labels and headers)."""
    found = " ".join(words).lower().replace(",", " ")
    for label, names in _LABELS:
        if any(name in found for name in names):
            return label
    return ""


def phone_number(raw: str, line: int) -> str:
    """``raw`` trimmed, if it has digits; a value that is there but no number is an error."""
    text = raw.strip()
    if not digits(text):
        raise ContactFileError(line, f"{text!r} is not a phone number")
    return text
