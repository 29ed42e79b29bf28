"""Caller details: who is calling, and every call and text with that number."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from intulse_desktop.caller_names import caller_name
from intulse_desktop.formatting import format_duration, local_time, without_bidi_controls
from intulse_desktop.matching import format_number
from intulse_desktop.store import CallRow, MessageRow, Store
from intulse_desktop.ui.cards import CardActions
from intulse_desktop.ui.palette import play_icon
from intulse_desktop.ui.screens import fit_on_screen
from intulse_desktop.ui.widgets import clear_layout, flat_tree, plain_label, plain_tooltip

HISTORY_LIMIT = 1000  # per kind; a number with more shows the newest


def call_summary(call: CallRow) -> str:
    direction = "Inbound" if call.direction == "inbound" else "Outbound"
    outcome = {
        "answered": f"answered · {format_duration(call.duration_seconds)}",
        "missed": "missed",
        "unanswered": "not answered",
        None: "in progress",
    }[call.outcome]
    return f"{direction} call, {outcome}"


def message_summary(message: MessageRow) -> str:
    first = message.body.strip().splitlines()[0] if message.body.strip() else ""
    count = len(message.attachments)
    extra = f" ({count} attachment{'s' if count != 1 else ''})" if count else ""
    return f"Text: {first[:200]}{extra}"


def history_name(calls: list[CallRow], fallback: str) -> str:
    """The caller-ID name the number last had (an empty name leaves the earlier one)."""
    return next((c.remote_party_name for c in calls if c.remote_party_name.strip()), fallback)


class CallerDetails(QWidget):
    """One window, reused: a click on any card or recent caller shows that number here.

    ``play`` plays a call's recording (double-click it, or Play recording)."""

    def __init__(
        self,
        store: Store,
        region: Callable[[], str],
        actions: Callable[[str, str], CardActions],
        play: Callable[[CallRow], object] | None = None,
    ) -> None:
        super().__init__(None)
        self.setWindowTitle("Caller details")
        fit_on_screen(self, QSize(560, 480))
        self._store = store
        self._region = region
        self._actions = actions
        self._play = play
        self.number = ""
        self._name_hint = ""
        self.name = plain_label("", "name")
        self.name.setStyleSheet("font-size: 16pt; font-weight: 600;")
        self.carrier = plain_label("", "carrier")
        self.formatted = plain_label("", "number")
        self.summary = plain_label("", "summary")
        self.buttons = QHBoxLayout()
        self.history = flat_tree(["When", "What", "Extension"], stretch=1)
        self.history.setUniformRowHeights(True)
        self.history.setAccessibleName("Calls and texts with this number")
        self.history.itemActivated.connect(lambda item: self.play_selected())
        self.history.currentItemChanged.connect(lambda item: self._set_play_enabled())
        self._play_icon = play_icon(self.palette())
        self.play_button = QPushButton(self._play_icon, "Play recording", self)
        self.play_button.clicked.connect(self.play_selected)
        self.play_button.setVisible(play is not None)
        layout = QVBoxLayout(self)
        for widget in (self.name, self.carrier, self.formatted, self.summary):
            layout.addWidget(widget)
        layout.addLayout(self.buttons)
        layout.addWidget(self.history, 1)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)

    def show_number(self, number: str, name_hint: str = "") -> None:
        self.number, self._name_hint = number, name_hint
        self.refresh()
        self.show()
        self.raise_()
        self.activateWindow()

    def refresh(self) -> None:
        """Read the number's name and history again (a contact was added or renamed, say)."""
        region = self._region()
        number = self.number
        calls = self._store.calls_with(number, HISTORY_LIMIT)
        messages = self._store.messages_with(number, HISTORY_LIMIT)
        carrier = history_name(calls, self._name_hint)
        who = caller_name(self._store, number, carrier)
        name = who.name or "Unknown caller"
        self.name.setText(name)
        self.carrier.setText(f"Caller ID: {who.beside}" if who.beside else "")
        self.carrier.setVisible(bool(who.beside))
        self.formatted.setText(format_number(number, region))
        self.setWindowTitle(f"{without_bidi_controls(name)} — caller details")
        times = [c.start_utc for c in calls] + [m.created_utc for m in messages]
        if times:
            self.summary.setText(
                f"{_count(len(calls), 'call')} · {_count(len(messages), 'text')} · "
                f"first contact {local_time(min(times))} · last contact {local_time(max(times))}"
            )
        else:
            self.summary.setText("No calls or texts with this number yet")
        self._set_buttons(self._actions(number, carrier))
        self._fill(calls, messages)

    def _set_buttons(self, actions: CardActions) -> None:
        clear_layout(self.buttons, keep=self.play_button)
        for text, action in (
            ("Copy number", actions.copy),
            ("Call back", actions.call_back),
            ("Open in CRM", actions.crm),
            *(actions.contact() if actions.contact is not None else []),
        ):
            if action is not None:
                button = QPushButton(text)
                button.clicked.connect(action)
                self.buttons.addWidget(button)
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.play_button)
        self._set_play_enabled()

    def selected_call(self) -> CallRow | None:
        item = self.history.currentItem()
        call = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
        return call if isinstance(call, CallRow) else None

    def play_selected(self) -> None:
        call = self.selected_call()
        if call is not None and call.recording and self._play is not None:
            self._play(call)

    def _set_play_enabled(self) -> None:
        call = self.selected_call()
        self.play_button.setEnabled(call is not None and bool(call.recording))

    def _fill(self, calls: list[CallRow], messages: list[MessageRow]) -> None:
        entries: list[tuple[datetime, str, str, CallRow | None]] = [
            (c.start_utc, call_summary(c), c.extension, c) for c in calls
        ]
        entries += [(m.created_utc, message_summary(m), "", None) for m in messages]
        entries.sort(key=lambda e: e[0], reverse=True)
        self.history.clear()
        items = []
        for when, what, extension, call in entries:
            item = QTreeWidgetItem([local_time(when), without_bidi_controls(what), extension])
            item.setToolTip(1, plain_tooltip(what))
            item.setData(0, Qt.ItemDataRole.UserRole, call)
            if call is not None and call.recording:
                item.setIcon(1, self._play_icon)
            items.append(item)
        self.history.addTopLevelItems(items)
        self.history.resizeColumnToContents(0)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
