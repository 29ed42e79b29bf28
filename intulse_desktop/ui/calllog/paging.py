"""A table model that reads its rows a page at a time, each page continuing after the last row."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from intulse_desktop.formatting import without_bidi_controls

PAGE = 200
TOP = QModelIndex()  # a table's rows have no parent


class PagedModel(QAbstractTableModel):
    """Rows read ``PAGE`` at a time, each page continuing after the last row (keyset)."""

    def __init__(self, headers: list[str]) -> None:
        super().__init__()
        self._headers = headers
        self.rows: list[Any] = []
        self.more = False

    def _read(self, after: Any) -> list[Any]:
        """The page after ``after`` (the first page for None)."""
        raise NotImplementedError

    def _after(self, row: Any) -> Any:
        """What continues the order after ``row``."""
        raise NotImplementedError

    def _number(self, row: Any) -> str:
        """The number of the caller or sender ``row`` is named after."""
        raise NotImplementedError

    def rename(self, name_for: Callable[[str], str]) -> None:
        """The address book changed: each row read so far takes its number's contact name now
        (``name_for``), in place, so the selection and the scroll position stay."""
        names: dict[str, str] = {}
        for i, row in enumerate(self.rows):
            number = self._number(row)
            if number not in names:
                names[number] = name_for(number)
            if names[number] != row.contact_name:
                self.rows[i] = replace(row, contact_name=names[number])
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(self._headers) - 1))

    def _data(self, row: Any, column: int, role: int) -> Any:
        """What the view shows of ``row`` in ``column`` for ``role`` (``UserRole``: the row itself)."""
        raise NotImplementedError

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.UserRole:
            return row
        value = self._data(row, index.column(), role)
        # names, numbers and bodies are untrusted: no bidi control may reorder what a cell shows
        return without_bidi_controls(value) if isinstance(value, str) else value

    def reload(self) -> None:
        self.beginResetModel()
        self.rows = self._read(None)
        self.more = len(self.rows) == PAGE
        self.endResetModel()

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = TOP) -> bool:
        return not parent.isValid() and self.more

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = TOP) -> None:
        if parent.isValid() or not self.more or not self.rows:
            return
        page = self._read(self._after(self.rows[-1]))
        self.more = len(page) == PAGE
        if page:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(page) - 1)
            self.rows += page
            self.endInsertRows()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = TOP) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = TOP) -> int:
        return 0 if parent.isValid() else len(self._headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None
