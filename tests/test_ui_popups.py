"""Pop-up cards: mine or not, updated in place, missed, do-not-disturb, repeats, buttons."""

from __future__ import annotations

import logging
import sys

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QPushButton

from intulse_desktop.secrets import SecretStore
from intulse_desktop.tasks import Tasks
from intulse_desktop.ui.cards import CallCard, TextCard
from intulse_desktop.ui.desktop import Desktop

from .helpers.finders import button, button_texts
from .helpers.net import deliver
from .helpers.waiting import run_until


def cards(gui, kind=None):
    return [c for c in gui.cards.cards if kind is None or isinstance(c, kind)]


def test_my_incoming_call_pops_a_card_with_caller_number_line_and_time(desktop):
    deliver(desktop, "CallStarted")
    [card] = cards(desktop, CallCard)
    assert card.isVisible()
    assert card.name.text() == "ACME PLUMBING"
    assert card.number.text() == "(317) 555-0142"
    assert card.line.text() == "Ext 204 · Dana Whitfield"
    assert card.status.text() == "Ringing…"
    assert card.clock.text()  # local time


def test_an_unknown_caller_is_named_so(desktop):
    deliver(desktop, "CallStarted", RemotePartyName="")
    assert cards(desktop, CallCard)[0].name.text() == "Unknown caller"


@pytest.mark.parametrize(
    "fields",
    [{"Extension": "205", "UserId": 12}, {"Extension": "2040", "UserId": None}],
)
def test_someone_elses_call_does_not_pop(desktop, fields):
    deliver(desktop, "CallStarted", **fields)
    assert cards(desktop) == []


def test_a_call_for_my_user_id_pops_on_another_extension(desktop, me):
    desktop.save_settings(me.with_values({"user_id": 77}))
    deliver(desktop, "CallStarted", Extension="999")
    assert len(cards(desktop, CallCard)) == 1


def test_outbound_calls_pop_only_when_asked(desktop, me):
    deliver(desktop, "CallStarted", Direction="Outbound")
    assert cards(desktop) == []
    desktop.save_settings(me.with_values({"popup_outbound": True}))
    deliver(desktop, "CallStarted", Direction="Outbound", Id="out-2")
    [card] = cards(desktop, CallCard)
    assert card.heading.text() == "Outgoing call"


def test_call_completed_updates_the_card_in_place(desktop):
    deliver(desktop, "CallStarted")
    [card] = cards(desktop, CallCard)
    deliver(desktop, "CallCompleted")
    assert cards(desktop, CallCard) == [card]
    assert card.status.text() == "Answered · 3:04"


def test_a_missed_call_updates_the_card_and_stays(desktop):
    deliver(desktop, "CallStarted", Id="1764130502.5601", RemotePartyNumber="3175550199")
    [card] = cards(desktop, CallCard)
    deliver(desktop, "CallCompleted-missed")
    assert card.status.text() == "Missed"
    assert card.heading.text() == "Missed call"
    assert not card._expiry.isActive()  # stays until dismissed


def test_a_missed_call_without_a_card_pops_a_missed_call_card(desktop):
    deliver(desktop, "CallCompleted-missed")
    [card] = cards(desktop, CallCard)
    assert card.heading.text() == "Missed call"
    assert card.number.text() == "(317) 555-0199"


def test_an_answered_call_without_a_card_pops_nothing(desktop):
    deliver(desktop, "CallCompleted")
    assert cards(desktop) == []


def test_a_repeated_delivery_pops_nothing_more(desktop):
    deliver(desktop, "CallStarted")
    deliver(desktop, "CallStarted")
    deliver(desktop, "CallCompleted-missed")
    deliver(desktop, "CallCompleted-missed")
    assert len(cards(desktop)) == 2
    reasons = [d.reason for _, d in desktop.decisions]
    assert reasons.count("repeated delivery") == 2


def test_do_not_disturb_pops_nothing_but_stores_and_counts(desktop):
    desktop.tray.actions["dnd"].trigger()
    assert desktop.settings.do_not_disturb
    deliver(desktop, "CallStarted")
    deliver(desktop, "CallCompleted-missed")
    deliver(desktop, "TextMessageReceived")
    assert cards(desktop) == []
    assert desktop.store.count_calls() == 2
    assert len(desktop.store.messages()) == 1
    assert desktop.store.unseen_missed_count(desktop.settings.matcher()) == 1
    assert "1 missed call" in desktop.tray.icon.toolTip()


def test_a_vips_call_pops_through_do_not_disturb(desktop, qloop):
    qloop.run_until_complete(
        desktop.service.write(lambda store: store.add_contact("Dana Whitfield", ["317-555-0142"], vip=True))
    )
    desktop.tray.actions["dnd"].trigger()
    deliver(desktop, "CallStarted")
    assert len(cards(desktop, CallCard)) == 1
    assert desktop.decisions[-1][1].reason == "popped (a VIP: Dana Whitfield)"


