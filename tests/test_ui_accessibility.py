"""Screen readers: every control named, labels on their real fields, errors described on their
fields, cards named "Incoming call from …" and announced; read through Qt's accessibility
interfaces here, and through the AT-SPI bus a screen reader listens on in the slow test."""

from __future__ import annotations

from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollBar,
    QTabBar,
)

from intulse_desktop.ui import a11y
from intulse_desktop.ui.cards import CallCard

from .helpers.finders import button
from .helpers.net import deliver

CONTROLS = (
    QAbstractButton,
    QLineEdit,
    QComboBox,
    QAbstractSpinBox,
    QAbstractSlider,
    QAbstractItemView,
    QPlainTextEdit,
)


def spoken_name(widget) -> str:
    return QAccessible.queryAccessibleInterface(widget).text(QAccessible.Text.Name)


def unnamed(window) -> list[str]:
    found = []
    for kind in CONTROLS:
        for widget in window.findChildren(kind):
            if isinstance(widget, QScrollBar | QHeaderView) or isinstance(
                widget.parent(), QTabBar | QAbstractSpinBox | QComboBox
            ):
                continue  # Qt's own parts of a control, named by it
            if widget.isVisibleTo(window) and not spoken_name(widget).strip():
                found.append(f"{type(widget).__name__} {widget.objectName()} {widget.parent().objectName()}")
    return found


def test_every_control_in_settings_has_a_name(desktop):
    desktop.show_settings()
    assert unnamed(desktop.windows["settings"]) == []


def test_every_control_in_the_call_log_has_a_name(desktop):
    desktop.show_call_log()
    assert unnamed(desktop.windows["log"]) == []


def test_every_control_in_caller_details_has_a_name(desktop):
    desktop.show_caller("+13175550142", "ACME PLUMBING")
    assert unnamed(desktop.details) == []


def test_settings_labels_are_the_buddies_of_the_real_fields(desktop):
    desktop.show_settings()
    dialog = desktop.windows["settings"]
    extension = dialog.me.extension
    [label] = [lb for lb in dialog.findChildren(QLabel) if lb.buddy() is extension]
    assert spoken_name(extension) == label.text().replace("&", "").rstrip(":")


def test_a_refused_field_describes_its_error(desktop):
    desktop.show_settings()
    dialog = desktop.windows["settings"]
    dialog.me.extension.setText("not an extension!")
    reason = dialog.me.reasons["extension"]
    assert reason.text()
    assert dialog.me.extension.accessibleDescription() == reason.text()
    dialog.me.extension.setText("204")
    assert dialog.me.extension.accessibleDescription() == ""


def test_the_dismiss_button_reads_dismiss(desktop):
    deliver(desktop, "CallStarted")
    [card] = desktop.cards.cards
    assert spoken_name(button(card, "✕")) == "Dismiss"


def test_a_ringing_card_is_named_for_its_caller_and_announced(desktop, monkeypatch):
    heard = []
    monkeypatch.setattr(
        a11y.QAccessible,
        "updateAccessibility",
        lambda event: heard.append((event.type(), event.message() if hasattr(event, "message") else "")),
    )
    deliver(desktop, "CallStarted")
    [card] = [c for c in desktop.cards.cards if isinstance(c, CallCard)]
    assert spoken_name(card) == "Incoming call from ACME PLUMBING, (317) 555-0142"
    assert QAccessible.queryAccessibleInterface(card).role() == QAccessible.Role.Notification
    assert (QAccessible.Event.Alert, "") in heard
    assert (QAccessible.Event.Announcement, "Incoming call from ACME PLUMBING, (317) 555-0142") in heard


def test_a_missed_card_is_named_so(desktop):
    deliver(desktop, "CallCompleted-missed")
    [card] = desktop.cards.cards
    assert spoken_name(card) == "Missed call from Unknown caller, (317) 555-0199"
