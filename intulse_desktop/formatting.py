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
    return local.strftime("%H:%M") if local.date() == datetime.now().astimezone().date() else local_time(value)


def printable(text: str) -> str:
    """Untrusted text made safe for a terminal: no escape sequences, no line breaks."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
