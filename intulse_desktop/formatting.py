"""Text for people: durations as ``3:04``, local times, untrusted text made terminal-safe
and free of the bidi controls that make it display as something else."""

from __future__ import annotations

import re
from datetime import datetime

# Embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069), the left-to-right,
# right-to-left and Arabic letter marks: a caller's name "\u202eevil" would display as "live",
# and one could fake a number. Scripts written right to left display right without them.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def format_duration(seconds: int | None) -> str:
    if seconds is None:
        return ""
    minutes, secs = divmod(max(0, int(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def local_time(value: datetime | None) -> str:
    return "" if value is None else value.astimezone().strftime("%Y-%m-%d %H:%M")


def local_time_short(value: datetime) -> str:
    """Just the time for today, the date too for any other day."""
    local = value.astimezone()
    return (
        local.strftime("%H:%M") if local.date() == datetime.now().astimezone().date() else local_time(value)
    )


def is_utf8(text: str) -> bool:
    """False for text holding lone surrogates, which no UTF-8 file or database can hold: JSON's
    ``"\\ud800"`` escape decodes to one, and Python keeps bytes it could not decode as them."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def without_bidi_controls(text: str) -> str:
    """Untrusted text (a name, a number, a body) as it may be shown: no bidi control characters."""
    return BIDI_CONTROLS.sub("", text)


def printable(text: str) -> str:
    """Untrusted text made safe for a terminal: no escape sequences, no line breaks."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def human_time(value: datetime | None, now: datetime | None = None) -> str:
    """A local time as people say it: ``Today 10:04``, ``Yesterday 16:20``, ``Mon 09:12``,
    and the date for anything a week old or more."""
    if value is None:
        return ""
    local = value.astimezone()
    days = ((now or datetime.now()).astimezone().date() - local.date()).days
    clock = local.strftime("%H:%M")
    if days == 0:
        return f"Today {clock}"
    if days == 1:
        return f"Yesterday {clock}"
    if 1 < days < 7:
        return f"{local.strftime('%a')} {clock}"
    return local.strftime("%Y-%m-%d %H:%M")
