"""The call log window: every call and text, read from the store a page at a time.

The tables never hold the whole log: a page (keyset, in the order shown) is
read when the view scrolls to its end. Search, filters, dates and sorting make a
new query that the store runs (sorting by an allow-listed column). A delivered
event is placed among the rows already read, so the selection and the scroll
position stay where the user left them.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QItemSelection,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QSize,
    Qt,
)
from PySide6.QtGui import (
    QAction,
    QBrush,
    QColor,
    QFont,
    QIcon,
    QImage,
    QKeySequence,
    QPainter,
    QPixmap,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QProgressDialog,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStyle,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from intulse_desktop.bus import Delivery
from intulse_desktop.events import CallCompleted, CallStarted, TextMessageReceived
from intulse_desktop.formatting import format_duration, human_time
from intulse_desktop.matching import Matcher, format_number
from intulse_desktop.recordings import FetchError
from intulse_desktop.store import CallQuery, CallRow, MessageRow, Store, call_sort_key, message_sort_key
from intulse_desktop.ui.cards import plain_label
from intulse_desktop.ui.player import recording_fetcher
from intulse_desktop.view_export import ExportCancelled, export_calls, export_messages

if TYPE_CHECKING:
    from intulse_desktop.ui.desktop import Desktop

PAGE = 200
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
RECORDING_COLUMN = 7
DURATION_COLUMN = 6
OUTCOME_COLUMN = 2
TEXT_COLUMNS = ("When", "From", "To", "Message", "Attachments")
FILTERS: dict[str, dict[str, Any]] = {
    "All": {},
    "Missed": {"outcome": "missed"},
    "Inbound": {"direction": "inbound"},
    "Outbound": {"direction": "outbound"},
    "With recording": {"with_recording": True},
}
RANGES = ("Any time", "Today", "Yesterday", "Last 7 days", "Last 30 days", "Custom range")
NUMBER_FORMATTING = " ()+-./"  # typed alone (the start of a number), it searches for nothing yet
OUTCOMES = {"answered": "Answered", "missed": "Missed", "unanswered": "Not answered", None: "In progress"}
MISSED = QColor("#c5221f")
_TOP = QModelIndex()  # a table's rows have no parent
THUMBNAIL = 120
MAX_IMAGE_BYTES = 20 * 2**20


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


class _PagedModel(QAbstractTableModel):
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

    def reload(self) -> None:
        self.beginResetModel()
        self.rows = self._read(None)
        self.more = len(self.rows) == PAGE
        self.endResetModel()

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = _TOP) -> bool:
        return not parent.isValid() and self.more

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = _TOP) -> None:
        if parent.isValid() or not self.more or not self.rows:
            return
        page = self._read(self._after(self.rows[-1]))
        self.more = len(page) == PAGE
        if page:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(page) - 1)
            self.rows += page
            self.endInsertRows()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _TOP) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _TOP) -> int:
        return 0 if parent.isValid() else len(self._headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None


class CallsModel(_PagedModel):
    """The calls a ``CallQuery`` selects, read ``PAGE`` at a time as the view asks for more."""

    def __init__(self, store: Store, region: Callable[[], str], matcher: Matcher) -> None:
        super().__init__([column[0] for column in CALL_COLUMNS])
        self._store = store
        self._region = region
        self.matcher = matcher
        self.query = CallQuery(limit=PAGE)
        self._bold = QFont()
        self._bold.setBold(True)
        self._unseen = _dot(MISSED)
        self._play = QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay)

    # --- reading ---------------------------------------------------------------------------

    def set_query(self, query: CallQuery) -> None:
        self.query = replace(query, limit=PAGE, offset=0, after=None, id=None)
        self.reload()

    def _read(self, after: Any) -> list[CallRow]:
        return self._store.calls(replace(self.query, after=after))

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

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        call, column = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(call, column)
        if role == Qt.ItemDataRole.UserRole:
            return call
        if role == Qt.ItemDataRole.FontRole and self.is_unseen(call):
            return self._bold
        if role == Qt.ItemDataRole.ForegroundRole and column == OUTCOME_COLUMN and call.outcome == "missed":
            return QBrush(MISSED)
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
            return call.remote_party_name.strip() or "Unknown"
        if column == 4:
            return format_number(call.remote_party_number, self._region())
        if column == 5:
            return call.extension
        if column == 6:
            return format_duration(call.duration_seconds)
        return "Play" if call.recording else ""


class TextsModel(_PagedModel):
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

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        message, column = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.UserRole:
            return message
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        region = self._region()
        if column == 0:
            return human_time(message.created_utc)
        if column == 1:
            return format_number(message.from_, region)
        if column == 2:
            return format_number(message.to, region)
        if column == 3:
            return " ".join(message.body.split())[:200]
        return attachment_summary(message)


def attachment_summary(message: MessageRow) -> str:
    kinds = ["image" if a.is_image else "audio" if a.is_audio else "file" for a in message.attachments]
    counts = {kind: kinds.count(kind) for kind in dict.fromkeys(kinds)}
    return ", ".join(f"{n} {kind}{'s' if n != 1 and kind != 'audio' else ''}" for kind, n in counts.items())


class MessagePane(QWidget):
    """One text in full: the body (selectable), image thumbnails, audio to play, links to open."""

    def __init__(self, desktop: Desktop) -> None:
        super().__init__()
        self._desktop = desktop
        self._images = recording_fetcher(
            desktop.secrets, desktop.paths.recordings_cache, max_bytes=MAX_IMAGE_BYTES
        )
        self._loading: list[asyncio.Task[None]] = []
        self.heading = plain_label("Select a text to read it here.", "heading")
        self.body = QPlainTextEdit()
        self.body.setReadOnly(True)
        self.attachments = QVBoxLayout()
        self.attachments.setContentsMargins(0, 0, 0, 0)
        holder = QWidget()
        holder.setLayout(self.attachments)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setMinimumWidth(380)
        scroll.setWidget(holder)
        row = QHBoxLayout()
        row.addWidget(self.body, 3)
        row.addWidget(scroll, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.heading)
        layout.addLayout(row, 1)
        self.setMinimumHeight(THUMBNAIL + 60)

    def show_message(self, message: MessageRow | None) -> None:
        for task in self._loading:
            task.cancel()
        self._loading.clear()
        while self.attachments.count():
            item = self.attachments.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        if message is None:
            self.heading.setText("Select a text to read it here.")
            self.body.clear()
            return
        region = self._desktop.settings.default_region
        _, sender = self._desktop.text_sender(message.from_)
        self.heading.setText(
            f"From {sender} to {format_number(message.to, region)} · {human_time(message.created_utc)}"
        )
        self.body.setPlainText(message.body)
        for attachment in message.attachments:
            self.attachments.addWidget(self._attachment_row(attachment, sender))
        self.attachments.addStretch(1)

    def _attachment_row(self, attachment: Any, sender: str) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 6)
        size = f" · {attachment.size_in_bytes // 1024} KB" if attachment.size_in_bytes else ""
        label = plain_label(
            f"{attachment.name or 'Attachment'}\n{attachment.mime_type or 'unknown type'}{size}"
        )
        if attachment.is_image:
            thumbnail = QLabel("Loading preview…")
            thumbnail.setObjectName("thumbnail")
            thumbnail.setFixedSize(THUMBNAIL, THUMBNAIL)
            thumbnail.setAlignment(Qt.AlignmentFlag.AlignCenter)
            thumbnail.setFrameShape(QFrame.Shape.StyledPanel)
            layout.addWidget(thumbnail)
            self._loading.append(
                self._desktop.tasks.spawn(self._thumbnail(thumbnail, attachment.url), "fetch a thumbnail")
            )
        buttons = QHBoxLayout()
        if attachment.is_audio:
            play = QPushButton("Play")
            play.clicked.connect(
                lambda: self._desktop.show_recording(attachment.url, f"Audio from {sender}", attachment.name)
            )
            buttons.addWidget(play)
        browser = QPushButton("Open in browser")
        browser.clicked.connect(lambda: self._desktop.open_url(attachment.url))
        buttons.addWidget(browser)
        buttons.addStretch(1)
        side = QVBoxLayout()
        side.addWidget(label)
        side.addLayout(buttons)
        side.addStretch(1)
        layout.addLayout(side, 1)
        return row

    async def _thumbnail(self, label: QLabel, url: str) -> None:
        try:
            path = await self._images.fetch(url)
        except FetchError as exc:
            label.setText("No preview")
            label.setToolTip(str(exc))  # our own words, plain: no caller text in it
            return
        image = QImage(str(path))
        if image.isNull():
            label.setText("No preview")
            return
        label.setPixmap(
            QPixmap.fromImage(
                image.scaled(
                    QSize(THUMBNAIL - 4, THUMBNAIL - 4),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
        )


class CallLogWindow(QWidget):
    def __init__(self, desktop: Desktop) -> None:
        super().__init__(None)
        self.desktop = desktop
        self.setWindowTitle("Call log — Intulse Desktop")
        self.resize(1120, 700)

        def region() -> str:  # read when drawn: settings change
            return desktop.settings.default_region

        self.calls = CallsModel(desktop.store, region, desktop.settings.matcher())
        self.texts = TextsModel(desktop.store, region)
        self.last_export: asyncio.Task[None] | None = None
        self._stale = False  # news came while the window was closed: read again when shown

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search name or number")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(240)
        self.filter_group = QButtonGroup(self)
        filters = QHBoxLayout()
        filters.setSpacing(0)
        for i, name in enumerate(FILTERS):
            button = QPushButton(name)
            button.setCheckable(True)
            button.setChecked(i == 0)
            self.filter_group.addButton(button, i)
            filters.addWidget(button)
        self.mine_only = QCheckBox("Only my calls")
        self.range = QComboBox()
        self.range.addItems(RANGES)
        today = QDate.currentDate()
        self.first_day = QDateEdit(today.addDays(-6))
        self.last_day = QDateEdit(today)
        for edit in (self.first_day, self.last_day):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setVisible(False)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.clicked.connect(self.ask_export)

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addSpacing(8)
        top.addLayout(filters)
        top.addSpacing(8)
        top.addWidget(self.mine_only)
        top.addSpacing(8)
        top.addWidget(self.range)
        top.addWidget(self.first_day)
        top.addWidget(self.last_day)
        top.addSpacing(8)
        top.addWidget(self.export_button)

        self.calls_view = self._table(self.calls)
        header = self.calls_view.horizontalHeader()
        for column, width in enumerate((150, 90, 110, 260, 150, 60, 80, 90)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        header.setSortIndicator(0, Qt.SortOrder.DescendingOrder)
        self.calls_view.setSortingEnabled(True)  # sorts (loads) now, newest first
        self.calls_view.activated.connect(self._activated)
        self.calls_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.calls_view.customContextMenuRequested.connect(self._context_menu)
        self.calls_view.selectionModel().selectionChanged.connect(self._selected)

        self.texts_view = self._table(self.texts)
        texts_header = self.texts_view.horizontalHeader()
        for column, width in enumerate((150, 150, 150, 420, 120)):
            texts_header.resizeSection(column, width)
        texts_header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.message = MessagePane(desktop)
        self.texts_view.selectionModel().currentRowChanged.connect(self._text_selected)
        texts_page = QSplitter(Qt.Orientation.Vertical)
        texts_page.addWidget(self.texts_view)
        texts_page.addWidget(self.message)
        texts_page.setSizes([360, 300])

        self.tabs = QTabWidget()
        self.tabs.addTab(self.calls_view, "Calls")
        self.tabs.addTab(texts_page, "Texts")
        self.tabs.currentChanged.connect(self._tab_changed)
        self.status = plain_label("", "status")

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.status)

        self.search.textChanged.connect(self.apply)
        self.filter_group.idToggled.connect(lambda _id, on: on and self.apply())
        self.mine_only.toggled.connect(self.apply)
        self.range.currentTextChanged.connect(self._range_changed)
        self.first_day.dateChanged.connect(self.apply)
        self.last_day.dateChanged.connect(self.apply)
        QShortcut(QKeySequence.StandardKey.Find, self, self.search.setFocus)
        for model in (self.calls, self.texts):
            for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved):
                signal.connect(self._show_status)
        self.calls.rowsAboutToBeInserted.connect(self._before_insert)
        self.calls.rowsInserted.connect(self._after_insert)
        self._scroll_from: int | None = None
        desktop.delivered.connect(self._on_delivery)
        desktop.changed.connect(self._on_changed)
        self.apply()

    def _table(self, model: QAbstractTableModel) -> QTableView:
        view = QTableView()
        view.setModel(model)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setAlternatingRowColors(True)
        view.setShowGrid(False)
        view.setWordWrap(False)
        view.verticalHeader().setVisible(False)
        view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        view.horizontalHeader().setHighlightSections(False)
        return view

    # --- the query -------------------------------------------------------------------------

    def search_text(self) -> str:
        text = self.search.text()
        return text if text.strip(NUMBER_FORMATTING) else ""

    def current_query(self) -> CallQuery:
        since, until = self._dates()
        chosen = list(FILTERS)[max(0, self.filter_group.checkedId())]
        return replace(
            CallQuery(),
            search=self.search_text(),
            since=since,
            until=until,
            mine=self.desktop.settings.matcher() if self.mine_only.isChecked() else None,
            sort=self.calls.query.sort,
            order=self.calls.query.order,
            **FILTERS[chosen],
        )

    def _dates(self) -> tuple[datetime | None, datetime | None]:
        return day_range(
            self.range.currentText(),
            date.today(),
            self.first_day.date().toPython(),
            self.last_day.date().toPython(),
        )

    def apply(self) -> None:
        """Run the search, filters and dates again for the tab shown (at every keystroke: the
        store answers fast); the other tab catches up when it is shown."""
        if self.tabs.currentIndex() == 0:
            query = replace(self.current_query(), limit=PAGE)
            if query != self.calls.query:
                self.calls.set_query(query)
        else:
            since, until = self._dates()
            texts = {"search": self.search_text(), "since": since, "until": until}
            if texts != self.texts.filters:
                self.texts.set_filters(**texts)
                self.message.show_message(None)
        self._show_status()

    def _range_changed(self, choice: str) -> None:
        custom = choice == "Custom range"
        self.first_day.setVisible(custom)
        self.last_day.setVisible(custom)
        self.apply()

    def _tab_changed(self, tab: int) -> None:
        for button in self.filter_group.buttons():
            button.setEnabled(tab == 0)
        self.mine_only.setEnabled(tab == 0)
        self.apply()

    def _show_status(self) -> None:
        if self.tabs.currentIndex() == 0:
            shown, more, noun = len(self.calls.rows), self.calls.more, "call"
        else:
            shown, more, noun = len(self.texts.rows), self.texts.more, "text"
        if shown == 0:
            text = f"No {noun}s match" if self._filtered() else f"No {noun}s yet"
        else:
            text = f"{shown:,}{'+' if more else ''} {noun}{'' if shown == 1 and not more else 's'}"
            if more:
                text += " — scroll for more"
        unseen = self.desktop.store.unseen_missed_count(self.calls.matcher)
        if unseen:
            text += f" · {unseen} new missed call{'' if unseen == 1 else 's'}"
        self.status.setText(text)

    def _filtered(self) -> bool:
        return (
            bool(self.search_text().strip())
            or self.range.currentIndex() > 0
            or (
                self.tabs.currentIndex() == 0
                and (self.filter_group.checkedId() > 0 or self.mine_only.isChecked())
            )
        )

    # --- live ------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self.calls.matcher = self.desktop.settings.matcher()
            self.calls.reload()
            if self.texts.filters:  # the texts tab has been shown
                self.texts.reload()

    def _on_delivery(self, delivery: Delivery) -> None:
        if not delivery.is_new:
            return
        if not self.isVisible():  # closed, not gone: no reading for a window nobody sees
            self._stale = True
            return
        event = delivery.event
        if isinstance(event, CallStarted | CallCompleted):
            self.calls.live(event.id)
        elif isinstance(event, TextMessageReceived):
            self.texts.live(event.key)

    def _on_changed(self) -> None:
        if not self.isVisible():
            self._stale = True
            return
        self.calls.refresh(self.desktop.settings.matcher())
        self._show_status()

    def _before_insert(self, parent: QModelIndex, first: int, last: int) -> None:
        bar = self.calls_view.verticalScrollBar()
        top = self.calls_view.rowAt(0)
        self._scroll_from = bar.value() if bar.value() > 0 and 0 <= first <= top else None

    def _after_insert(self, parent: QModelIndex, first: int, last: int) -> None:
        """Rows arriving above the first one shown push the view down with them: the
        user goes on seeing what they were looking at (at the very top, new calls show)."""
        if self._scroll_from is not None:
            per_item = self.calls_view.verticalScrollMode() == QAbstractItemView.ScrollMode.ScrollPerItem
            step = 1 if per_item else self.calls_view.rowHeight(first)
            target = self._scroll_from + (last - first + 1) * step
            bar = self.calls_view.verticalScrollBar()
            bar.setMaximum(max(bar.maximum(), target))  # the view grows its range only later
            bar.setValue(target)
            self._scroll_from = None

    # --- acting on calls -------------------------------------------------------------------

    def selected_calls(self) -> list[CallRow]:
        return [self.calls.rows[index.row()] for index in self.calls_view.selectionModel().selectedRows()]

    def _selected(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        self._mark_seen(self.selected_calls())

    def _mark_seen(self, calls: list[CallRow]) -> None:
        ids = {call.id for call in calls if self.calls.is_unseen(call)}
        if ids:
            self.calls.mark_seen(ids)
            self.desktop.mark_seen(sorted(ids))

    def _activated(self, index: QModelIndex) -> None:
        call = self.calls.rows[index.row()]
        if index.column() == RECORDING_COLUMN and call.recording:
            self.play(call)
        else:
            self.open_caller(call)

    def open_caller(self, call: CallRow) -> None:
        self._mark_seen([call])
        self.desktop.show_caller(call.remote_party_number, call.remote_party_name)

    def play(self, call: CallRow) -> None:
        self.desktop.play_recording(call)

    def _context_menu(self, position: QPoint) -> None:
        index = self.calls_view.indexAt(position)
        if not index.isValid():
            return
        call = self.calls.rows[index.row()]
        actions = self.desktop.actions(
            call.remote_party_number, call.remote_party_name, call.extension, call.id
        )
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        entries: list[tuple[str, Callable[[], None] | None]] = [
            ("Play recording", (lambda: self.play(call)) if call.recording else None),
            ("Caller details", lambda: self.open_caller(call)),
            ("Copy number", actions.copy),
            ("Call back", actions.call_back),
            ("Open in CRM", actions.crm),
        ]
        for text, action in entries:
            if action is not None:
                item = QAction(text, menu)
                item.triggered.connect(action)
                menu.addAction(item)
        menu.popup(self.calls_view.viewport().mapToGlobal(position))

    def _text_selected(self, current: QModelIndex, previous: QModelIndex) -> None:
        self.message.show_message(self.texts.rows[current.row()] if current.isValid() else None)

    # --- export ----------------------------------------------------------------------------

    def ask_export(self) -> None:
        noun = "calls" if self.tabs.currentIndex() == 0 else "texts"
        suggested = Path.home() / f"intulse-{noun}-{date.today().isoformat()}.csv"
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export {noun} to CSV", str(suggested), "CSV files (*.csv)"
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, target: Path) -> asyncio.Task[None]:
        """Export what the current tab shows, in a worker thread, with a progress dialog
        (shown only if it takes a while) whose Cancel leaves no file behind."""
        calls = self.tabs.currentIndex() == 0
        noun = "calls" if calls else "texts"
        cancel = threading.Event()
        dialog = QProgressDialog(f"Exporting {noun} to {target.name}…", "Cancel", 0, 0, self)
        dialog.setWindowTitle("Export")
        dialog.setMinimumDuration(400)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(cancel.set)
        self.export_dialog = dialog
        database = self.desktop.paths.database
        query, filters = self.calls.query, dict(self.texts.filters)

        async def run() -> None:
            loop = asyncio.get_running_loop()

            def show(done: int, total: int | None) -> None:
                if not dialog.wasCanceled():
                    dialog.setMaximum(total or 0)
                    dialog.setValue(done if total else 0)

            def progress(done: int, total: int | None) -> None:  # in the worker thread
                loop.call_soon_threadsafe(show, done, total)

            if calls:
                work = partial(export_calls, database, query, target, progress, cancel)
            else:
                work = partial(export_messages, database, filters, target, progress, cancel)
            self.export_button.setEnabled(False)
            try:
                written = await asyncio.to_thread(work)
            except ExportCancelled:
                self.status.setText("Export cancelled: nothing was written.")
            except OSError as exc:
                self.status.setText(f"Cannot export to {target}: {exc.strerror or exc}.")
            else:
                self.status.setText(f"Exported {written:,} {noun} to {target}.")
            finally:
                dialog.close()
                self.export_button.setEnabled(True)

        self.last_export = self.desktop.tasks.spawn(run(), "export the call log")
        return self.last_export
