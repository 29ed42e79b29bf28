"""State colours that hold in both themes (WCAG AA, 4.5:1), and glyphs drawn in the text colour."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette

from intulse_desktop.ui.palette import (
    DARK_BACKGROUNDS,
    LIGHT_BACKGROUNDS,
    STATES,
    check_icon,
    contrast_ratio,
    play_icon,
    state_color,
)

from .helpers.net import deliver

pytestmark = pytest.mark.usefixtures("qapp")  # palettes and pixmaps need the application


def themed(window: str, text: str) -> QPalette:
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Window, QColor(window))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(text))
    return palette


DARK = themed("#2a2a2a", "#f0f0f0")
LIGHT = themed("#efefef", "#1a1a1a")


@pytest.mark.parametrize("state", list(STATES))
@pytest.mark.parametrize("background", LIGHT_BACKGROUNDS)
def test_every_state_colour_reads_on_light_backgrounds(state, background):
    assert contrast_ratio(state_color(state, LIGHT), background) >= 4.5


@pytest.mark.parametrize("state", list(STATES))
@pytest.mark.parametrize("background", DARK_BACKGROUNDS)
def test_every_state_colour_reads_on_dark_backgrounds(state, background):
    assert contrast_ratio(state_color(state, DARK), background) >= 4.5


def test_the_contrast_ratio_is_wcags():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


def test_the_variant_follows_the_window_background():
    assert state_color("missed", DARK) != state_color("missed", LIGHT)


def glyph_colours(icon):
    image = icon.pixmap(16, 16).toImage()
    return {
        image.pixelColor(x, y).rgb()
        for x in range(16)
        for y in range(16)
        if image.pixelColor(x, y).alpha() == 255
    }


@pytest.mark.parametrize("draw", [play_icon, check_icon])
def test_glyphs_are_drawn_in_the_text_colour(draw):
    assert glyph_colours(draw(DARK)) == {QColor("#f0f0f0").rgb()}
    assert glyph_colours(draw(LIGHT)) == {QColor("#1a1a1a").rgb()}


def test_the_do_not_disturb_entry_shows_a_check_drawn_in_the_menu_text_colour(desktop):
    dnd = desktop.tray.actions["dnd"]
    assert dnd.icon().isNull()
    dnd.trigger()
    assert glyph_colours(dnd.icon()) == {
        desktop.tray.menu.palette().color(QPalette.ColorRole.WindowText).rgb()
    }


def test_the_logs_missed_outcome_and_play_glyph_use_the_palette(desktop):
    deliver(desktop, "CallCompleted-missed", Recording="https://example.com/r.wav")
    desktop.show_call_log()
    model = desktop.windows["log"].calls
    assert model.index(0, 2).data(Qt.ItemDataRole.ForegroundRole).color().name() == state_color("missed")
    text = desktop.windows["log"].palette().color(QPalette.ColorRole.WindowText).rgb()
    assert glyph_colours(model.index(0, 7).data(Qt.ItemDataRole.DecorationRole)) == {text}
