"""The colours that say a state (ringing, answered, missed, an error), in one place: a light and a
dark variant of each, the one used chosen from the window background's lightness, each at least
4.5:1 (WCAG AA) on the backgrounds of its theme. Icons that are glyphs (Play, a check mark) are
drawn in the palette's text colour, so they read on either theme."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPalette, QPixmap
from PySide6.QtWidgets import QApplication

# state: (on a light background, on a dark background)
STATES: dict[str, tuple[str, str]] = {
    "ringing": ("#1558b0", "#8ab4f8"),
    "answered": ("#137333", "#81c995"),
    "missed": ("#b3261e", "#f28b82"),
    "ended": ("#5f6368", "#bdc1c6"),
    "text": ("#7627bb", "#d7aefb"),
    "error": ("#b3261e", "#f28b82"),  # a refused setting, a player that cannot play
}
# The backgrounds the variants are held to: white, and the light and dark window and
# alternate-row colours of the common styles (Fusion, Breeze, Adwaita, Windows).
LIGHT_BACKGROUNDS = ("#ffffff", "#efefef", "#f5f5f5", "#e8e8e8")
DARK_BACKGROUNDS = ("#000000", "#1e1e1e", "#2a2a2a", "#353535", "#3c3c3c")
GLYPH_SIZE = 16


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightnessF() < 0.5


def state_color(state: str, palette: QPalette | None = None) -> str:
    """The colour for ``state`` on ``palette``'s theme (the application's if none)."""
    light, dark = STATES[state]
    return dark if is_dark(palette or QApplication.palette()) else light


def contrast_ratio(foreground: str, background: str) -> float:
    """The WCAG 2 contrast ratio of two colours (1 to 21)."""
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(color: str) -> float:
    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4

    c = QColor(color)
    return 0.2126 * linear(c.redF()) + 0.7152 * linear(c.greenF()) + 0.0722 * linear(c.blueF())


def play_icon(palette: QPalette | None = None) -> QIcon:
    """A Play triangle in the text colour (the style's own is black, also on a dark row)."""
    pixmap, painter = _canvas()
    triangle = QPainterPath(QPointF(4, 2))
    triangle.lineTo(QPointF(13, 8))
    triangle.lineTo(QPointF(4, 14))
    triangle.closeSubpath()
    painter.fillPath(triangle, _text_color(palette))
    painter.end()
    return QIcon(pixmap)


def check_icon(palette: QPalette | None = None) -> QIcon:
    """A check mark in the text colour, for a menu entry that is on."""
    pixmap, painter = _canvas()
    pen = painter.pen()
    pen.setColor(_text_color(palette))
    pen.setWidthF(2.2)
    painter.setPen(pen)
    painter.drawPolyline([QPointF(3, 8.5), QPointF(6.5, 12), QPointF(13, 4)])
    painter.end()
    return QIcon(pixmap)


def _text_color(palette: QPalette | None) -> QColor:
    return (palette or QApplication.palette()).color(QPalette.ColorRole.WindowText)


def _canvas() -> tuple[QPixmap, QPainter]:
    pixmap = QPixmap(GLYPH_SIZE, GLYPH_SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    return pixmap, painter
