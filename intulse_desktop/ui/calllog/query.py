"""What the call log's search bar can ask for: the filter buttons, the date ranges, and the
days a range covers."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

FILTERS: dict[str, dict[str, Any]] = {
    "All": {},
    "Missed": {"outcome": "missed"},
    "Inbound": {"direction": "inbound"},
    "Outbound": {"direction": "outbound"},
    "With recording": {"with_recording": True},
}
RANGES = ("Any time", "Today", "Yesterday", "Last 7 days", "Last 30 days", "Custom range")
NUMBER_FORMATTING = " ()+-./"  # typed alone (the start of a number), it searches for nothing yet


def day_range(choice: str, today: date, first: date, last: date) -> tuple[datetime | None, datetime | None]:
    """The local days a range covers, as ``[since, until)``; ``first``/``last`` for a custom one."""

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time()).astimezone()

    spans = {
        "Today": (today, today),
        "Yesterday": (today - timedelta(days=1), today - timedelta(days=1)),
        "Last 7 days": (today - timedelta(days=6), today),
        "Last 30 days": (today - timedelta(days=29), today),
        "Custom range": (min(first, last), max(first, last)),
    }
    if choice not in spans:
        return None, None
    start, end = spans[choice]
    return midnight(start), midnight(end + timedelta(days=1))
