"""Finding a widget or an action the way a user does: by its text."""

from __future__ import annotations

from PySide6.QtWidgets import QMenu, QPushButton, QWidget


def buttons(parent: QWidget, text: str) -> list[QPushButton]:
    """Every push button under ``parent`` labelled ``text``."""
    return [b for b in parent.findChildren(QPushButton) if b.text() == text]


def button(parent: QWidget, text: str) -> QPushButton:
    """The one push button under ``parent`` labelled ``text``."""
    [found] = buttons(parent, text)
    return found


def button_texts(parent: QWidget) -> list[str]:
    """The labels of the push buttons under ``parent``."""
    return [b.text() for b in parent.findChildren(QPushButton)]


def action_texts(menu: QMenu) -> list[str]:
    """The entries of ``menu``, separators left out."""
    return [a.text() for a in menu.actions() if not a.isSeparator()]
