"""The call log window: every call and text, read from the store a page at a time.

The tables never hold the whole log: a page (keyset, in the order shown) is
read when the view scrolls to its end. Search, filters, dates and sorting make a
new query that the store runs (sorting by an allow-listed column). A delivered
event is placed among the rows already read, so the selection and the scroll
position stay where the user left them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import partial
from pathlib import Path

from PySide6.QtCore import QDate, QItemSelection, QModelIndex, QPoint, QSize, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMenu,
    QMenuBar,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from intulse_desktop.bus import Delivery
from intulse_desktop.events import CallCompleted, CallStarted, TextMessageReceived
from intulse_desktop.recordings import Fetcher
from intulse_desktop.settings import Settings
from intulse_desktop.store import CallQuery, CallRow, Store
from intulse_desktop.tasks import Tasks
from intulse_desktop.ui.calllog.calls_model import NAME_MINIMUM, RECORDING_COLUMN, CallsModel
from intulse_desktop.ui.calllog.export import Work, export_job
from intulse_desktop.ui.calllog.message_pane import MessagePane, PlayAudio
from intulse_desktop.ui.calllog.paging import PAGE
from intulse_desktop.ui.calllog.query import FILTERS, NUMBER_FORMATTING, RANGES, day_range
from intulse_desktop.ui.calllog.scroll import ScrollKeeper
from intulse_desktop.ui.calllog.texts_model import TextsModel
from intulse_desktop.ui.cards import CardActions
from intulse_desktop.ui.desktop import Change
from intulse_desktop.ui.screens import fit_on_screen
from intulse_desktop.ui.widgets import plain_label, row, stretch_with_floor, table_view
from intulse_desktop.view_export import export_calls, export_messages


@dataclass(frozen=True)
class CallLogActions:
    """What the call log asks of the rest of the app."""

    actions: Callable[[str, str, str, str], CardActions]  # number, name, extension, call id
    show_caller: Callable[[str, str], None]  # number, name
    play_recording: Callable[[CallRow], None]
    play_audio: PlayAudio  # a text's audio attachment
    open_url: Callable[[str], object]
    mark_seen: Callable[[list[str]], None]  # call ids
    text_sender: Callable[[str], tuple[str, str]]  # number -> (name, as shown)
    import_contacts: Callable[[QWidget], None]  # asks for a vCard or CSV file
    menu: QMenu  # the app's menu (the tray's): Settings…, Quit, … also without a tray


class CallLogWindow(QWidget):
    """Calls and texts, searched and filtered; ``on_delivery`` and ``on_changed`` keep it current."""

    def __init__(
        self,
        store: Store,
        settings: Callable[[], Settings],
        tasks: Tasks,
        database: Path,
        images: Fetcher,
        app: CallLogActions,
    ) -> None:
        """``settings`` gives the settings in force (read when needed: they change); ``database``
        is read by exports in a thread of their own; ``images`` fetches texts' attachments."""
        super().__init__(None)
        self._store = store
        self._settings = settings
        self._tasks = tasks
        self._database = database
        self._app = app
        self.setWindowTitle("Call log — Intulse Desktop")
        fit_on_screen(self, QSize(1120, 700))

        def region() -> str:  # read when drawn: settings change
            return settings().default_region

        self.calls = CallsModel(store, region, settings().matcher())
        self.texts = TextsModel(store, region)
        self.message = MessagePane(images, tasks, region, app.text_sender, app.play_audio, app.open_url)
        self.last_export: asyncio.Task[None] | None = None
        self._stale = False  # news came while the window was closed: read again when shown

        top = self._search_bar()
        self.calls_view = self._calls_view()
        self.texts_view = self._texts_view()
        self.calls_view.setAccessibleName("Calls")
        self.texts_view.setAccessibleName("Texts")
        self.tabs = QTabWidget()
        self.tabs.addTab(self.calls_view, "Calls")
        self.tabs.addTab(self._texts_page(), "Texts")
        self.status = plain_label("", "status")
        layout = QVBoxLayout(self)
        bar = QMenuBar(self)
        bar.addMenu(app.menu)
        layout.setMenuBar(bar)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.status)
        self._connect()
        self.apply()

    # --- building ----------------------------------------------------------------------------

    def _search_bar(self) -> QVBoxLayout:
        """Search, the date range and Export in one row; the filter buttons and "only mine" in the
        next, so that neither is cut on a narrow screen."""
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search name or number")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search name or number")
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
        self.range.setAccessibleName("Date range")
        self.range.addItems(RANGES)
        today = QDate.currentDate()
        self.first_day = QDateEdit(today.addDays(-6))
        self.last_day = QDateEdit(today)
        self.first_day.setAccessibleName("From")
        self.last_day.setAccessibleName("To")
        for edit in (self.first_day, self.last_day):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setVisible(False)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.clicked.connect(self.ask_export)
        self.import_button = QPushButton("Import contacts…")
        self.import_button.clicked.connect(lambda: self._app.import_contacts(self))

        first = row(self.search, 8, self.range, self.first_day, self.last_day, 8, self.export_button)
        first.addWidget(self.import_button)
        first.setStretch(0, 1)  # the search takes the room left
        second = row(filters, 8, self.mine_only)
        second.addStretch(1)
        top = QVBoxLayout()
        top.addLayout(first)
        top.addLayout(second)
        return top

    def _calls_view(self) -> QTableView:
        view = table_view(self.calls)
        header = view.horizontalHeader()
        for column, width in enumerate((150, 90, 110, 260, 150, 60, 80, 90)):
            header.resizeSection(column, width)
        stretch_with_floor(view, 3, NAME_MINIMUM)
        header.setSortIndicator(0, Qt.SortOrder.DescendingOrder)
        view.setSortingEnabled(True)  # sorts (loads) now, newest first
        view.activated.connect(self._activated)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self._context_menu)
        view.selectionModel().selectionChanged.connect(self._selected)
        return view

    def _texts_view(self) -> QTableView:
        view = table_view(self.texts)
        header = view.horizontalHeader()
        for column, width in enumerate((150, 150, 150, 420, 120)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        view.selectionModel().currentRowChanged.connect(self._text_selected)
        return view

    def _texts_page(self) -> QSplitter:
        """The texts above, the one selected in full below."""
        page = QSplitter(Qt.Orientation.Vertical)
        page.addWidget(self.texts_view)
        page.addWidget(self.message)
        page.setSizes([360, 300])
        return page

    def _connect(self) -> None:
        """Every edit in the search bar runs the query again; the status line follows the rows."""
        self.tabs.currentChanged.connect(self._tab_changed)
        self.search.textChanged.connect(self.apply)
        self.filter_group.idToggled.connect(self._filter_toggled)
        self.mine_only.toggled.connect(self.apply)
        self.range.currentTextChanged.connect(self._range_changed)
        self.first_day.dateChanged.connect(self.apply)
        self.last_day.dateChanged.connect(self.apply)
        QShortcut(QKeySequence.StandardKey.Find, self, self.search.setFocus)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)
        for model in (self.calls, self.texts):
            for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved):
                signal.connect(self._show_status)
        self._scroll_keeper = ScrollKeeper(self.calls_view)

    # --- the query ---------------------------------------------------------------------------

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
            mine=self._settings().matcher() if self.mine_only.isChecked() else None,
            sort=self.calls.query.sort,
            order=self.calls.query.order,
            **FILTERS[chosen],
        )

    def _dates(self) -> tuple[datetime | None, datetime | None]:
        return day_range(
            self.range.currentText(),
            date.today(),
            _day(self.first_day),
            _day(self.last_day),
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

    def _filter_toggled(self, _id: int, on: bool) -> None:
        if on:  # the button switched off is not news
            self.apply()

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
        unseen = self._store.unseen_missed_count(self.calls.matcher)
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
            self.calls.matcher = self._settings().matcher()
            self.calls.reload()
            if self.texts.filters:  # the texts tab has been shown
                self.texts.reload()

    def on_delivery(self, delivery: Delivery) -> None:
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

    def on_changed(self, change: Change | None = None) -> None:
        if not self.isVisible():
            self._stale = True
            return
        self.calls.refresh(self._settings().matcher())
        if change is Change.CONTACTS:
            self.calls.rename(self._store.contact_name_for)
            self.texts.rename(self._store.contact_name_for)
        self._show_status()

    # --- acting on calls -------------------------------------------------------------------

    def selected_calls(self) -> list[CallRow]:
        return [self.calls.rows[index.row()] for index in self.calls_view.selectionModel().selectedRows()]

    def _selected(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        self._mark_seen(self.selected_calls())

    def _mark_seen(self, calls: list[CallRow]) -> None:
        ids = {call.id for call in calls if self.calls.is_unseen(call)}
        if ids:
            self.calls.mark_seen(ids)
            self._app.mark_seen(sorted(ids))

    def _activated(self, index: QModelIndex) -> None:
        call = self.calls.rows[index.row()]
        if index.column() == RECORDING_COLUMN and call.recording:
            self.play(call)
        else:
            self.open_caller(call)

    def open_caller(self, call: CallRow) -> None:
        self._mark_seen([call])
        self._app.show_caller(call.remote_party_number, call.remote_party_name)

    def play(self, call: CallRow) -> None:
        self._app.play_recording(call)

    def _context_menu(self, position: QPoint) -> None:
        index = self.calls_view.indexAt(position)
        if not index.isValid():
            return
        call = self.calls.rows[index.row()]
        actions = self._app.actions(call.remote_party_number, call.remote_party_name, call.extension, call.id)
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        entries: list[tuple[str, Callable[[], object] | None]] = [
            ("Play recording", (lambda: self.play(call)) if call.recording else None),
            ("Caller details", lambda: self.open_caller(call)),
            ("Copy number", actions.copy),
            ("Call back", actions.call_back),
            ("Open in CRM", actions.crm),
            *(actions.contact() if actions.contact is not None else []),
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
        """Export what the current tab shows (see ``export_job``)."""
        work: Work
        if self.tabs.currentIndex() == 0:
            noun, work = "calls", partial(export_calls, self._database, self.calls.query, target)
        else:
            noun, work = "texts", partial(export_messages, self._database, dict(self.texts.filters), target)
        self.export_dialog, job = export_job(self, work, noun, target, self.export_button, self.status)
        self.last_export = self._tasks.spawn(job, "export the call log")
        return self.last_export


def _day(edit: QDateEdit) -> date:
    day = edit.date().toPython()
    assert isinstance(day, date)
    return day
