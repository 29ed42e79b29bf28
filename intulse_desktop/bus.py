"""Hands each stored event to whoever listens: the GUI, the headless printer, the hub.

Test deliveries (``intulse-desktop test-delivery``) travel on a channel of
their own, so a listener for events never mistakes a test for a call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from intulse_desktop.events import Event

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Delivery:
    """An event as the receiver stored it: new (not a repeat)? mine (for this desktop)?

    ``caught_up``: it arrived from an office hub's journal after this desktop
    was away (``received`` is when the hub got it), not as it happened.
    """

    event: Event
    is_new: bool
    is_mine: bool
    received: datetime
    caught_up: bool = False


@dataclass(frozen=True)
class TestNotice:
    """A test delivery passed every check at the receiver; nothing was stored."""

    __test__ = False  # not a pytest test class, despite the name

    nonce: str
    event_type: str
    received: datetime


Subscriber = Callable[[Delivery], None]
TestSubscriber = Callable[[TestNotice], None]


class Bus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._test_subscribers: list[TestSubscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Listen from now on; returns the function that stops listening."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def subscribe_tests(self, subscriber: TestSubscriber) -> Callable[[], None]:
        """Hear of test deliveries from now on; returns the function that stops listening."""
        self._test_subscribers.append(subscriber)
        return lambda: self._test_subscribers.remove(subscriber)

    def publish(self, delivery: Delivery) -> None:
        """Called only after the event is committed; one broken listener spoils no other."""
        _notify(self._subscribers, delivery, delivery.event.TYPE)

    def publish_test(self, notice: TestNotice) -> None:
        _notify(self._test_subscribers, notice, f"a test {notice.event_type}")


def _notify(subscribers: list[Callable[[T], None]], item: T, what: str) -> None:
    for subscriber in list(subscribers):
        try:
            subscriber(item)
        except Exception:
            log.exception("a listener failed on %s", what)
