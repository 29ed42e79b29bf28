"""The tray: state icon and tooltip, menu, fallback window, single instance, clean quit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from PySide6.QtWidgets import QSystemTrayIcon

from intulse_desktop.ui.icons import tray_icon
from intulse_desktop.ui.single_instance import SingleInstance, wake_running

from .helpers.finders import action_texts
from .helpers.net import deliver


def tooltip(gui) -> str:
    return gui.tray.icon.toolTip()


def test_the_menu_has_every_entry_parented(desktop):
    menu = desktop.tray.menu
    texts = action_texts(menu)
    assert texts == [
        "Call &back",
        "&Go to the newest pop-up",
        "&Dismiss all pop-ups",
        "Call &log",
        "&Recent callers",
        "Do &not disturb",
        "&Settings…",
        "Set &up…",
        "&About Intulse Desktop",
        "&Quit",
    ]
    assert all(a.parent() is menu for a in menu.actions() if a.menu() is None and not a.isSeparator())
    assert desktop.tray.recent.parent() is menu


def test_my_extension_state_shows_in_icon_and_tooltip(desktop):
    deliver(desktop, "ExtensionUpdated")  # 204 INUSE with ACME PLUMBING
    assert "In use with ACME PLUMBING (317) 555-0142" in tooltip(desktop)
    assert "Last event" in tooltip(desktop)
    assert desktop.tray.icon.icon().pixmap(32, 32).toImage() == tray_icon("in_use").pixmap(32, 32).toImage()


@pytest.mark.parametrize(
    ("status", "state", "words"),
    [
        ("RINGING", "ringing", "Ringing"),
        ("ONHOLD", "on_hold", "On hold"),
        ("NOT_INUSE", "idle", "Idle"),
        ("UNAVAILABLE", "unavailable", "Unavailable"),
        ("Paging", "unknown", "Unknown (Paging)"),
    ],
)
def test_each_state_has_its_icon(desktop, status, state, words):
    deliver(desktop, "ExtensionUpdated", Status=status, ConnectedLineName="", ConnectedLineNumber="")
    assert words in tooltip(desktop)
    assert desktop.tray.icon.icon().pixmap(32, 32).toImage() == tray_icon(state).pixmap(32, 32).toImage()


def test_another_extensions_state_changes_nothing(desktop):
    deliver(desktop, "ExtensionUpdated", Extension="205")
    assert "In use" not in tooltip(desktop)


def test_unseen_missed_calls_are_counted_on_the_icon(desktop):
    deliver(desktop, "CallCompleted-missed")
    deliver(desktop, "CallCompleted-missed", Id="m2")
    assert "2 missed calls" in tooltip(desktop)
    image = desktop.tray.icon.icon().pixmap(32, 32).toImage()
    assert image == tray_icon("unknown", 2).pixmap(32, 32).toImage()
    assert image != tray_icon("unknown", 1).pixmap(32, 32).toImage()


def test_a_receiver_problem_is_shown_distinctly(desktop):
    desktop.set_receiver_problem("port 8765 is taken")
    assert "Not receiving webhooks: port 8765 is taken" in tooltip(desktop)
    assert (
        desktop.tray.icon.icon().pixmap(32, 32).toImage()
        == tray_icon("receiver_problem").pixmap(32, 32).toImage()
    )


def test_left_click_opens_the_call_log(desktop):
    assert "log" not in desktop.windows
    desktop.tray.icon.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)
    assert desktop.windows["log"].isVisible()


def test_recent_callers_lists_my_last_callers_and_opens_details(desktop):
    deliver(desktop, "CallCompleted")
    deliver(desktop, "CallCompleted-missed")
    deliver(desktop, "CallCompleted", Id="theirs", Extension="205", RemotePartyNumber="+13175550177")
    desktop.tray.recent.aboutToShow.emit()
    entries = [a.text() for a in desktop.tray.recent.actions()]
    assert entries == ["(317) 555-0199", "ACME PLUMBING — (317) 555-0142"]
    desktop.tray.recent.actions()[1].trigger()
    assert desktop.details.isVisible()
    assert desktop.details.name.text() == "ACME PLUMBING"


def test_an_ampersand_in_a_name_is_not_a_menu_accelerator(desktop):
    deliver(desktop, "CallCompleted", RemotePartyName="Smith & Sons")
    desktop.tray.recent.aboutToShow.emit()
    assert desktop.tray.recent.actions()[0].text() == "Smith && Sons — (317) 555-0142"


def test_without_a_tray_a_small_window_stands_in_and_gives_way_when_one_appears(desktop, qtbot):
    available = {"now": False}
    tray = desktop.tray
    tray.icon.hide()
    tray._tray_available = lambda: available["now"]
    tray.start()
    window = tray.window
    assert window is not None
    assert window.isVisible()
    assert not tray.in_tray
    assert "Intulse Desktop" in window.status.text()
    window.close()  # asks whether to quit; the window stays
    window.asking.reject()  # "Keep running"
    assert window.isVisible()
    available["now"] = True
    tray._retry.setInterval(10)
    qtbot.waitUntil(lambda: tray.in_tray, timeout=2000)
    assert tray.window is None
    assert not tray._retry.isActive()


def stand_in_window(desktop):
    tray = desktop.tray
    tray.icon.hide()
    tray._tray_available = lambda: False
    tray.start()
    return tray.window


def test_closing_the_stand_in_window_asks_and_keeping_it_running_leaves_it_in_sight(desktop, qtbot):
    window = stand_in_window(desktop)
    window.close()
    assert window.asking is not None
    assert window.asking.isVisible()
    window.close()  # asked again while asking: the same question, not a second one
    asking = window.asking
    keep = next(b for b in asking.buttons() if b.text() == "&Keep running")
    keep.click()
    qtbot.waitUntil(lambda: window.asking is None, timeout=1000)
    assert window.isVisible()
    assert not window.isMinimized()


def test_closing_the_stand_in_window_and_choosing_quit_quits(desktop, qtbot):
    window = stand_in_window(desktop)
    window.close()
    quit_button = next(b for b in window.asking.buttons() if b.text() == "&Quit")
    with qtbot.waitSignal(desktop.quit_requested, timeout=1000):
        quit_button.click()


def test_quit_from_the_tray_menu_asks_the_desktop_to_quit(desktop, qtbot):
    with qtbot.waitSignal(desktop.quit_requested, timeout=1000):
        desktop.tray.actions["quit"].trigger()


def test_single_instance_wakes_the_first(qtbot, home, tmp_path):
    name = f"intulse-desktop-test-{os.getpid()}"
    first = SingleInstance(name)
    try:
        with qtbot.waitSignal(first.woken, timeout=3000):
            assert wake_running(name) is True
    finally:
        first.close()
    assert wake_running(name) is False


@pytest.mark.posix
@pytest.mark.slow
def test_the_app_starts_and_quits_cleanly_on_sigterm_and_a_second_launch_exits(home, tmp_path):
    env = os.environ | {"INTULSE_DESKTOP_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    app = subprocess.Popen(
        [sys.executable, "-m", "intulse_desktop", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        log = home / "intulse-desktop.log"
        while time.monotonic() < deadline and not (log.exists() and "receiving webhooks" in log.read_text()):
            time.sleep(0.1)
        assert "receiving webhooks" in log.read_text()
        second = subprocess.run(
            [sys.executable, "-m", "intulse_desktop"], env=env, capture_output=True, text=True, timeout=20
        )
        assert second.returncode == 0
        app.send_signal(signal.SIGTERM)
        out, err = app.communicate(timeout=10)
        assert app.returncode == 0, err
        assert "Traceback" not in err
    finally:
        if app.poll() is None:
            app.kill()
            app.communicate()


def test_markup_in_a_connected_line_name_cannot_style_the_tray_tooltip(desktop):
    deliver(desktop, "ExtensionUpdated", ConnectedLineName="<b>Boss</b><img src=x>")
    assert "<" not in tooltip(desktop)
    assert "Boss" in tooltip(desktop)


def test_markup_in_an_unknown_status_cannot_style_the_tray_tooltip(desktop):
    deliver(desktop, "ExtensionUpdated", Status="<i>odd</i>")
    assert "<" not in tooltip(desktop)
    assert "odd" in tooltip(desktop)
