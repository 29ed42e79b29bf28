"""Keeping the rows a user looks at in view while new ones arrive above them."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex
from PySide6.QtWidgets import QAbstractItemView, QTableView


class ScrollKeeper(QObject):
    """Rows arriving above the first one shown push ``view`` down with them: the user goes on
    seeing what they were looking at (at the very top, new rows show)."""

    def __init__(self, view: QTableView) -> None:
        super().__init__(view)
        self._view = view
        self._scroll_from: int | None = None
        view.model().rowsAboutToBeInserted.connect(self._before_insert)
        view.model().rowsInserted.connect(self._after_insert)

    def _before_insert(self, parent: QModelIndex | QPersistentModelIndex, first: int, last: int) -> None:
        bar = self._view.verticalScrollBar()
        top = self._view.rowAt(0)
        self._scroll_from = bar.value() if bar.value() > 0 and 0 <= first <= top else None

    def _after_insert(self, parent: QModelIndex | QPersistentModelIndex, first: int, last: int) -> None:
        if self._scroll_from is not None:
            per_item = self._view.verticalScrollMode() == QAbstractItemView.ScrollMode.ScrollPerItem
            step = 1 if per_item else self._view.rowHeight(first)
            target = self._scroll_from + (last - first + 1) * step
            bar = self._view.verticalScrollBar()
            bar.setMaximum(max(bar.maximum(), target))  # the view grows its range only later
            bar.setValue(target)
            self._scroll_from = None
