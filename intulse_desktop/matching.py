"""Is this event mine? Extension, user id and phone-number matching.

One number arrives as ``+13175550142``, ``13175550142`` or ``(317) 555-0142``;
everything that compares numbers compares their ``number_key``: E.164 where
phonenumbers can read the number, else its bare digits (extensions, short codes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import phonenumbers

from intulse_desktop.events import CallCompleted, CallStarted, ExtensionUpdated, TextMessageReceived

if TYPE_CHECKING:
    from collections.abc import Iterable

    from intulse_desktop.events import Event

_E164 = phonenumbers.PhoneNumberFormat.E164


_NOT_DIGITS = re.compile(r"[^0-9]+")


def digits(text: str) -> str:
    return _NOT_DIGITS.sub("", text)


@lru_cache(maxsize=8192)
def _parse(raw: str, region: str) -> phonenumbers.PhoneNumber | None:
    """The number phonenumbers reads from ``raw``, trying ``+`` for a bare international one."""
    text = raw.strip()
    attempts: list[tuple[str, str | None]] = [(text, region)]
    if text and not text.startswith("+"):
        attempts.append(("+" + digits(text), None))
    for candidate, hint in attempts:
        try:
            number = phonenumbers.parse(candidate, hint)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            return number
    return None


def normalize_number(raw: str, region: str = "US") -> str | None:
    """E.164 for a number phonenumbers can read, ``None`` for anything else."""
    number = _parse(raw, region)
    return None if number is None else phonenumbers.format_number(number, _E164)


def number_key(raw: str, region: str = "US") -> str:
    """What two spellings of one number have in common (see the module docstring)."""
    return normalize_number(raw, region) or digits(raw)


def format_number(raw: str, region: str = "US") -> str:
    """A number as people write it: national within ``region``, international outside it."""
    number = _parse(raw, region)
    if number is None:
        return raw.strip()
    home = phonenumbers.country_code_for_region(region)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == home
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


@dataclass(frozen=True)
class Matcher:
    """Decides whether an event belongs to the person at this desktop."""

    extension: str = ""
    user_id: int | None = None
    numbers: frozenset[str] = frozenset()
    region: str = "US"

    @classmethod
    def create(cls, extension: str, user_id: int | None, numbers: Iterable[str], region: str) -> Matcher:
        keys = frozenset(number_key(n, region) for n in numbers) - {""}
        return cls(extension.strip(), user_id, keys, region)

    def owns_extension(self, extension: str) -> bool:
        return bool(self.extension) and extension.strip() == self.extension

    def owns_number(self, number: str) -> bool:
        return number_key(number, self.region) in self.numbers

    def owns_call(self, extension: str, user_id: int | None) -> bool:
        """A call is mine if it is on my extension or it is my user's (a known user id)."""
        return self.owns_extension(extension) or (self.user_id is not None and user_id == self.user_id)

    def is_mine(self, event: Event) -> bool:
        if isinstance(event, CallStarted | CallCompleted):
            return self.owns_call(event.extension, event.user_id)
        if isinstance(event, ExtensionUpdated):
            return self.owns_extension(event.extension)
        if isinstance(event, TextMessageReceived):
            return self.owns_number(event.to)
        return False
