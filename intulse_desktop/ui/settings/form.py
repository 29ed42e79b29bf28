"""What every Settings tab and each of its group boxes is made of: a ``Form`` that reports its
values and shows why one is refused, right next to the field, and answers for its parts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import time
from typing import Any

from PySide6.QtCore import Qt, QTime, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from intulse_desktop.settings import Settings
from intulse_desktop.ui.palette import state_color
from intulse_desktop.ui.settings.inputs import NumberList

NOTE_STYLE = "color: palette(placeholder-text);"
PAGE_WIDTH = 760  # a form wider than this only spreads the eye


class Reason(QLabel):
    """Why the field above is refused, in words; hidden while there is nothing to say."""

    def __init__(self) -> None:
        super().__init__()
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setStyleSheet(f"color: {state_color('error')};")
        self.hide()
        self.field: QWidget | None = None  # the field it speaks of: a screen reader reads it there

    def say(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))
        if self.field is not None:
            self.field.setAccessibleDescription(text)


def note(text: str = "", selectable: bool = False) -> QLabel:
    """A quiet line of explanation (plain text: it may hold a URL or a path)."""
    label = outcome(text) if selectable else QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setStyleSheet(NOTE_STYLE)
    return label


def outcome(text: str = "") -> QLabel:
    """What an action came to: plain text (it may quote a server), selectable to copy."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def time_of(edit: QTimeEdit) -> time:
    value = edit.time().toPython()
    assert isinstance(value, time)
    return value


def qtime(value: time) -> QTime:
    return QTime(value.hour, value.minute)


def wrap(layout: QHBoxLayout) -> QWidget:
    """A layout as one widget, so it can carry a reason like a field."""
    holder = QWidget()
    layout.setContentsMargins(0, 0, 0, 0)
    holder.setLayout(layout)
    return holder


def top_left_form(page: QWidget) -> QFormLayout:
    """A form at the top left of ``page``, no wider than it needs to be read."""
    column = QWidget()
    column.setMaximumWidth(PAGE_WIDTH)
    form = QFormLayout(column)
    form.setContentsMargins(0, 0, 0, 0)
    layout = QVBoxLayout(page)
    layout.addWidget(column)
    layout.addStretch(1)
    return form


class Form(QWidget):
    """A tab or a group box on it. The dialog asks each tab for its ``values`` (setting → raw
    value, judged by ``Settings.try_values``) and its own ``problems`` (what is not a setting: a
    secret, an entry not yet added), and hands every reason back through ``show_problems``.
    A form answers for its ``parts`` (its group boxes) as well as for its own fields."""

    edited = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._reasons: dict[str, Reason] = {}
        self.parts: list[Form] = []

    @property
    def reasons(self) -> dict[str, Reason]:
        """Every field's reason label, by setting: this form's and its parts'."""
        every = dict(self._reasons)
        for part in self.parts:
            every.update(part.reasons)
        return every

    def add_parts(self, *parts: Form) -> None:
        for part in parts:
            self.parts.append(part)
            part.edited.connect(self.edited)

    def field(self, key: str, widget: QWidget, hint: str = "") -> QWidget:
        """``widget`` with the reason for ``key`` under it, and an optional hint."""
        self.watch(widget)
        reason = self._reasons.setdefault(key, Reason())
        reason.field = widget
        box = QWidget()
        box.setFocusProxy(widget)  # its label's mnemonic reaches the field
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(widget)
        layout.addWidget(reason)
        if hint:
            layout.addWidget(note(hint))
        return box

    def watch(self, *widgets: QWidget) -> None:
        """Revalidate whenever one of ``widgets`` changes."""
        for widget in widgets:
            if isinstance(widget, QLineEdit):
                widget.textChanged.connect(self.edited)
            elif isinstance(widget, QComboBox):
                widget.currentIndexChanged.connect(self.edited)
                widget.editTextChanged.connect(self.edited)
            elif isinstance(widget, QTimeEdit):
                widget.timeChanged.connect(self.edited)
            elif isinstance(widget, QAbstractSpinBox | QAbstractSlider):
                widget.valueChanged.connect(self.edited)  # type: ignore[union-attr]  # both have it
            elif isinstance(widget, QAbstractButton):
                widget.toggled.connect(self.edited)
            elif isinstance(widget, NumberList):
                widget.changed.connect(self.edited)

    def load(self, settings: Settings) -> None:
        """Show ``settings`` (and anything stored elsewhere) in the widgets."""
        for part in self.parts:
            part.load(settings)

    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for part in self.parts:
            values.update(part.values())
        return values

    def problems(self, candidate: Settings | None) -> dict[str, str]:
        problems: dict[str, str] = {}
        for part in self.parts:
            problems.update(part.problems(candidate))
        return problems

    def preview(self, candidate: Settings | None) -> None:
        """Show what the values being edited come to (None: something is refused)."""
        for part in self.parts:
            part.preview(candidate)

    def pending(self) -> bool:
        """Whether something that is not a setting (a secret, the login item) waits to be saved."""
        return any(part.pending() for part in self.parts)

    def commit(self) -> None:
        """Save what is not a setting; called after the settings were saved."""
        for part in self.parts:
            part.commit()

    def show_problems(self, problems: dict[str, str]) -> int:
        """Say each reason beside its field; how many fields are refused."""
        for key, reason in self._reasons.items():
            reason.say(problems.get(key, ""))
        own = sum(1 for key in self._reasons if problems.get(key))
        return own + sum(part.show_problems(problems) for part in self.parts)


def judge(saved: Settings, forms: Iterable[Form]) -> tuple[Settings | None, dict[str, str]]:
    """What the values of ``forms`` come to over ``saved`` (None if a setting is refused), and every
    reason a value is refused, by setting: the one check Settings and the set-up assistant share."""
    forms = list(forms)
    values: dict[str, Any] = {}
    for form in forms:
        values.update(form.values())
    candidate, problems = saved.try_values(values)
    for form in forms:
        for key, reason in form.problems(candidate).items():
            problems.setdefault(key, reason)
    return candidate, problems


def ask(
    parent: QWidget,
    icon: QMessageBox.Icon,
    title: str,
    text: str,
    button: tuple[str, QMessageBox.ButtonRole],
    then: Callable[[], None],
) -> QMessageBox:
    """Ask first, without a modal ``exec()``: ``then`` runs only if ``button`` is clicked."""
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Cancel, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    yes = box.addButton(*button)
    box.buttonClicked.connect(lambda clicked: then() if clicked is yes else None)
    box.open()
    return box


class Page(Form):
    """One tab of the dialog."""

    title = ""


class Section(Form):
    """One group box of a tab: ``box`` is the group box, ``content`` its layout."""

    def __init__(self, title: str) -> None:
        super().__init__()
        self.box = QGroupBox(title)
        self.content = QVBoxLayout(self.box)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.box)

    def form(self) -> QFormLayout:
        """A form (label, field) in the box."""
        form = QFormLayout()
        self.content.addLayout(form)
        return form
