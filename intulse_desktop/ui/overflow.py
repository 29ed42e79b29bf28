"""A card stack that never leaves the screen: which cards fit, and the "+N more" card that
stands for the rest."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton

CARD_WINDOW = (
    Qt.WindowType.Tool
    | Qt.WindowType.FramelessWindowHint
    | Qt.WindowType.WindowStaysOnTopHint
    | Qt.WindowType.WindowDoesNotAcceptFocus
)


def fitting(cards: list[tuple[int, bool]], height: int, more: int, margin: int) -> list[int]:
    """Which of ``cards`` (height, missed?; newest first) fit in ``height`` pixels, leaving room
    for a "+N more" card ``more`` pixels high when some do not: the newest (what rings now)
    first, then the missed calls, then the newer of the others. Their indexes, in that order."""
    wanted = [0, *(i for i, (_, missed) in enumerate(cards) if missed and i)] if cards else []
    wanted += [i for i in range(len(cards)) if i not in wanted]
    shown: list[int] = []
    used = 0
    for place, index in enumerate(wanted):
        need = cards[index][0] + margin + (more + margin if place < len(wanted) - 1 else 0)
        if used + need > height:
            break
        shown.append(index)
        used += cards[index][0] + margin
    return shown


class MoreCard(QFrame):
    """ "+3 more": the cards the screen has no room for, collapsed; a click opens the call log."""

    def __init__(self, open_log: Callable[[], None], width: int) -> None:
        super().__init__(None)
        self.setWindowFlags(CARD_WINDOW)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setFixedWidth(width)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.button = QPushButton()
        self.button.setFlat(True)
        self.button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.button.clicked.connect(open_log)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.button)

    def set_count(self, hidden: int) -> None:
        self.button.setText(f"+{hidden} more — open the call log")
        self.adjustSize()
