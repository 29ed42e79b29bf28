"""What a screen reader is told without the user moving to it: a card that pops up is announced
(an alert, and its words), as a ringing phone is heard."""

from __future__ import annotations

from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent, QAccessibleEvent
from PySide6.QtWidgets import QWidget


def announce(widget: QWidget, words: str) -> None:
    """Raise an alert on ``widget`` and have ``words`` spoken at once (assertive)."""
    QAccessible.updateAccessibility(QAccessibleEvent(widget, QAccessible.Event.Alert))
    announcement = QAccessibleAnnouncementEvent(widget, words)
    announcement.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive)
    QAccessible.updateAccessibility(announcement)
