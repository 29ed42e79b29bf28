"""Windows that fit the screen they open on, whatever its size or scale: at most ``SCREEN_SHARE``
of its available area (a 1366×768 laptop, a 4K screen at scale 2), and pages that scroll inside
instead of pushing OK and Cancel off the screen."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget

SCREEN_SHARE = 0.9


def fit_on_screen(window: QWidget, wanted: QSize) -> None:
    """Size ``window`` to ``wanted``, or to ``SCREEN_SHARE`` of its screen's available area if less,
    and centre it there."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    area = screen.availableGeometry()
    size = wanted.boundedTo(QSize(int(area.width() * SCREEN_SHARE), int(area.height() * SCREEN_SHARE)))
    window.resize(size)
    window.move(area.center().x() - size.width() // 2, area.center().y() - size.height() // 2)


def scrolled(page: QWidget) -> QScrollArea:
    """``page`` in a scroll area: it keeps its size, the window may be smaller."""
    area = QScrollArea()
    area.setWidget(page)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    return area
