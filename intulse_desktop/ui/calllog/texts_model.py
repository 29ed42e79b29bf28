"""Texts, newest first, as the call log's Texts tab shows them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, Qt

from intulse_desktop.caller_names import SEPARATOR
from intulse_desktop.formatting import human_time
from intulse_desktop.matching import format_number
from intulse_desktop.store import MessageRow, Store, message_sort_key
from intulse_desktop.ui.calllog.paging import PAGE, PagedModel

TEXT_COLUMNS = ("When", "From", "To", "Message", "Attachments")


class TextsModel(PagedModel):
    """Texts, newest first, read ``PAGE`` at a time; ``filters`` go to ``Store.messages``."""

    def __init__(self, store: Store, region: Callable[[], str]) -> None:
        super().__init__(list(TEXT_COLUMNS))
        self._store = store
        self._region = region
        self.filters: dict[str, Any] = {}

    def set_filters(self, **filters: Any) -> None:
        self.filters = filters
        self.reload()

    def _read(self, after: Any) -> list[MessageRow]:
        return self._store.messages(limit=PAGE, after=after, **self.filters)

    def _number(self, row: MessageRow) -> str:
        return row.from_

    def _after(self, row: MessageRow) -> Any:
        return message_sort_key(row)

    def live(self, key: str) -> None:
        """A text was stored: put it in its place if the filters want it (it is usually the newest)."""
        if any(row.key == key for row in self.rows):
            return
        found = self._store.messages(limit=1, key=key, **self.filters)
        if not found:
            return
        wanted = message_sort_key(found[0])
        place = next((i for i, row in enumerate(self.rows) if message_sort_key(row) < wanted), len(self.rows))
        if place == len(self.rows) and self.more:
            return
        self.beginInsertRows(QModelIndex(), place, place)
        self.rows.insert(place, found[0])
        self.endInsertRows()

    def _data(self, message: MessageRow, column: int, role: int) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        region = self._region()
        if column == 0:
            return human_time(message.created_utc)
        if column == 1:
            return SEPARATOR.join(filter(None, [message.contact_name, format_number(message.from_, region)]))
        if column == 2:
            return format_number(message.to, region)
        if column == 3:
            return " ".join(message.body.split())[:200]
        return attachment_summary(message)


def attachment_summary(message: MessageRow) -> str:
    kinds = ["image" if a.is_image else "audio" if a.is_audio else "file" for a in message.attachments]
    counts = {kind: kinds.count(kind) for kind in dict.fromkeys(kinds)}
    return ", ".join(f"{n} {kind}{'s' if n != 1 and kind != 'audio' else ''}" for kind, n in counts.items())
