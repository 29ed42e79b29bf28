"""Text for people: durations as ``3:04``, local times, untrusted text made terminal-safe."""

from __future__ import annotations

from datetime import datetime


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
