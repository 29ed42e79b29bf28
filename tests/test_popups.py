"""Which events pop (Qt-free): per-event switches, do-not-disturb, quiet hours, break-through numbers,
and what "Recent deliveries" says about each delivery line."""

from __future__ import annotations

import asyncio
import time as clock
from datetime import UTC, datetime, time

import pytest

from intulse_desktop.bus import Delivery
from intulse_desktop.events import parse
from intulse_desktop.freedesktop import NotificationServer, NotificationsUnavailable
from intulse_desktop.matching import number_key
from intulse_desktop.popups import (
    BROKE_THROUGH,
    POPPED,
    Decision,
    decide,
    explain,
    in_quiet_hours,
    popup_style,
)
from intulse_desktop.settings import DAYS, Settings
from intulse_desktop.store import ContactRow, DeliveryRow

from .helpers.builders import payload

CALLER = "+13175550142"  # RemotePartyNumber of CallStarted.json and From of TextMessageReceived.json


def at(day: str, hour: int, minute: int = 0) -> datetime:
    """Local time on a day of the week of 5–11 January 2026 (Monday to Sunday, no clock change)."""
    return datetime(2026, 1, 5 + DAYS.index(day), hour, minute).astimezone()


def delivery(
    name: str, when: datetime | None = None, *, is_new: bool = True, is_mine: bool = True, **fields
) -> Delivery:
    event = parse(payload(name) | fields, name.split("-")[0])
    return Delivery(event, is_new, is_mine, (when or at("wed", 12)).astimezone(UTC))


def quiet(**values) -> Settings:
    return Settings(quiet_hours=True, **values)


# --- which events pop ---------------------------------------------------------------------


def test_by_default_incoming_calls_missed_calls_and_texts_pop():
    settings = Settings()
    assert decide(delivery("CallStarted"), settings) == Decision("call", POPPED)
    assert decide(delivery("CallCompleted-missed"), settings) == Decision("missed", POPPED)
    assert decide(delivery("TextMessageReceived"), settings) == Decision("text", POPPED)


def test_incoming_calls_can_be_switched_off():
    assert decide(delivery("CallStarted"), Settings(popup_inbound=False)) == Decision(
        None, "incoming calls do not pop up"
    )


def test_switching_off_incoming_calls_leaves_outbound_ones_alone():
    settings = Settings(popup_inbound=False, popup_outbound=True)
    assert decide(delivery("CallStarted", Direction="Outbound"), settings).card == "call"


def test_outbound_calls_pop_only_when_switched_on():
    outbound = delivery("CallStarted", Direction="Outbound")
    assert decide(outbound, Settings()).reason == "outbound calls do not pop up"
    assert decide(outbound, Settings(popup_outbound=True)).card == "call"


def test_missed_calls_switched_off_still_update_a_card_that_shows():
    assert decide(delivery("CallCompleted-missed"), Settings(popup_missed=False)) == Decision(
        "completed", "missed calls do not pop up"
    )


def test_texts_can_be_switched_off():
    assert decide(delivery("TextMessageReceived"), Settings(popup_text=False)) == Decision(
        None, "texts do not pop up"
    )


def test_an_answered_call_only_updates_its_card():
    assert decide(delivery("CallCompleted"), Settings()) == Decision("completed", "call ended")


def test_someone_elses_events_and_repeats_never_pop():
    assert decide(delivery("CallStarted", is_mine=False), Settings()).reason == "not my extension"
    assert decide(delivery("TextMessageReceived", is_mine=False), Settings()).reason == "not my number"
    assert decide(delivery("CallStarted", is_new=False), Settings()).reason == "repeated delivery"


# --- do-not-disturb and quiet hours -------------------------------------------------------


def test_do_not_disturb_holds_back_calls_and_texts():
    settings = Settings(do_not_disturb=True)
    assert decide(delivery("CallStarted"), settings) == Decision(None, "do-not-disturb")
    assert decide(delivery("TextMessageReceived"), settings) == Decision(None, "do-not-disturb")


def test_a_missed_call_in_do_not_disturb_updates_a_showing_card_but_pops_none():
    assert decide(delivery("CallCompleted-missed"), Settings(do_not_disturb=True)) == Decision(
        "completed", "do-not-disturb"
    )


def test_a_call_in_quiet_hours_does_not_pop_and_says_why():
    settings = quiet(quiet_start=time(9), quiet_end=time(17))
    assert decide(delivery("CallStarted", at("wed", 12)), settings) == Decision(None, "quiet hours")
    assert decide(delivery("CallStarted", at("wed", 18)), settings) == Decision("call", POPPED)


def test_quiet_hours_switched_off_never_hold_anything_back():
    settings = Settings(quiet_hours=False, quiet_start=time(0), quiet_end=time(0))
    assert not in_quiet_hours(settings, at("wed", 12))