def test_do_not_disturb_is_remembered(desktop):
    desktop.tray.actions["dnd"].trigger()
    from intulse_desktop.settings import Settings

    assert Settings.load(desktop.paths.settings_file).do_not_disturb


@pytest.mark.parametrize("to", ["+13175550100", "13175550100", "(317) 555-0100", "317.555.0100"])
def test_a_text_to_my_number_in_any_format_pops(desktop, to):
    deliver(desktop, "TextMessageReceived", To=to)
    [card] = cards(desktop, TextCard)
    assert card.body.text().startswith("Running 10 minutes late")
    assert card.to.text() == "To (317) 555-0100"
    assert card.findChild(QLabel, "attachments").text() == "1 attachment"


def test_a_text_to_another_number_does_not_pop(desktop):
    deliver(desktop, "TextMessageReceived", To="+13175550101")
    assert cards(desktop) == []
    assert desktop.decisions[-1][1].reason == "not my number"


def test_a_text_sender_known_from_calls_is_named(desktop):
    deliver(desktop, "CallCompleted", Extension="999")  # ACME called someone else earlier
    deliver(desktop, "TextMessageReceived")
    [card] = cards(desktop, TextCard)
    assert card.sender_label.whole == "ACME PLUMBING · (317) 555-0142"


def test_html_in_a_caller_name_is_shown_as_literal_text(desktop):
    evil = '<b>Boss</b><img src="http://evil.example/x.png"><a href="file:///etc">click</a>'
    deliver(desktop, "CallStarted", RemotePartyName=evil)
    [card] = cards(desktop, CallCard)
    assert card.name.whole == evil
    for label in card.findChildren(QLabel):
        assert label.textFormat() == Qt.TextFormat.PlainText


def test_html_in_a_text_body_is_shown_as_literal_text(desktop):
    deliver(desktop, "TextMessageReceived", Body="<h1>hi</h1>")
    [card] = cards(desktop, TextCard)
    assert card.body.text() == "<h1>hi</h1>"
    assert card.body.textFormat() == Qt.TextFormat.PlainText


def test_cards_never_take_the_keyboard(desktop, qtbot):
    deliver(desktop, "CallStarted")
    [card] = cards(desktop)
    assert card.windowFlags() & Qt.WindowType.WindowDoesNotAcceptFocus
    assert card.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert card.windowFlags() & Qt.WindowType.FramelessWindowHint
    assert card.testAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
    clicked_into = Qt.FocusPolicy.ClickFocus.value
    assert not any(b.focusPolicy().value & clicked_into for b in card.findChildren(QPushButton))


def test_cards_stack_in_the_bottom_right_corner(desktop):
    deliver(desktop, "CallStarted")
    deliver(desktop, "TextMessageReceived")
    first, second = cards(desktop)
    area = QGuiApplication.primaryScreen().availableGeometry()
    assert second.geometry().right() <= area.right()
    assert second.geometry().bottom() <= area.bottom()
    assert second.geometry().right() > area.center().x()
    assert first.geometry().bottom() < second.geometry().top()  # the newest nearest the corner


def test_copy_number_puts_the_number_on_the_clipboard(desktop, qtbot):
    deliver(desktop, "CallStarted")
    qtbot.mouseClick(button(cards(desktop)[0], "Copy number"), Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == "+13175550142"


def test_call_back_opens_a_tel_url(desktop, qtbot):
    deliver(desktop, "CallCompleted-missed")
    qtbot.mouseClick(button(cards(desktop)[0], "Call back"), Qt.MouseButton.LeftButton)
    assert desktop.opened == ["tel:+13175550199"]


def test_open_in_crm_fills_the_template_url_encoded(desktop, me, qtbot):
    desktop.save_settings(
        me.with_values(
            {
                "crm_url_template": "https://crm.example.com/find?n={number}&who={name}&x={extension}&c={call_id}"
            }
        )
    )
    deliver(desktop, "CallStarted", RemotePartyName="Smith & Sons/?#")
    qtbot.mouseClick(button(cards(desktop)[0], "Open in CRM"), Qt.MouseButton.LeftButton)
    assert desktop.opened == [
        "https://crm.example.com/find?n=+13175550142&who=Smith%20%26%20Sons%2F%3F%23&x=204&c=1764130211.5512"
    ]


def test_no_crm_button_without_a_template(desktop):
    deliver(desktop, "CallStarted")
    assert "Open in CRM" not in button_texts(cards(desktop)[0])


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "javascript:alert(1)", "smb://host/share", "ms-settings:"]
)
def test_only_safe_schemes_are_ever_opened(desktop, url):
    assert desktop.open_url(url) is False
    assert desktop.opened == []


