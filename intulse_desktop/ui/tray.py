"""The app's face: a tray icon with its menu, or a small window where no tray exists."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QSystemTrayIcon,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from intulse_desktop.store import CallRow
from intulse_desktop.ui.cards import Card, CardStack
from intulse_desktop.ui.palette import check_icon
from intulse_desktop.ui.widgets import plain_label

TRAY_RETRY_MS = 5000  # only while there is no tray: desktops start their tray late after login
TRAY_RETRIES = 24  # ... for two minutes; after that, no timer wakes an idle app
MESSAGE_MS = 10000
CARD_ENTRIES = (  # key, menu text, signal, shortcut (README: Keyboard)
    ("call_back", "Call &back", "call_back_newest", "Ctrl+Shift+B"),
    ("focus_card", "&Go to the newest pop-up", "focus_newest", "Ctrl+Shift+N"),
    ("dismiss_all", "&Dismiss all pop-ups", "dismiss_all", "Ctrl+Shift+D"),
)


class FallbackWindow(QWidget):
    """Stands in for the tray icon. Its close button asks whether to quit: on a desktop with no
    taskbar a hidden or minimised window could never be found again, so it stays in sight
    unless the user quits (a second launch also brings it back)."""

    def __init__(self, menu: QMenu, actions: dict[str, QAction]) -> None:
        super().__init__(None)
        self._quit = actions["quit"]
        self.asking: QMessageBox | None = None
        self.addActions([actions[key] for key, *_ in CARD_ENTRIES])  # their shortcuts, here too
        self.setWindowTitle("Intulse Desktop")
        self.setMinimumWidth(460)
        self.icon = QLabel()
        self.status = plain_label("", "status")
        more = QToolButton()
        more.setText("&Menu")
        more.setMenu(menu)
        more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        row = QHBoxLayout()
        for key in ("log", "settings"):
            button = QPushButton(actions[key].text())
            button.clicked.connect(actions[key].trigger)
            row.addWidget(button)
        row.addWidget(more)
        top = QHBoxLayout()
        top.addWidget(self.icon)
        top.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(row)

    def set_state(self, icon: QIcon, tooltip: str) -> None:
        self.setWindowIcon(icon)
        self.icon.setPixmap(icon.pixmap(32, 32))
        self.status.setText(tooltip)
        self.adjustSize()  # the status may have gained lines

    def closeEvent(self, event: QCloseEvent) -> None:
        event.ignore()
        if self.asking is not None:
            self.asking.raise_()
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Quit Intulse Desktop?",
            "Quit Intulse Desktop? Calls and texts will no longer pop up, and webhooks that "
            "arrive meanwhile are not received.\n\nKeep it running to leave this window open.",
            parent=self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        quit_button = box.addButton("&Quit", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(box.addButton("&Keep running", QMessageBox.ButtonRole.RejectRole))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered() -> None:
            self.asking = None
            if box.clickedButton() is quit_button:
                self._quit.trigger()

        box.finished.connect(answered)
        self.asking = box
        box.open()  # not exec(): the loop keeps receiving while it asks


class Tray(QObject):
    open_log = Signal()
    open_settings = Signal()
    open_setup = Signal()
    open_caller = Signal(str, str)  # number, name
    dnd_toggled = Signal(bool)
    show_about = Signal()
    quit_requested = Signal()
    call_back_newest = Signal()  # the newest pop-up's caller
    focus_newest = Signal()  # the keyboard to the newest pop-up
    dismiss_all = Signal()

    def __init__(
        self,
        recent_callers: Callable[[], list[CallRow]],
        caller_label: Callable[[CallRow], str],
        tray_available: Callable[[], bool] = QSystemTrayIcon.isSystemTrayAvailable,
    ) -> None:
        super().__init__()
        self._recent_callers = recent_callers
        self._caller_label = caller_label
        self._tray_available = tray_available
        self.menu = QMenu("&Intulse Desktop")
        self.actions: dict[str, QAction] = {}
        for key, text, signal, keys in CARD_ENTRIES:
            self._add(key, text, getattr(self, signal).emit).setShortcut(QKeySequence(keys))
        self.menu.addSeparator()
        self._add("log", "Call &log", self.open_log.emit)
        self.recent = self.menu.addMenu("&Recent callers")
        self.recent.aboutToShow.connect(self._fill_recent)
        self._add("dnd", "Do &not disturb", None).setCheckable(True)
        self.actions["dnd"].toggled.connect(self._mark_dnd)
        self.actions["dnd"].toggled.connect(self.dnd_toggled.emit)
        self.menu.addSeparator()
        self._add("settings", "&Settings…", self.open_settings.emit)
        self._add("setup", "Set &up…", self.open_setup.emit)
        self._add("about", "&About Intulse Desktop", self.show_about.emit)
        self.menu.addSeparator()
        self._add("quit", "&Quit", self.quit_requested.emit)
        self.set_newest(None)

        self.icon = QSystemTrayIcon(self)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self.window: FallbackWindow | None = None
        self._retry = QTimer(self)
        self._retry.setInterval(TRAY_RETRY_MS)
        self._retry.timeout.connect(self._try_tray)
        self._retries_left = TRAY_RETRIES

    def _add(self, key: str, text: str, slot: Callable[[], None] | None) -> QAction:
        action = QAction(text, self.menu)  # parented, or PySide may collect it
        if slot is not None:
            action.triggered.connect(slot)
        self.menu.addAction(action)
        self.actions[key] = action
        return action

    def start(self) -> None:
        if self._tray_available():
            self.icon.show()
        else:
            self.window = FallbackWindow(self.menu, self.actions)
            self.window.set_state(self.icon.icon(), self.icon.toolTip())
            self.window.show()
            self._retry.start()

    def bring_back(self) -> None:
        """A second launch: show the stand-in window again, wherever it went."""
        if self.window is not None:
            self.window.showNormal()
            self.window.raise_()
            self.window.activateWindow()

    @property
    def in_tray(self) -> bool:
        return self.icon.isVisible()

    def _try_tray(self) -> None:
        if not self._tray_available():
            self._retries_left -= 1
            if self._retries_left <= 0:
                self._retry.stop()
            return
        self._retry.stop()
        self.icon.show()
        if self.window is not None:
            self.window.hide()
            self.window.deleteLater()
            self.window = None

    def set_state(self, icon: QIcon, tooltip: str) -> None:
        self.icon.setIcon(icon)
        self.icon.setToolTip(tooltip)
        if self.window is not None:
            self.window.set_state(icon, tooltip)

    def tell(self, title: str, text: str, ok: bool) -> None:
        """A message from the tray icon, or a message box where there is no tray."""
        if self.in_tray:
            icon = QSystemTrayIcon.MessageIcon.Information if ok else QSystemTrayIcon.MessageIcon.Warning
            self.icon.showMessage(title, text, icon, MESSAGE_MS)
            return
        box = QMessageBox(QMessageBox.Icon.Information if ok else QMessageBox.Icon.Warning, title, text)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setModal(False)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()

    def card_actions(self) -> list[QAction]:
        """The entries that act on pop-ups: every app window adds them, so that their shortcuts
        work wherever the keyboard is in the app."""
        return [self.actions[key] for key, *_ in CARD_ENTRIES]

    def connect_cards(self, cards: CardStack) -> None:
        """The pop-up entries act on the newest of ``cards`` and name its caller."""

        def on_newest(act: Callable[[Card], object]) -> None:
            if cards.cards:
                act(cards.cards[-1])

        self.call_back_newest.connect(lambda: on_newest(lambda card: card.card_actions.call_back()))
        self.focus_newest.connect(lambda: on_newest(Card.take_focus))
        self.dismiss_all.connect(cards.dismiss_all)
        cards.arranged = lambda: self.set_newest(cards.cards[-1].who if cards.cards else None)

    def set_newest(self, who: str | None) -> None:
        """Name the newest pop-up's caller in "Call back" (None: no pop-up shows)."""
        self.actions["call_back"].setText("Call &back" + (f" {who.replace('&', '&&')}" if who else ""))
        for action in self.card_actions():
            action.setEnabled(who is not None)

    def set_dnd(self, on: bool) -> None:
        action = self.actions["dnd"]
        action.blockSignals(True)
        action.setChecked(on)
        action.blockSignals(False)
        self._mark_dnd(on)

    def _mark_dnd(self, on: bool) -> None:
        """The check drawn in the menu's text colour: some styles draw theirs unseen on a dark menu."""
        self.actions["dnd"].setIcon(check_icon(self.menu.palette()) if on else QIcon())

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.open_log.emit()

    def _fill_recent(self) -> None:
        self.recent.clear()
        callers = self._recent_callers()
        if not callers:
            self.recent.addAction("No calls yet").setEnabled(False)
        for call in callers:
            action = QAction(self._caller_label(call), self.recent)
            action.triggered.connect(
                lambda _=False, n=call.remote_party_number, name=call.remote_party_name: (
                    self.open_caller.emit(n, name)
                )
            )
            self.recent.addAction(action)

    def hide(self) -> None:
        self._retry.stop()
        self.icon.hide()
        if self.window is not None:
            self.window.hide()
