"""For screen readers and the keyboard: a card that pops up is announced (an alert, and its
words), as a ringing phone is heard; form labels name their real fields and carry mnemonics."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent, QAccessibleEvent, QAccessibleInterface
from PySide6.QtWidgets import QAccessibleWidget, QLabel, QWidget

_notifications: list[type[QWidget]] = []  # the widget classes that are notifications to a reader


def _notification_factory(key: str, widget: QObject) -> QAccessibleInterface | None:
    if isinstance(widget, QWidget) and isinstance(widget, tuple(_notifications)):
        return QAccessibleWidget(widget, QAccessible.Role.Notification)
    return None


def speak_as_notification(kind: type[QWidget]) -> None:
    """Have screen readers present every ``kind`` as a notification (a pop-up card), not a panel."""
    if not _notifications:
        QAccessible.installFactory(_notification_factory)
    if kind not in _notifications:
        _notifications.append(kind)


def announce(widget: QWidget, words: str) -> None:
    """Raise an alert on ``widget`` and have ``words`` spoken at once (assertive)."""
    QAccessible.updateAccessibility(QAccessibleEvent(widget, QAccessible.Event.Alert))
    announcement = QAccessibleAnnouncementEvent(widget, words)
    announcement.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive)
    QAccessible.updateAccessibility(announcement)


def label_fields(page: QWidget, taken: str = "") -> None:
    """Tie each label on ``page`` to the field it names, for the keyboard and screen readers.

    A form row's label is made the buddy of its wrapper (the field with its reason under it);
    here the buddy becomes the real field, the field takes the label's words as its accessible
    name, and the label gets a mnemonic (Alt+letter) no other label on the page, nor ``taken``
    (the dialog's buttons), has.
    """
    labels = [label for label in page.findChildren(QLabel) if label.buddy() is not None]
    used = {c.lower() for c in taken} | {
        label.text()[label.text().index("&") + 1].lower() for label in labels if "&" in label.text()
    }
    for label in labels:
        field = _real_field(label.buddy())
        label.setBuddy(field)
        words = label.text().replace("&", "").rstrip(":")
        if not field.accessibleName():
            field.setAccessibleName(words)
        if "&" not in label.text():
            letter = next((i for i, c in enumerate(words) if c.isalpha() and c.lower() not in used), None)
            if letter is not None:
                used.add(words[letter].lower())
                label.setText(words[:letter] + "&" + words[letter:])


def _real_field(buddy: QWidget) -> QWidget:
    """The widget that takes the keyboard in ``buddy``: itself, its focus proxy, or its first
    child that takes focus."""
    if buddy.focusPolicy() != Qt.FocusPolicy.NoFocus:
        return buddy
    proxy = buddy.focusProxy()
    if proxy is not None:
        return proxy
    return next((w for w in buddy.findChildren(QWidget) if w.focusPolicy() != Qt.FocusPolicy.NoFocus), buddy)
