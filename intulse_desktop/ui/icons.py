"""Tray icons: the phone's state, drawn sharp at every size, with the missed-call count."""

from __future__ import annotations

from functools import cache, lru_cache

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from intulse_desktop.resources import BADGE, app_icon_path, tray_icon_path

SIZES = (16, 20, 22, 24, 32, 40, 48, 64)
BADGE_COLOUR = QColor("#d93025")


@cache
def _renderer(state: str) -> QSvgRenderer:
    return QSvgRenderer(str(tray_icon_path(state)))


@lru_cache(maxsize=64)
def tray_icon(state: str, missed: int = 0) -> QIcon:
    """The icon for a phone state (or ``receiver_problem``) with ``missed`` in a red badge.

    Kept once drawn: the tray is refreshed on every delivery, and drawing eight sizes
    from the SVG takes a millisecond and a half.
    """
    icon = QIcon()
    for size in SIZES:
        icon.addPixmap(_pixmap(state, missed, size))
    return icon


def _pixmap(state: str, missed: int, size: int) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    _renderer(state).render(painter, QRectF(0, 0, size, size))
    if missed:
        x, y, w, h = (f * size for f in BADGE)
        badge = QRectF(x, y, w, h)
        painter.setPen(QColor("white"))
        painter.setBrush(BADGE_COLOUR)
        painter.drawEllipse(badge)
        font = QFont()
        font.setBold(True)
        font.setPixelSize(max(6, round(h * (0.72 if missed < 10 else 0.58))))
        painter.setFont(font)
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, str(missed) if missed < 100 else "99+")
    painter.end()
    return pixmap


def app_icon() -> QIcon:
    return QIcon(str(app_icon_path()))