@pytest.mark.parametrize(
    ("when", "is_quiet"),
    [
        (at("mon", 8, 59), False),
        (at("mon", 9, 0), True),  # the start is inside
        (at("mon", 16, 59), True),
        (at("mon", 17, 0), False),  # the end is not
        (at("sat", 12, 0), False),  # not a quiet day
    ],
)
def test_quiet_hours_within_a_day(when, is_quiet):
    settings = quiet(quiet_days=["mon", "tue", "wed", "thu", "fri"], quiet_start=time(9), quiet_end=time(17))
    assert in_quiet_hours(settings, when) is is_quiet


@pytest.mark.parametrize(
    ("when", "is_quiet"),
    [
        (at("fri", 17, 59), False),
        (at("fri", 18, 0), True),
        (at("fri", 23, 59), True),
        (at("sat", 0, 0), True),  # Friday's quiet hours run past midnight
        (at("sat", 7, 59), True),
        (at("sat", 8, 0), False),
        (at("sat", 18, 0), False),  # Saturday starts no quiet hours of its own
        (at("thu", 23, 0), False),
        (at("fri", 7, 0), False),  # Thursday night is not quiet, so Friday morning is not either
    ],
)
def test_quiet_hours_over_midnight_belong_to_the_day_they_start(when, is_quiet):
    settings = quiet(quiet_days=["fri"], quiet_start=time(18), quiet_end=time(8))
    assert in_quiet_hours(settings, when) is is_quiet


def test_the_same_start_and_end_is_the_whole_day():
    settings = quiet(quiet_days=["sat", "sun"], quiet_start=time(0), quiet_end=time(0))
    assert in_quiet_hours(settings, at("sat", 0))
    assert in_quiet_hours(settings, at("sun", 23, 59))
    assert not in_quiet_hours(settings, at("mon", 0))
    assert not in_quiet_hours(settings, at("fri", 23, 59))


@pytest.fixture
def indianapolis(monkeypatch):
    """Local time five hours behind UTC in January, so UTC and local time of day differ."""
    monkeypatch.setenv("TZ", "America/Indiana/Indianapolis")
    clock.tzset()
    yield
    monkeypatch.undo()
    clock.tzset()


def test_quiet_hours_are_judged_by_local_time_of_arrival(indianapolis):
    settings = quiet(quiet_start=time(9), quiet_end=time(17))
    arrived = at("wed", 12).astimezone(UTC)  # the delivery carries UTC
    assert arrived.hour == 17  # 12:00 local is 17:00 UTC: outside 9–17 if UTC were read as local
    assert decide(delivery("CallStarted", arrived), settings).reason == "quiet hours"


# --- break-through numbers ----------------------------------------------------------------


@pytest.mark.parametrize("written", ["+13175550142", "(317) 555-0142", "317.555.0142", "1 317 555 0142"])
def test_a_break_through_number_in_any_format_pops_in_quiet_hours(written):
    settings = quiet(quiet_start=time(0), quiet_end=time(0), breakthrough_numbers=[written])
    assert decide(delivery("CallStarted"), settings) == Decision("call", BROKE_THROUGH)


def test_a_break_through_number_pops_in_do_not_disturb_too():
    settings = Settings(do_not_disturb=True, breakthrough_numbers=[CALLER])
    assert decide(delivery("TextMessageReceived"), settings) == Decision("text", BROKE_THROUGH)


def test_a_missed_call_from_a_break_through_number_pops_its_card():
    settings = Settings(do_not_disturb=True, breakthrough_numbers=["+13175550199"])
    assert decide(delivery("CallCompleted-missed"), settings) == Decision("missed", BROKE_THROUGH)


def test_other_numbers_stay_held_back():
    settings = Settings(do_not_disturb=True, breakthrough_numbers=["+13175550143"])
    assert decide(delivery("CallStarted"), settings).reason == "do-not-disturb"


def test_a_break_through_number_does_not_override_a_switched_off_event():
    settings = Settings(popup_inbound=False, breakthrough_numbers=[CALLER])
    assert decide(delivery("CallStarted"), settings).reason == "incoming calls do not pop up"


def test_a_call_without_a_number_never_breaks_through():
    settings = Settings(do_not_disturb=True, breakthrough_numbers=[CALLER])
    assert decide(delivery("CallStarted", RemotePartyNumber=""), settings).reason == "do-not-disturb"


# --- VIPs (contacts marked VIP) -------------------------------------------------------------------


def contacts(vip: bool):
    """``Store.contact_for`` of an address book where CALLER belongs to Dana."""

    def contact_for(number: str) -> ContactRow | None:
        known = number_key(number) == CALLER
        return ContactRow(1, "Dana Whitfield", "", vip, "local") if known else None

    return contact_for


def test_a_vip_pops_in_do_not_disturb_and_quiet_hours():
    for settings in (Settings(do_not_disturb=True), quiet(quiet_start=time(0), quiet_end=time(0))):
        decision = decide(delivery("CallStarted"), settings, contacts(vip=True))
        assert decision == Decision("call", "popped (a VIP: Dana Whitfield)")
        assert decide(delivery("TextMessageReceived"), settings, contacts(vip=True)).card == "text"


