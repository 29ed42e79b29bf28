"""Inputs the Settings tabs share: a list of phone numbers, and a searchable country list."""

from __future__ import annotations

from collections.abc import Callable

import phonenumbers
from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from intulse_desktop.matching import format_number, normalize_number


class _Entry(QLineEdit):
    """A line edit whose Enter adds what was typed instead of pressing the dialog's OK."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        super().keyPressEvent(event)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()


class NumberList(QWidget):
    """Phone numbers to add and remove: each checked as it is typed, kept as E.164, shown formatted."""

    changed = Signal()

    def __init__(self, region: Callable[[], str], placeholder: str = "e.g. (317) 555-0100") -> None:
        super().__init__()
        self._region = region
        self.list = QListWidget()
        self.list.setMaximumHeight(96)
        self.entry = _Entry()
        self.entry.setPlaceholderText(placeholder)
        self.list.setAccessibleName("Numbers")
        self.entry.setAccessibleName("Number to add")
        self.add = QPushButton("Add")
        self.remove = QPushButton("Remove")
        self.add.setEnabled(False)
        self.remove.setEnabled(False)
        self.entry.textChanged.connect(self._typed)
        self.entry.returnPressed.connect(self._add)
        self.add.clicked.connect(self._add)
        self.remove.clicked.connect(self._remove)
        self.list.currentRowChanged.connect(lambda row: self.remove.setEnabled(row >= 0))
        entry_row = QHBoxLayout()
        entry_row.addWidget(self.entry, 1)
        entry_row.addWidget(self.add)
        entry_row.addWidget(self.remove)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addLayout(entry_row)

    def numbers(self) -> list[str]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def set_numbers(self, numbers: list[str]) -> None:
        self.list.clear()
        for number in numbers:
            self._append(number)
        self.entry.clear()

    def reformat(self) -> None:
        """Show the numbers as people write them in the (new) default country."""
        for i in range(self.list.count()):
            item = self.list.item(i)
            item.setText(format_number(item.data(Qt.ItemDataRole.UserRole), self._region()))

    def entry_problem(self) -> str:
        """Why what is typed is not (yet) in the list; "" when nothing is typed."""
        text = self.entry.text().strip()
        if not text:
            return ""
        if normalize_number(text, self._region()) is None:
            return f"{text!r} is not a phone number"
        return "not added yet: press Add (or clear the field)"

    def _typed(self) -> None:
        text = self.entry.text().strip()
        self.add.setEnabled(bool(text) and normalize_number(text, self._region()) is not None)
        self.changed.emit()

    def _add(self) -> None:
        number = normalize_number(self.entry.text().strip(), self._region())
        if number is None:
            return
        if number not in self.numbers():
            self._append(number)
        self.entry.clear()
        self.changed.emit()

    def _append(self, number: str) -> None:
        item = QListWidgetItem(format_number(number, self._region()))
        item.setData(Qt.ItemDataRole.UserRole, number)
        self.list.addItem(item)

    def _remove(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.list.takeItem(row)
            self.changed.emit()


def country_name(code: str) -> str:
    return QLocale.territoryToString(QLocale.codeToTerritory(code)) or code


class CountryCombo(QComboBox):
    """Every country phonenumbers knows, by name, code and calling code; type to search."""

    def __init__(self) -> None:
        super().__init__()
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        for code in sorted(phonenumbers.SUPPORTED_REGIONS, key=lambda c: country_name(c).casefold()):
            calling = phonenumbers.country_code_for_region(code)
            self.addItem(f"{country_name(code)} ({code}, +{calling})", code)
        completer = QCompleter(self.model(), self)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(completer)

    def code(self) -> str | None:
        """The chosen country's code; None while the text names no country."""
        text = self.currentText().strip()
        index = self.findText(text, Qt.MatchFlag.MatchFixedString)
        if index >= 0:
            return str(self.itemData(index))
        return text.upper() if text.upper() in phonenumbers.SUPPORTED_REGIONS else None

    def set_code(self, code: str) -> None:
        self.setCurrentIndex(self.findData(code))
