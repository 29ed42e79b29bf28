"""Long and hostile text: names elided to two lines, bodies to four, nothing past the card's edge,
and no bidi control in any place a name, number or body is shown."""

from __future__ import annotations

from PySide6.QtGui import QFontMetrics

from intulse_desktop.ui.cards import BODY_LINES, NAME_LINES, TEXT_WIDTH, CallCard, TextCard

from .helpers.net import deliver

EVIL = "\u202eevil\u202c \u2067Bob\u2069\u200f"


def only_card(desktop, kind):
    [card] = [c for c in desktop.cards.cards if isinstance(c, kind)]
    return card


def fits(label, lines):
    shown = label.text().split("\n")
    metrics = QFontMetrics(label.font())
    return len(shown) <= lines and all(metrics.horizontalAdvance(line) <= TEXT_WIDTH for line in shown)


def test_a_long_name_is_elided_to_two_lines(desktop):
    deliver(desktop, "CallStarted", RemotePartyName="Very Long Company Name Incorporated " * 5)
    name = only_card(desktop, CallCard).name
    assert len(name.text().split("\n")) == NAME_LINES
    assert name.text().endswith("…")
    assert fits(name, NAME_LINES)
    assert name.whole.startswith("Very Long Company Name Incorporated Very")  # for the tooltip and readers


def test_an_unbroken_name_is_broken_and_elided_inside_the_card(desktop):
    deliver(desktop, "CallStarted", RemotePartyName="W" * 250)
    name = only_card(desktop, CallCard).name
    assert fits(name, NAME_LINES)
    assert name.text().endswith("…")


def test_a_long_body_is_elided_to_four_lines(desktop):
    deliver(desktop, "TextMessageReceived", Body="Line of a long message that goes on. " * 40)
    body = only_card(desktop, TextCard).body
    assert len(body.text().split("\n")) == BODY_LINES
    assert body.text().endswith("…")
    assert fits(body, BODY_LINES)


def test_a_short_name_is_shown_whole(desktop):
    deliver(desktop, "CallStarted")
    assert only_card(desktop, CallCard).name.text() == "ACME PLUMBING"


def test_a_bidi_override_cannot_turn_a_name_around_on_the_card(desktop):
    deliver(desktop, "CallStarted", RemotePartyName=EVIL)
    card = only_card(desktop, CallCard)
    assert card.name.text() == "evil Bob"
    assert "evil Bob" in card.accessibleName()


def test_a_bidi_override_in_a_text_body_is_removed(desktop):
    deliver(desktop, "TextMessageReceived", Body=f"pay {EVIL}")
    assert only_card(desktop, TextCard).body.text() == "pay evil Bob"


def test_no_bidi_control_in_caller_details(desktop):
    deliver(desktop, "CallCompleted", RemotePartyName=EVIL)
    desktop.show_caller("+13175550142", EVIL)
    details = desktop.details
    assert details.name.text() == "evil Bob"
    assert details.windowTitle() == "evil Bob — caller details"


def test_no_bidi_control_in_the_call_log(desktop):
    deliver(desktop, "CallCompleted", RemotePartyName=EVIL)
    desktop.show_call_log()
    window = desktop.windows["log"]
    assert window.calls.index(0, 3).data() == "evil Bob"


def test_no_bidi_control_in_the_tray_recent_callers(desktop):
    deliver(desktop, "CallCompleted", RemotePartyName=EVIL)
    desktop.tray._fill_recent()
    assert [a.text() for a in desktop.tray.recent.actions()] == ["evil Bob — (317) 555-0142"]


def test_no_bidi_control_in_the_player_title(desktop):
    player = desktop.show_recording("http://127.0.0.1:9/none.wav", EVIL)
    assert player.windowTitle() == "Recording — evil Bob"
    assert player.title.text() == "evil Bob"
    player.close()
