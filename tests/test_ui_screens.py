"""Screens of every size: Settings, the call log and caller details fit the screen they open on,
and the card stack never leaves it. The fast tests run on the test screen (800×800 offscreen);
the slow one runs them again on a 1366×768 laptop, a 1600×1000 screen and a 4K-class screen at
scale 2 (offscreen screens from a JSON configuration, Qt ≥ 6.5)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialogButtonBox, QPushButton, QScrollArea

from intulse_desktop.ui.calllog.calls_model import NAME_MINIMUM
from intulse_desktop.ui.cards import CallCard
from intulse_desktop.ui.overflow import fitting
from intulse_desktop.ui.screens import SCREEN_SHARE

from .helpers.net import deliver

SCREENS = {  # name: (physical width, height, scale)
    "laptop-1366x768": (1366, 768, 1),
    "desktop-1600x1000": (1600, 1000, 1),
    "scale-2": (2732, 1536, 2),
}


def area() -> QRect:
    return QGuiApplication.primaryScreen().availableGeometry()


def inside(widget, window) -> bool:
    """Whether ``widget`` shows whole inside ``window``."""
    top_left = widget.mapTo(window, QPoint(0, 0))
    return QRect(QPoint(0, 0), window.size()).contains(QRect(top_left, widget.size()))


def test_the_screen_is_the_one_asked_for(qapp):
    expected = os.environ.get("INTULSE_TEST_SCREEN", "800x800")  # offscreen's own, by default
    assert f"{area().width()}x{area().height()}" == expected


def test_settings_opens_within_the_screen_and_scrolls_inside(desktop, qtbot):
    desktop.show_settings()
    dialog = desktop.windows["settings"]
    qtbot.waitExposed(dialog)
    assert dialog.width() <= area().width() * SCREEN_SHARE + 1
    assert dialog.height() <= area().height() * SCREEN_SHARE + 1
    assert area().contains(dialog.geometry())
    assert all(isinstance(dialog.tabs.widget(i), QScrollArea) for i in range(dialog.tabs.count()))
    for button in dialog.buttons.findChildren(QPushButton):
        assert inside(button, dialog), button.text()
    assert dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isVisible()


def test_caller_details_opens_within_the_screen(desktop):
    desktop.show_caller("+13175550142", "ACME PLUMBING")
    assert area().contains(desktop.details.geometry())


def test_the_call_log_opens_within_the_screen(desktop):
    desktop.show_call_log()
    assert area().contains(desktop.windows["log"].geometry())


def test_at_800_px_the_call_log_keeps_the_name_readable_and_every_filter_whole(desktop, qtbot):
    deliver(desktop, "CallCompleted")
    desktop.show_call_log()
    log = desktop.windows["log"]
    log.resize(800, min(600, area().height()))
    qtbot.waitUntil(lambda: log.width() == 800)
    assert log.calls_view.horizontalHeader().sectionSize(3) >= NAME_MINIMUM
    for button in [*log.filter_group.buttons(), log.export_button, log.mine_only]:
        assert button.width() >= button.sizeHint().width(), button.text()
        assert inside(button, log), button.text()


def shown_cards(desktop):
    return [c for c in desktop.cards.cards if c.isVisible()]


def test_the_card_stack_never_leaves_the_screen(desktop):
    for n in range(9):
        deliver(desktop, "CallCompleted-missed", Id=f"missed-{n}", LinkedId=f"missed-{n}")
    assert shown_cards(desktop)  # the loop below checks something
    for card in shown_cards(desktop):
        assert area().contains(card.geometry())
    more = desktop.cards.more
    hidden = len(desktop.cards.cards) - len(shown_cards(desktop))
    assert hidden > 0  # nine missed calls fit on none of these screens
    assert more.isVisible()
    assert area().contains(more.geometry())
    assert more.button.text() == f"+{hidden} more — open the call log"


def test_missed_calls_keep_their_place_when_texts_crowd_the_screen(desktop):
    deliver(desktop, "CallCompleted-missed")
    for n in range(8):
        deliver(desktop, "TextMessageReceived", Id=1000 + n)
    [missed] = [c for c in desktop.cards.cards if isinstance(c, CallCard)]
    assert missed.isVisible()
    assert all(area().contains(card.geometry()) for card in shown_cards(desktop))


def test_more_opens_the_call_log(desktop, qtbot):
    for n in range(9):
        deliver(desktop, "CallCompleted-missed", Id=f"missed-{n}", LinkedId=f"missed-{n}")
    qtbot.mouseClick(desktop.cards.more.button, Qt.MouseButton.LeftButton)
    assert desktop.windows["log"].isVisible()


@pytest.mark.slow
@pytest.mark.parametrize("screen", list(SCREENS))
def test_every_screen_test_holds_on_real_screen_sizes(screen, tmp_path):
    width, height, scale = SCREENS[screen]
    config = tmp_path / "screens.json"
    config.write_text(
        json.dumps({"screens": [{"name": screen, "x": 0, "y": 0, "width": width, "height": height}]})
    )
    env = os.environ | {
        "QT_QPA_PLATFORM": f"offscreen:configfile={config}",
        "QT_SCALE_FACTOR": str(scale),
        "INTULSE_TEST_SCREEN": f"{width // scale}x{height // scale}",
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow", __file__],
        env=env,
        cwd=Path(__file__).parent.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_a_ringing_call_shows_even_when_missed_calls_fill_the_screen(desktop):
    for n in range(9):
        deliver(desktop, "CallCompleted-missed", Id=f"missed-{n}", LinkedId=f"missed-{n}")
    deliver(desktop, "CallStarted")
    ringing = desktop.cards.cards[-1]
    assert isinstance(ringing, CallCard)
    assert not ringing.missed
    assert ringing.isVisible()
    assert area().contains(ringing.geometry())
    assert len([c for c in desktop.cards.cards if c.missed]) == 9  # none dropped: "+N more" holds them


def test_fitting_keeps_the_newest_then_the_missed_calls_and_room_for_more():
    newest_first = [(100, False), (100, False), (100, True)]  # height, missed?
    assert fitting(newest_first, 250, 20, 10) == [0, 2]  # the older unmissed one goes to "+1 more"
    assert fitting(newest_first, 1000, 20, 10) == [0, 2, 1]  # all fit: no room kept for "+N more"
    assert fitting([], 250, 20, 10) == []