def test_a_contact_that_is_no_vip_stays_held_back():
    decision = decide(delivery("CallStarted"), Settings(do_not_disturb=True), contacts(vip=False))
    assert decision.reason == "do-not-disturb"


def test_a_missed_call_from_a_vip_pops_its_card():
    settings = Settings(do_not_disturb=True)
    missed = delivery("CallCompleted-missed", RemotePartyNumber=CALLER)
    assert decide(missed, settings, contacts(vip=True)).card == "missed"


def test_a_vip_does_not_override_a_switched_off_event():
    decision = decide(delivery("CallStarted"), Settings(popup_inbound=False), contacts(vip=True))
    assert decision.reason == "incoming calls do not pop up"


def test_the_address_book_is_asked_only_when_something_is_held_back():
    asked = []
    decide(delivery("CallStarted"), Settings(), lambda number: asked.append(number))
    assert asked == []


# --- recent deliveries ----------------------------------------------------------------------


def row(event_type: str, received: datetime, status: int = 200, **flags) -> DeliveryRow:
    values = {"stored": status == 200, "is_new": True, "is_mine": True, "event_key": "", "detail": ""} | flags
    return DeliveryRow(1, received.astimezone(UTC), event_type, status, **values)


def test_a_delivery_line_shows_the_decision_made_for_it():
    held = delivery("CallStarted", at("wed", 12))
    popped = delivery("CallStarted", at("wed", 12, 1), Id="2")
    decisions = [(held, Decision(None, "quiet hours")), (popped, Decision("call", POPPED))]
    lines = [row("CallStarted", at("wed", 12, 1)), row("CallStarted", at("wed", 12))]
    assert [reason for _, reason in explain(lines, decisions)] == [POPPED, "quiet hours"]


def test_a_line_without_a_decision_says_what_it_can_from_itself():
    lines = [
        row("CallStarted", at("wed", 9), 422, detail="invalid CallStarted: Direction: bad"),
        row("test", at("wed", 10)),
        row("TextMessageReceived", at("wed", 11), is_mine=False),
        row("CallStarted", at("wed", 12), is_mine=False),
        row("CallStarted", at("wed", 13), is_new=False),
        row("CallStarted", at("wed", 14)),
    ]
    assert [reason for _, reason in explain(lines, [])] == [
        "invalid (HTTP 422): invalid CallStarted: Direction: bad",
        "test delivery (not stored, nothing pops)",
        "not my number",
        "not my extension",
        "repeated delivery",
        "stored; arrived while the pop-ups were not running",
    ]


def test_a_decision_for_another_type_at_the_same_moment_is_not_mixed_up():
    text = delivery("TextMessageReceived", at("wed", 12))
    assert (
        explain([row("CallStarted", at("wed", 12), is_mine=False)], [(text, Decision("text", POPPED))])[0][1]
        == "not my extension"
    )


# --- cards or the desktop's notifications ---------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "environ", "style"),
    [
        ("wayland", {"XDG_SESSION_TYPE": "wayland"}, "notifications"),
        ("wayland-egl", {}, "notifications"),
        ("xcb", {"XDG_SESSION_TYPE": "wayland"}, "notifications"),  # XWayland: no better
        ("xcb", {"WAYLAND_DISPLAY": "wayland-0"}, "notifications"),
        ("xcb", {"XDG_SESSION_TYPE": "x11"}, "cards"),
        ("offscreen", {"XDG_SESSION_TYPE": "wayland"}, "cards"),  # draws nowhere
    ],
)
def test_automatic_pop_ups_are_notifications_in_a_wayland_session_and_cards_on_x11(platform, environ, style):
    chosen, reason = popup_style("auto", platform, environ, "linux")
    assert chosen == style
    assert reason


@pytest.mark.parametrize("system", ["win32", "darwin"])
def test_windows_and_macos_keep_the_cards_whatever_the_setting(system):
    assert popup_style("notifications", "windows", {}, system) == ("cards", "Windows and macOS show cards")


@pytest.mark.parametrize("setting", ["cards", "notifications"])
def test_the_setting_chooses_on_linux_whatever_the_session(setting):
    chosen, reason = popup_style(setting, "wayland", {"XDG_SESSION_TYPE": "wayland"}, "linux")
    assert (chosen, reason) == (setting, "chosen in Settings (popup_style)")


def test_pop_ups_are_automatic_unless_chosen():
    assert Settings().popup_style == "auto"
    with pytest.raises(ValueError, match="popup_style"):
        Settings(popup_style="balloons")


async def test_without_a_session_bus_notifications_are_unavailable_and_say_so(monkeypatch):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
    server = NotificationServer(asyncio.get_running_loop(), lambda *_: None, lambda *_: None)
    with pytest.raises(NotificationsUnavailable, match="no desktop notification server"):
        await server.connect()
