"""Calls and texts as desktop notifications, shown by a real notification server (dunst),
read back from the bus, and acted on through dunst's own commands as a user would."""

from __future__ import annotations

from contextlib import closing

import pytest
from PySide6.QtGui import QGuiApplication

from intulse_desktop.store import Store

from .helpers.net import deliver
from .helpers.waiting import run_until

pytestmark = [pytest.mark.slow, pytest.mark.freedesktop]


@pytest.fixture
def me(me, dunst, monkeypatch):
    """Me, with notifications chosen in Settings, on dunst's session bus."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", dunst.address)
    return me.with_values({"popup_style": "notifications"})


def notified(dunst, qloop, count=1):
    run_until(qloop, lambda: len(dunst.notified) >= count, what=lambda: f"{count} in {dunst.notified}")
    return dunst.notified[count - 1]


def unseen(desktop) -> int:
    return desktop.store.unseen_missed_count(desktop.settings.matcher())


def test_a_ringing_call_is_an_urgent_notification_with_the_cards_buttons_and_no_card(desktop, dunst, qloop):
    deliver(desktop, "CallStarted")
    ringing = notified(dunst, qloop)
    assert ringing.summary == "Incoming call: ACME PLUMBING"
    assert ringing.body == "(317) 555-0142\nExt 204 · Dana Whitfield\nRinging…"
    assert ringing.actions == {
        "default": "Details",
        "call-back": "Call back",
        "copy": "Copy number",
    }
    assert ringing.hints["urgency"] == ("y", 2)  # critical, as a byte
    assert ringing.hints["resident"] == ("b", True)
    assert ringing.hints["desktop-entry"] == ("s", "intulse-desktop")
    assert desktop.cards.cards == []
    assert dunst.displayed() == 1


def test_when_the_call_ends_its_notification_is_replaced_in_place(desktop, dunst, qloop):
    deliver(desktop, "CallStarted")
    notified(dunst, qloop)
    run_until(qloop, lambda: desktop.popups._shown)
    [ringing_id] = desktop.popups._shown
    deliver(desktop, "CallCompleted", Id="1764130211.5512", AnswertUtc="2026-11-26T04:10:20Z")
    ended = notified(dunst, qloop, 2)
    assert ended.replaces_id == ringing_id
    assert ended.summary == "Call: ACME PLUMBING"
    assert ended.body.endswith("Answered · 3:04")
    assert ended.hints["urgency"] == ("y", 1)
    assert ended.timeout_ms == 20_000  # the card time in Settings
    assert dunst.displayed() == 1


def test_a_missed_call_stays_until_dismissed(desktop, dunst, qloop):
    deliver(desktop, "CallCompleted-missed")
    missed = notified(dunst, qloop)
    assert missed.summary == "Missed call: Unknown caller"
    assert missed.body == "(317) 555-0199\nExt 204 · Dana Whitfield"
    assert missed.hints["resident"] == ("b", True)
    assert missed.timeout_ms == 0  # never expires


def test_a_text_is_a_notification_with_its_first_lines(desktop, dunst, qloop):
    deliver(desktop, "TextMessageReceived")
    text = notified(dunst, qloop)
    assert text.summary.startswith("Text from ")
    assert text.hints["category"] == ("s", "im.received")
    assert "To (317) 555-0100" in text.body


def test_a_click_on_the_notification_opens_caller_details(desktop, dunst, qloop):
    deliver(desktop, "CallStarted")
    notified(dunst, qloop)
    run_until(qloop, lambda: desktop.popups._shown)
    dunst.click()
    run_until(qloop, lambda: desktop.details is not None and desktop.details.isVisible())
    assert "ACME PLUMBING" in desktop.details.windowTitle()


def test_copy_number_from_the_notification_copies_it(desktop, dunst, qloop):
    QGuiApplication.clipboard().clear()
    deliver(desktop, "CallStarted")
    notified(dunst, qloop)
    run_until(qloop, lambda: desktop.popups._shown)
    dunst.choose("Copy number")
    run_until(qloop, lambda: QGuiApplication.clipboard().text() == "+13175550142")


def test_call_back_from_the_notification_dials(desktop, dunst, qloop):
    deliver(desktop, "CallStarted")
    notified(dunst, qloop)
    run_until(qloop, lambda: desktop.popups._shown)
    dunst.choose("Call back")
    run_until(qloop, lambda: desktop.opened == ["tel:+13175550142"])


def test_dismissing_a_missed_call_notification_marks_it_seen(desktop, dunst, qloop):
    deliver(desktop, "CallCompleted-missed")
    notified(dunst, qloop)
    run_until(qloop, lambda: desktop.popups._shown)
    assert unseen(desktop) == 1
    dunst.dismiss()
    run_until(qloop, lambda: unseen(desktop) == 0)
    assert "missed call" not in desktop.tray.icon.toolTip()


def test_opening_a_missed_calls_details_marks_it_seen_and_closes_it(desktop, dunst, qloop):
    deliver(desktop, "CallCompleted-missed")
    notified(dunst, qloop)
    run_until(qloop, lambda: desktop.popups._shown)
    dunst.click()
    run_until(qloop, lambda: unseen(desktop) == 0 and dunst.displayed() == 0)
    assert desktop.details is not None
    assert desktop.details.isVisible()


def test_quitting_closes_the_notifications_and_marks_nothing_seen(desktop, dunst, qloop, paths, me):
    deliver(desktop, "CallCompleted-missed")
    notified(dunst, qloop)
    run_until(qloop, lambda: desktop.popups._shown)
    desktop.close()
    qloop.run_until_complete(desktop.tasks.wait())
    run_until(qloop, lambda: dunst.displayed() == 0)
    with closing(Store(paths.database)) as store:
        assert store.unseen_missed_count(me.matcher()) == 1


@pytest.mark.parametrize("dunst", ["full"], indirect=True)
def test_a_server_that_reads_markup_gets_the_callers_text_escaped(desktop, dunst, qloop):
    deliver(desktop, "TextMessageReceived", Body="<b>urgent</b> <a href='http://evil.example'>pay</a>")
    text = notified(dunst, qloop)
    assert text.body.startswith("&lt;b&gt;urgent&lt;/b&gt; &lt;a href='http://evil.example'&gt;pay&lt;/a&gt;")


def test_a_server_without_markup_gets_the_text_as_it_is(desktop, dunst, qloop):
    deliver(desktop, "TextMessageReceived", Body="<b>urgent</b>")
    assert notified(dunst, qloop).body.startswith("<b>urgent</b>")


def test_a_callers_bidi_controls_do_not_reach_the_notification(desktop, dunst, qloop):
    deliver(desktop, "CallStarted", RemotePartyName="\u202eevil")
    ringing = notified(dunst, qloop)
    assert ringing.summary == "Incoming call: evil"


def test_a_notification_server_that_starts_after_the_app_is_used_from_then_on(
    desktop, dunst, qloop, monkeypatch
):
    from intulse_desktop.ui.cards import CallCard
    from intulse_desktop.ui.notifications import NotificationPopups

    desktop.popups.close_all()  # the fixture's, which found dunst at once
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")  # at login: no server yet
    desktop.popups = NotificationPopups(desktop.cards, desktop.tasks)
    run_until(qloop, lambda: desktop.popups.available is False)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", dunst.address)  # now it runs
    deliver(desktop, "CallStarted")
    assert [type(card) for card in desktop.cards.cards] == [CallCard]  # this one: a card
    deliver(desktop, "TextMessageReceived")
    assert notified(dunst, qloop).summary.startswith("Text from ")  # the next: a notification


def test_a_contacts_name_leads_the_notification_with_caller_id_beside_it(desktop, dunst, qloop):
    qloop.run_until_complete(
        desktop.service.write(lambda store: store.add_contact("Alice Smith", ["(317) 555-0142"]))
    )
    deliver(desktop, "CallStarted")
    ringing = notified(dunst, qloop)
    assert ringing.summary == "Incoming call: Alice Smith"
    assert ringing.body == "Caller ID: ACME PLUMBING\n(317) 555-0142\nExt 204 · Dana Whitfield\nRinging…"
