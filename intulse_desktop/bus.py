"""Hands each stored event to whoever listens: the GUI, the headless printer, the hub."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from intulse_desktop.events import Event

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """An event as the receiver stored it: new (not a repeat)? mine (for this desktop)?"""

    event: Event
    is_new: bool
    is_mine: bool
    received: datetime


Subscriber = Callable[[Delivery], None]


class Bus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Listen from now on; returns the function that stops listening."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def publish(self, delivery: Delivery) -> None:
        """Called only after the event is committed; one broken listener spoils no other."""
        for subscriber in list(self._subscribers):
            try:
                subscriber(delivery)
            except Exception:
                log.exception("a listener failed on %s", delivery.event.TYPE)