@pytest.mark.parametrize(
    "url", ["https://x.example.com/a", "http://x.example.com", "tel:+1317", "sip:204@pbx", "callto:+1317"]
)
def test_safe_schemes_are_opened(desktop, url):
    assert desktop.open_url(url) is True


def test_dismiss_closes_the_card(desktop, qtbot):
    deliver(desktop, "CallStarted")
    [card] = cards(desktop)
    qtbot.mouseClick(card.findChild(QPushButton, "dismiss"), Qt.MouseButton.LeftButton)
    assert cards(desktop) == []


def test_dismissing_a_missed_call_marks_it_seen_and_the_tray_count_follows(desktop, qtbot, qloop):
    deliver(desktop, "CallCompleted-missed")
    assert "1 missed call" in desktop.tray.icon.toolTip()
    [card] = cards(desktop)
    qtbot.mouseClick(card.findChild(QPushButton, "dismiss"), Qt.MouseButton.LeftButton)
    qloop.run_until_complete(desktop.tasks.wait())
    assert desktop.store.unseen_missed_count(desktop.settings.matcher()) == 0
    assert "missed call" not in desktop.tray.icon.toolTip()


def test_clicking_a_card_opens_caller_details_with_the_history(desktop, qtbot):
    deliver(desktop, "CallCompleted", Id="earlier", StartUtc="2026-11-20T10:00:00Z")
    deliver(desktop, "TextMessageReceived")
    deliver(desktop, "CallStarted")
    card = cards(desktop, CallCard)[0]
    qtbot.mouseClick(card.name, Qt.MouseButton.LeftButton)
    details = desktop.details
    assert details is not None
    assert details.isVisible()
    assert details.name.text() == "ACME PLUMBING"
    rows = [details.history.topLevelItem(i).text(1) for i in range(details.history.topLevelItemCount())]
    assert rows == [  # newest first: the text (04:12), the ringing call (04:10), last week's call
        "Text: Running 10 minutes late, see photo of the part. (1 attachment)",
        "Inbound call, in progress",
        "Inbound call, answered · 3:04",
    ]
    assert details.summary.text().startswith("2 calls · 1 text")


def test_an_answered_call_card_closes_after_the_card_time(desktop, me, qtbot):
    desktop.save_settings(me.with_values({"card_seconds": 1}))
    deliver(desktop, "CallStarted")
    deliver(desktop, "CallCompleted")
    qtbot.waitUntil(lambda: cards(desktop) == [], timeout=2000)


# --- only the user marks a missed call seen ------------------------------------------------


def test_quitting_marks_no_missed_call_seen_and_a_restart_still_counts_it(desktop, qloop, paths, caplog):
    deliver(desktop, "CallCompleted-missed")
    assert len(cards(desktop, CallCard)) == 1
    desktop.close()  # what quitting or logging out does: every card closes
    qloop.run_until_complete(desktop.tasks.wait())
    restarted = Desktop(desktop.service, paths, Tasks(qloop), SecretStore(paths), tray_available=lambda: True)
    try:
        assert restarted.store.unseen_missed_count(restarted.settings.matcher()) == 1
        assert "1 missed call" in restarted.tray.icon.toolTip()
    finally:
        restarted.close()
    assert "mark calls seen failed" not in caplog.text


def test_a_card_pushed_out_of_the_stack_or_expired_marks_nothing_seen(desktop, qloop):
    deliver(desktop, "CallCompleted-missed")
    [card] = cards(desktop, CallCard)
    card.discard()  # not the user: expired, pushed out, or closed at quit
    qloop.run_until_complete(desktop.tasks.wait())
    assert desktop.store.unseen_missed_count(desktop.settings.matcher()) == 1


def test_without_a_notification_server_notifications_fall_back_to_cards(desktop, qloop, monkeypatch, caplog):
    from intulse_desktop.ui.notifications import NotificationPopups

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
    desktop.popups = NotificationPopups(desktop.cards, desktop.tasks)
    deliver(desktop, "CallStarted")
    run_until(qloop, lambda: cards(desktop, CallCard))
    assert "pop-ups: cards, until a notification server runs: no desktop notification server" in caplog.text


def test_which_pop_ups_are_in_use_is_logged_with_why(desktop, caplog):
    from intulse_desktop.ui.notifications import choose_popups

    with caplog.at_level(logging.INFO, logger="intulse_desktop.ui.notifications"):
        assert choose_popups("auto", desktop.cards, desktop.tasks) is desktop.cards
    [said] = caplog.messages
    assert said == (
        "pop-ups: cards (the offscreen platform places cards itself)"
        if sys.platform.startswith("linux")
        else "pop-ups: cards (Windows and macOS show cards)"
    )
