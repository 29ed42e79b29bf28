"""Keyboard only: the newest pop-up from the tray menu or a shortcut in any app window, cards
that take the keyboard only when asked, Escape, tables that move by row and let Tab go, mnemonics,
and a way back to Settings and Quit on a desktop without a tray."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QLabel, QMenuBar, QPushButton

from .helpers.finders import action_texts
from .helpers.net import deliver


def press(qtbot, window, key, modifiers=Qt.KeyboardModifier.NoModifier):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, key, modifiers)


CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def test_without_a_pop_up_the_pop_up_entries_wait_disabled(desktop):
    for action in desktop.tray.card_actions():
        assert not action.isEnabled()


def test_the_tray_menu_calls_back_the_newest_pop_ups_caller(desktop):
    deliver(desktop, "CallStarted")
    call_back = desktop.tray.actions["call_back"]
    assert call_back.text() == "Call &back ACME PLUMBING"
    call_back.trigger()
    assert desktop.opened == ["tel:+13175550142"]


def test_the_tray_menu_dismisses_every_pop_up(desktop):
    deliver(desktop, "CallStarted")
    deliver(desktop, "TextMessageReceived")
    desktop.tray.actions["dismiss_all"].trigger()
    assert desktop.cards.cards == []
    assert not desktop.tray.actions["dismiss_all"].isEnabled()


def test_ctrl_shift_d_in_the_call_log_dismisses_every_pop_up(desktop, qtbot):
    deliver(desktop, "CallStarted")
    desktop.show_call_log()
    press(qtbot, desktop.windows["log"], Qt.Key.Key_D, CTRL_SHIFT)
    assert desktop.cards.cards == []


def test_ctrl_shift_b_in_caller_details_calls_back_the_newest_pop_up(desktop, qtbot):
    deliver(desktop, "CallStarted")
    desktop.show_caller("+13175550199", "Someone else")
    press(qtbot, desktop.details, Qt.Key.Key_B, CTRL_SHIFT)
    assert desktop.opened == ["tel:+13175550142"]


def test_a_card_takes_the_keyboard_only_when_asked_and_escape_dismisses_it(desktop, qtbot):
    deliver(desktop, "CallStarted")
    [card] = desktop.cards.cards
    assert card.windowFlags() & Qt.WindowType.WindowDoesNotAcceptFocus
    desktop.tray.actions["focus_card"].trigger()
    assert not card.windowFlags() & Qt.WindowType.WindowDoesNotAcceptFocus
    assert isinstance(card.focusWidget(), QPushButton)
    qtbot.keyClick(card.focusWidget(), Qt.Key.Key_Escape)
    assert desktop.cards.cards == []


def test_tab_moves_between_a_focused_cards_buttons(desktop, qtbot):
    deliver(desktop, "CallStarted")
    [card] = desktop.cards.cards
    card.take_focus()
    first = card.focusWidget()
    card.focusNextChild()
    assert card.focusWidget() is not first
    assert isinstance(card.focusWidget(), QPushButton)


def test_escape_closes_caller_details(desktop, qtbot):
    desktop.show_caller("+13175550142", "ACME PLUMBING")
    press(qtbot, desktop.details, Qt.Key.Key_Escape)
    assert not desktop.details.isVisible()


def test_escape_closes_the_call_log(desktop, qtbot):
    desktop.show_call_log()
    log = desktop.windows["log"]
    press(qtbot, log, Qt.Key.Key_Escape)
    assert not log.isVisible()


def test_the_log_tables_move_by_row_and_tab_leaves_them(desktop):
    desktop.show_call_log()
    log = desktop.windows["log"]
    for view in (log.calls_view, log.texts_view):
        assert view.selectionBehavior() == QAbstractItemView.SelectionBehavior.SelectRows
        assert view.selectionMode() == QAbstractItemView.SelectionMode.SingleSelection
        assert not view.tabKeyNavigation()


def test_the_call_log_has_the_apps_menu_with_settings_and_quit(desktop, qtbot):
    desktop.show_call_log()
    [bar] = desktop.windows["log"].findChildren(QMenuBar)
    [menu] = [a.menu() for a in bar.actions()]
    assert menu.title() == "&Intulse Desktop"
    assert {"&Settings…", "&Quit"} <= set(action_texts(menu))
    [quit_entry] = [a for a in menu.actions() if a.text() == "&Quit"]
    with qtbot.waitSignal(desktop.tray.quit_requested, timeout=1000):
        quit_entry.trigger()  # the log's own entry, not the tray's


def test_a_second_launch_brings_back_the_stand_in_window_closed_without_a_taskbar(desktop, qtbot):
    tray = desktop.tray
    tray.icon.hide()
    tray._tray_available = lambda: False
    tray.start()
    window = tray.window
    window.showMinimized()  # on a desktop with no taskbar, gone from sight
    desktop.woken()
    assert window.isVisible()
    assert not window.isMinimized()
    assert desktop.windows["log"].isVisible()


def test_settings_labels_have_mnemonics_for_their_fields(desktop):
    desktop.show_settings()
    dialog = desktop.windows["settings"]
    labelled = [label for label in dialog.findChildren(QLabel) if label.buddy() is not None]
    assert labelled
    assert all("&" in label.text() for label in labelled), [label.text() for label in labelled]
