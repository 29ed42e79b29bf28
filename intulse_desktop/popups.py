"""Whether an event pops up a card, and if not, why: decided without Qt.

The answer (and its reason) is also what "Recent deliveries" shows, because
"the pop-up silently doesn't appear" is the complaint this app must answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from intulse_desktop.bus import Delivery
from intulse_desktop.events import CallCompleted, CallStarted, ExtensionUpdated, TextMessageReceived
from intulse_desktop.settings import Settings

Card = Literal["call", "completed", "text"]


@dataclass(frozen=True)
class Decision:
    card: Card | None  # what to show; "completed" updates a call's card, or pops a missed-call card
    reason: str  # "popped", or why not, in words

    @property
    def pops(self) -> bool:
        return self.card is not None


def decide(delivery: Delivery, settings: Settings) -> Decision:
    event = delivery.event
    if isinstance(event, ExtensionUpdated):
        return Decision(None, "presence (shown in the tray)" if delivery.is_mine else "not my extension")
    if not delivery.is_mine:
        return Decision(None, "not my number" if isinstance(event, TextMessageReceived) else "not my extension")
    if not delivery.is_new:
        return Decision(None, "repeated delivery")
    if isinstance(event, CallCompleted):
        # Updates a card already showing even in do-not-disturb; a new missed-call card only outside it.
        return Decision("completed", "popped" if event.outcome == "missed" else "call ended")
    if settings.do_not_disturb:
        return Decision(None, "do-not-disturb")
    if isinstance(event, CallStarted):
        if delivery.caught_up:
            return Decision(None, "caught up from the hub later (no longer ringing)")
        if event.direction == "outbound" and not settings.popup_outbound:
            return Decision(None, "outbound calls do not pop up")
        return Decision("call", "popped")
    return Decision("text", "popped")
