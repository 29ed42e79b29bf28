"""The calls a query selects, as the call log's table shows them, kept in order as calls arrive."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPainter, QPixmap

from intulse_desktop.caller_names import call_name
from intulse_desktop.formatting import format_duration, human_time
from intulse_desktop.matching import Matcher, format_number
from intulse_desktop.store import CallQuery, CallRow, Store, call_sort_key
from intulse_desktop.ui.calllog.paging import PAGE, PagedModel
from intulse_desktop.ui.palette import play_icon, state_color
from intulse_desktop.ui.widgets import plain_tooltip

CALL_COLUMNS = (
    ("When", "start_utc"),
    ("Direction", "direction"),
    ("Outcome", "outcome"),
    ("Name", "remote_party_name"),
    ("Number", "remote_party_number"),
    ("Ext.", "extension"),
    ("Duration", "duration_seconds"),
    ("Recording", "recording"),
)
NAME_MINIMUM = 180  # px: a name, not "W…", however narrow the window (the table scrolls instead)
RECORDING_COLUMN = 7
DURATION_COLUMN = 6
OUTCOME_COLUMN = 2
NAME_COLUMN = 3
OUTCOMES = {"answered": "Answered", "missed": "Missed", "unanswered": "Not answered", None: "In progress"}


def _dot(color: QColor) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(color)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(1, 1, 10, 10)
    painter.end()
    return QIcon(pixmap)


class CallsModel(PagedModel):
    """The calls a ``CallQuery`` selects, read ``PAGE`` at a time as the view asks for more."""

    def __init__(self, store: Store, region: Callable[[], str], matcher: Matcher) -> None:
        super().__init__([column[0] for column in CALL_COLUMNS])
        self._store = store
        self._region = region
        self.matcher = matcher
        self.query = CallQuery(limit=PAGE)
        self._bold = QFont()
        self._bold.setBold(True)
        self._missed = QColor(state_color("missed"))  # the theme's: dark rows get the light red
        self._unseen = _dot(self._missed)
        self._play = play_icon()

    # --- reading ---------------------------------------------------------------------------

    def set_query(self, query: CallQuery) -> None:
        self.query = replace(query, limit=PAGE, offset=0, after=None, id=None)
        self.reload()

    def _read(self, after: Any) -> list[CallRow]:
        return self._store.calls(replace(self.query, after=after))

    def _number(self, row: CallRow) -> str:
        return row.remote_party_number

    def _after(self, row: CallRow) -> Any:
        return call_sort_key(row, self.query.sort)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        descending = order == Qt.SortOrder.DescendingOrder
        self.set_query(
            replace(self.query, sort=CALL_COLUMNS[column][1], order="desc" if descending else "asc")
        )

    # --- live ------------------------------------------------------------------------------

    def live(self, call_id: str) -> None:
        """A call was stored or changed: show it where the order puts it, if the query wants it."""
        found = self._store.calls(replace(self.query, id=call_id, limit=1))
        old = next((i for i, row in enumerate(self.rows) if row.id == call_id), None)
        if old is not None:
            rest = self.rows[:old] + self.rows[old + 1 :]
            if not found or self._beyond(self._place(found[0], rest), rest):
                self.beginRemoveRows(QModelIndex(), old, old)
                del self.rows[old]
                self.endRemoveRows()
                return
            place = self._place(found[0], rest)
            if place != old:  # a move keeps the row selected, if it was
                self.beginMoveRows(
                    QModelIndex(), old, old, QModelIndex(), place if place < old else place + 1
                )
                self.rows = rest[:place] + [found[0]] + rest[place:]
                self.endMoveRows()
            else:
                self.rows[old] = found[0]
            self._changed(place)
            return
        if not found:
            return
        place = self._place(found[0], self.rows)
        if self._beyond(place, self.rows):
            return  # it comes with a later page
        self.beginInsertRows(QModelIndex(), place, place)
        self.rows.insert(place, found[0])
        self.endInsertRows()

    def _place(self, row: CallRow, rows: list[CallRow]) -> int:
        """Where ``row`` goes among ``rows`` in the query's order (binary search)."""
        sort, descending = self.query.sort, self.query.order == "desc"
        key = call_sort_key(row, sort)
        low, high = 0, len(rows)
        while low < high:
            middle = (low + high) // 2
            other = call_sort_key(rows[middle], sort)
            if (other > key) if descending else (other < key):
                low = middle + 1
            else:
                high = middle
        return low

    def _beyond(self, place: int, rows: list[CallRow]) -> bool:
        return place == len(rows) and self.more

    def _changed(self, row: int) -> None:
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(CALL_COLUMNS) - 1))

    # --- seen ------------------------------------------------------------------------------

    def is_unseen(self, call: CallRow) -> bool:
        """A missed call of mine that nobody has looked at yet."""
        if call.outcome != "missed" or call.seen:
            return False
        return self.matcher.owns_call(call.extension, call.user_id)

    def mark_seen(self, ids: set[str]) -> None:
        for i, call in enumerate(self.rows):
            if call.id in ids and not call.seen:
                self.rows[i] = replace(call, seen=True)
                self._changed(i)

    def refresh(self, matcher: Matcher) -> None:
        """Settings or seen-marks changed elsewhere: re-read the unseen marks, redraw."""
        self.matcher = matcher
        for i, call in enumerate(self.rows):
            if call.outcome == "missed" and not call.seen:
                stored = self._store.call(call.id)
                if stored is not None and stored.seen:
                    self.rows[i] = replace(call, seen=True)
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, len(CALL_COLUMNS) - 1))

    # --- what the view shows ---------------------------------------------------------------

    def _data(self, call: CallRow, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(call, column)
        if role == Qt.ItemDataRole.FontRole and self.is_unseen(call):
            return self._bold
        if role == Qt.ItemDataRole.ForegroundRole and column == OUTCOME_COLUMN and call.outcome == "missed":
            return QBrush(self._missed)
        if role == Qt.ItemDataRole.DecorationRole:
            if column == 0 and self.is_unseen(call):
                return self._unseen
            if column == RECORDING_COLUMN and call.recording:
                return self._play
        if (
            role == Qt.ItemDataRole.ToolTipRole
        ):  # fixed words only: untrusted text in a tooltip may be rich text
            if column == 0 and self.is_unseen(call):
                return "New missed call"
            if column == RECORDING_COLUMN and call.recording:
                return "Double-click to play the recording"
            if column == NAME_COLUMN and call_name(call).beside:
                return plain_tooltip(f"Contact: {call.contact_name}\nCaller ID: {call.remote_party_name}")
        if role == Qt.ItemDataRole.TextAlignmentRole and column == DURATION_COLUMN:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, call: CallRow, column: int) -> str:
        if column == 0:
            return human_time(call.start_utc)
        if column == 1:
            return "Inbound" if call.direction == "inbound" else "Outbound"
        if column == 2:
            return OUTCOMES.get(call.outcome, call.outcome or "")
        if column == 3:
            return call_name(call).line() or "Unknown"
        if column == 4:
            return format_number(call.remote_party_number, self._region())
        if column == 5:
            return call.extension
        if column == 6:
            return format_duration(call.duration_seconds)
        return "Play" if call.recording else ""
