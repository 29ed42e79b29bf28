"""Whether an event pops up a card, and if not, why: decided without Qt.

The answer (and its reason) is also what "Recent deliveries" shows, because
"the pop-up silently doesn't appear" is the complaint this app must answer.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from intulse_desktop.bus import Delivery
from intulse_desktop.events import CallCompleted, CallStarted, ExtensionUpdated, TextMessageReceived
from intulse_desktop.matching import number_key
from intulse_desktop.settings import DAYS, PopupStyle, Settings
from intulse_desktop.store import ContactRow, DeliveryRow

# "completed" updates a call's card if one shows; "missed" does that, or pops a missed-call card.
Card = Literal["call", "completed", "missed", "text"]
POPPED = "popped"
BROKE_THROUGH = "popped (a break-through number)"
VIP = "popped (a VIP: {name})"
ContactFor = Callable[[str], ContactRow | None]  # Store.contact_for


@dataclass(frozen=True)
class Decision:
    card: Card | None  # what to show
    reason: str  # "popped", or why not, in words

    @property
    def pops(self) -> bool:
        return self.card is not None


def decide(delivery: Delivery, settings: Settings, contact_for: ContactFor | None = None) -> Decision:
    """``contact_for`` (``Store.contact_for``) finds VIPs, which pop up in quiet hours and
    do-not-disturb as the break-through numbers do; asked only when something is held back."""
    event = delivery.event
    if isinstance(event, ExtensionUpdated):
        return Decision(None, "presence (shown in the tray)" if delivery.is_mine else "not my extension")
    if not delivery.is_mine:
        return Decision(
            None, "not my number" if isinstance(event, TextMessageReceived) else "not my extension"
        )
    if not delivery.is_new:
        return Decision(None, "repeated delivery")
    card: Card
    if isinstance(event, CallCompleted):
        # An ended call updates a card already showing, whatever else holds a new card back.
        if event.outcome != "missed":
            return Decision("completed", "call ended")
        if not settings.popup_missed:
            return Decision("completed", "missed calls do not pop up")
        card, number = "missed", event.remote_party_number
    elif isinstance(event, CallStarted):
        if delivery.caught_up:
            return Decision(None, "caught up from the hub later (no longer ringing)")
        if event.direction == "outbound" and not settings.popup_outbound:
            return Decision(None, "outbound calls do not pop up")
        if event.direction == "inbound" and not settings.popup_inbound:
            return Decision(None, "incoming calls do not pop up")
        card, number = "call", event.remote_party_number
    else:
        if not settings.popup_text:
            return Decision(None, "texts do not pop up")
        card, number = "text", event.from_
    held = _held_back(settings, delivery.received.astimezone())
    if held is None:
        return Decision(card, POPPED)
    if breaks_through(settings, number):
        return Decision(card, BROKE_THROUGH)
    contact = contact_for(number) if contact_for is not None and number.strip() else None
    if contact is not None and contact.vip:
        return Decision(card, VIP.format(name=contact.name))
    return Decision("completed" if card == "missed" else None, held)


def _held_back(settings: Settings, now: datetime) -> str | None:
    if settings.do_not_disturb:
        return "do-not-disturb"
    if in_quiet_hours(settings, now):
        return "quiet hours"
    return None


def breaks_through(settings: Settings, number: str) -> bool:
    """Whether ``number`` is one of the numbers that pop up even in quiet hours and do-not-disturb
    (a VIP's numbers do too: see ``decide``)."""
    key = number_key(number, settings.default_region)
    return bool(key) and any(
        key == number_key(n, settings.default_region) for n in settings.breakthrough_numbers
    )


def in_quiet_hours(settings: Settings, now: datetime) -> bool:
    """Whether local time ``now`` falls in quiet hours.

    Each quiet day starts a period at ``quiet_start`` that ends at ``quiet_end``
    the same day, or the next day when the end is not after the start (so
    Friday 18:00–08:00 runs into Saturday morning, and 00:00–00:00 is all day).
    """
    if not settings.quiet_hours:
        return False
    start, end, clock = settings.quiet_start, settings.quiet_end, now.time()
    today = DAYS[now.weekday()]
    yesterday = DAYS[(now - timedelta(days=1)).weekday()]
    if start < end:
        return today in settings.quiet_days and start <= clock < end
    return (today in settings.quiet_days and clock >= start) or (
        yesterday in settings.quiet_days and clock < end
    )


def explain(
    rows: Iterable[DeliveryRow], decisions: Iterable[tuple[Delivery, Decision]]
) -> list[tuple[DeliveryRow, str]]:
    """Each delivery line with what came of it: this run's pop-up decision, else what the line itself says.

    A line and its decision share the event type and the moment of receipt (to the microsecond).
    """
    made = {(d.event.TYPE, d.received): decision.reason for d, decision in decisions}
    return [(row, made.get((row.event_type, row.received_utc)) or _from_row(row)) for row in rows]


def _from_row(row: DeliveryRow) -> str:
    if row.event_type == "test":
        return "test delivery (not stored, nothing pops)"
    if row.http_status >= 400:
        return (
            f"invalid (HTTP {row.http_status}): {row.detail}"
            if row.detail
            else f"invalid (HTTP {row.http_status})"
        )
    if not row.is_mine:
        return "not my number" if row.event_type == "TextMessageReceived" else "not my extension"
    if not row.is_new:
        return "repeated delivery"
    return "stored; arrived while the pop-ups were not running"


def popup_style(
    setting: PopupStyle, qt_platform: str, environ: Mapping[str, str], system: str = sys.platform
) -> tuple[Literal["cards", "notifications"], str]:
    """Cards or the desktop's notifications, and why, in words for the log.

    A Wayland client cannot place its window, keep it on top or refuse the keyboard, so there
    a card opens in the middle and takes the typing; XWayland (Qt's xcb in a Wayland session)
    is no better. Notifications need a freedesktop desktop: Windows and macOS keep the cards.
    ``offscreen`` and ``minimal`` draw nowhere, so they keep the cards too.
    """
    if not system.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return "cards", "Windows and macOS show cards"
    if setting != "auto":
        return setting, "chosen in Settings (popup_style)"
    wayland_session = environ.get("XDG_SESSION_TYPE") == "wayland" or bool(environ.get("WAYLAND_DISPLAY"))
    if qt_platform.startswith("wayland"):
        return "notifications", "a Wayland session, where a card cannot stay out of the keyboard's way"
    if qt_platform == "xcb" and wayland_session:
        return "notifications", "XWayland in a Wayland session, where a card cannot stay out of the way"
    return "cards", f"the {qt_platform or 'unknown'} platform places cards itself"
