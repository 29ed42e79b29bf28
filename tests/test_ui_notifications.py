"""The GUI honours the notification settings: which events pop, quiet hours, break-through numbers,
how long a card stays, its corner and screen; and Call back through Intulse click-to-call."""

from __future__ import annotations

from datetime import time

import pytest
from PySide6.QtCore import QEvent, QRect, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from intulse_desktop.ui.cards import CallCard, TextCard

from .helpers.builders import API_KEY
from .helpers.finders import button
from .helpers.net import deliver


def cards(gui, kind=None):
    return [c for c in gui.cards.cards if kind is None or isinstance(c, kind)]


def test_quiet_hours_keep_the_card_away_and_say_why(desktop, me):
    desktop.save_settings(me.with_values({"quiet_hours": True, "quiet_start": time(0), "quiet_end": time(0)}))
    deliver(desktop, "CallStarted")
    assert cards(desktop) == []
    assert desktop.decisions[-1][1].reason == "quiet hours"


def test_a_break_through_number_pops_in_do_not_disturb(desktop, me):
    desktop.save_settings(
        me.with_values({"do_not_disturb": True, "breakthrough_numbers": ["(317) 555-0142"]})
    )
    deliver(desktop, "CallStarted")
    assert len(cards(desktop, CallCard)) == 1


def test_a_missed_call_from_a_break_through_number_pops_in_quiet_hours(desktop, me):
    desktop.save_settings(
        me.with_values(
            {
                "quiet_hours": True,
                "quiet_start": time(0),
                "quiet_end": time(0),
                "breakthrough_numbers": ["+13175550199"],
            }
        )
    )
    deliver(desktop, "CallCompleted-missed")
    [card] = cards(desktop, CallCard)
    assert card.heading.text() == "Missed call"


def test_missed_calls_switched_off_pop_no_card(desktop, me):
    desktop.save_settings(me.with_values({"popup_missed": False}))
    deliver(desktop, "CallCompleted-missed")
    assert cards(desktop) == []


def test_incoming_calls_switched_off_pop_no_card(desktop, me):
    desktop.save_settings(me.with_values({"popup_inbound": False}))
    deliver(desktop, "CallStarted")
    assert cards(desktop) == []


def test_texts_switched_off_pop_no_card(desktop, me):
    desktop.save_settings(me.with_values({"popup_text": False}))
    deliver(desktop, "TextMessageReceived")
    assert cards(desktop) == []


def pointer_leaves(card) -> None:
    """Offscreen Qt rests the pointer on each window it shows, which pauses a card's expiry."""
    QApplication.sendEvent(card, QEvent(QEvent.Type.Leave))


def test_a_text_card_stays_for_the_card_time(desktop, me):
    desktop.save_settings(me.with_values({"card_seconds": 45}))
    deliver(desktop, "TextMessageReceived")
    [card] = cards(desktop, TextCard)
    pointer_leaves(card)
    assert card._expiry.isActive()
    assert abs(card._expiry.remainingTime() - 45_000) < 1_000  # Qt timers may run a little late


def test_without_a_card_time_a_text_card_stays_until_dismissed(desktop, me):
    desktop.save_settings(me.with_values({"card_seconds": None}))
    deliver(desktop, "TextMessageReceived")
    [card] = cards(desktop, TextCard)
    assert not card._expiry.isActive()


@pytest.mark.parametrize("corner", ["top-left", "top-right", "bottom-left", "bottom-right"])
def test_cards_appear_in_the_chosen_corner(desktop, me, corner):
    desktop.save_settings(me.with_values({"card_corner": corner}))
    deliver(desktop, "CallStarted")
    [card] = cards(desktop)
    area = QGuiApplication.primaryScreen().availableGeometry()
    box = card.geometry()
    assert (box.center().y() < area.center().y()) == corner.startswith("top")
    assert (box.center().x() < area.center().x()) == corner.endswith("left")


def test_changing_the_corner_moves_the_cards_that_show(desktop, me):
    deliver(desktop, "CallStarted")
    [card] = cards(desktop)
    desktop.save_settings(me.with_values({"card_corner": "top-left"}))
    area = QGuiApplication.primaryScreen().availableGeometry()
    assert card.geometry().top() < area.center().y()
    assert card.geometry().left() < area.center().x()


class FakeScreen:
    """A second monitor, right of the first (the offscreen platform has only one, without a name)."""

    def name(self) -> str:
        return "DP-2"

    def availableGeometry(self) -> QRect:
        return QRect(1600, 0, 1920, 1040)


def test_cards_go_to_the_named_screen_not_the_one_with_the_mouse(desktop, me, monkeypatch):
    monkeypatch.setattr(QGuiApplication, "screens", lambda: [QGuiApplication.primaryScreen(), FakeScreen()])
    desktop.save_settings(me.with_values({"card_screen": "DP-2"}))
    deliver(desktop, "CallStarted")
    assert FakeScreen().availableGeometry().contains(cards(desktop)[0].geometry())


def test_a_screen_that_is_not_connected_means_the_screen_with_the_mouse(desktop, me):
    desktop.save_settings(me.with_values({"card_screen": "HDMI-9 (unplugged)"}))
    deliver(desktop, "CallStarted")
    assert QGuiApplication.primaryScreen().availableGeometry().contains(cards(desktop)[0].geometry())


# --- click-to-call ----------------------------------------------------------------------------


@pytest.fixture
def messages(desktop, monkeypatch):
    shown = []
    monkeypatch.setattr(
        desktop.tray.icon, "showMessage", lambda title, text, *rest: shown.append((title, text))
    )
    return shown


def click_call_back(desktop, qtbot, qloop, name="CallStarted"):
    deliver(desktop, name)
    qtbot.mouseClick(button(cards(desktop)[0], "Call back"), Qt.MouseButton.LeftButton)
    qloop.run_until_complete(desktop.tasks.wait())


def test_call_back_by_click_to_call_rings_my_extension_and_dials_digits(
    desktop, me, fake_intulse_qt, messages, qtbot, qloop
):
    desktop.secrets.set_api_key(API_KEY)
    desktop.save_settings(
        me.with_values(
            {"call_back_method": "click-to-call", "dashboard_api_url": fake_intulse_qt.url + "/api"}
        )
    )
    click_call_back(desktop, qtbot, qloop)
    [request] = fake_intulse_qt.made("POST", "/api/call/")
    assert request.body == b"extension=204&target=13175550142"
    assert desktop.opened == []  # no tel: link as well
    assert messages == [
        ("Calling (317) 555-0142", "Your phone (ext 204) rings first: pick it up and the call goes out.")
    ]


def test_click_to_call_refused_shows_why(desktop, me, fake_intulse_qt, messages, qtbot, qloop):
    fake_intulse_qt.answers[("POST", "/api/call/")] = (401, "no")
    desktop.secrets.set_api_key(API_KEY)
    desktop.save_settings(
        me.with_values(
            {"call_back_method": "click-to-call", "dashboard_api_url": fake_intulse_qt.url + "/api"}
        )
    )
    click_call_back(desktop, qtbot, qloop)
    [(title, text)] = messages
    assert title == "Could not call (317) 555-0142"
    assert "the API key was refused" in text


def test_click_to_call_without_an_api_key_says_where_to_enter_it(desktop, me, messages, qtbot, qloop):
    desktop.save_settings(me.with_values({"call_back_method": "click-to-call"}))
    click_call_back(desktop, qtbot, qloop)
    [(_, text)] = messages
    assert text == "no Intulse API key: enter it in Settings, on the Connection tab"
