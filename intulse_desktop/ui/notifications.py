"""Calls and texts as the desktop's own notifications, where cards cannot work (Wayland).

The same jobs as the cards (``ui.cards.Popups``) over the freedesktop Notifications
interface (``intulse_desktop.freedesktop``): a ringing call is urgent and stays; when it
ends its notification is replaced in place; a missed call stays until the user dismisses
it, and only that (or opening its details) marks it seen, never the app quitting. The
buttons are the card's: Details (also a click on the notification), Call back, Copy
number, Open in CRM. Without a notification server the cards show instead.
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, replace

from PySide6.QtGui import QGuiApplication

from intulse_desktop import APP_NAME
from intulse_desktop.events import CallCompleted, CallStarted, TextMessageReceived
from intulse_desktop.formatting import format_duration, without_bidi_controls
from intulse_desktop.freedesktop import (
    Closed,
    Notification,
    NotificationServer,
    NotificationsUnavailable,
    Urgency,
)
from intulse_desktop.popups import popup_style
from intulse_desktop.settings import PopupStyle
from intulse_desktop.tasks import Tasks
from intulse_desktop.ui.cards import RINGING_LIMIT_MS, CardStack, Pop, Popups, first_lines

log = logging.getLogger(__name__)

DETAILS, CALL_BACK, COPY, CRM = "default", "call-back", "copy", "crm"  # "default": a click on it


def choose_popups(setting: PopupStyle, cards: CardStack, tasks: Tasks) -> Popups:
    """The cards, or notifications on top of them (logged once, with the reason)."""
    style, reason = popup_style(setting, QGuiApplication.platformName(), os.environ)
    log.info("pop-ups: %s (%s)", "desktop notifications" if style == "notifications" else "cards", reason)
    return NotificationPopups(cards, tasks) if style == "notifications" else cards


@dataclass
class _Shown:
    """One notification of ours: what it is about, and its id once the server gave one."""

    pop: Pop
    call_id: str = ""
    missed: bool = False
    id: int = 0


class NotificationPopups:
    """``Popups`` as desktop notifications; the cards stand in while there is no server."""

    def __init__(self, cards: CardStack, tasks: Tasks, bus: str = "SESSION") -> None:
        self.cards = cards
        self.tasks = tasks
        self.server = NotificationServer(tasks.loop, self._on_action, self._on_closed)
        self.available: bool | None = None  # None: still connecting
        self._shown: dict[int, _Shown] = {}  # by notification id
        self._calls: dict[str, _Shown] = {}  # by call id
        self._last: asyncio.Task[None] | None = None  # sent in order: a replacement knows its id
        self._closing = False
        self._bus = bus
        self._warned = False  # that there is no server, once until there is one
        self._connected = tasks.spawn(self._connect(), "connect to the notification server")

    async def _connect(self) -> None:
        try:
            await self.server.connect(self._bus)
        except NotificationsUnavailable as exc:
            self.available = False
            if not self._warned:
                log.warning("pop-ups: cards, until a notification server runs: %s", exc)
            self._warned = True
            return
        self.available, self._warned = True, False
        log.info("pop-ups: notifications through %s", self.server.server_name or "the desktop")

    def _card_instead(self) -> bool:
        """Whether there was no server when last tried; then try again for the next pop-up
        (at login the notification server may start after the app)."""
        if self.available is not False:
            return False
        if self._connected.done() and not self._closing:
            self.server.close()
            self.available = None
            self._connected = self.tasks.spawn(self._connect(), "connect to the notification server")
        return True

    # --- Popups ------------------------------------------------------------------------

    def show_call(self, call: CallStarted | CallCompleted, pop: Pop, linger_ms: int | None) -> None:
        if self._card_instead():
            self.cards.show_call(call, pop, linger_ms)
            return
        shown = self._calls[call.id] = _Shown(pop, call.id)
        if isinstance(call, CallCompleted):
            notification = self._ended(call, shown, linger_ms)
        else:
            heading = "Incoming call" if call.direction == "inbound" else "Outgoing call"
            lines = [*_caller(pop), "Ringing…"]
            summary = f"{heading}: {pop.name}"
            notification = self._notification(summary, lines, pop, RINGING_LIMIT_MS, Urgency.CRITICAL)
        self._send(shown, notification, lambda: self.cards.show_call(call, pop, linger_ms))

    def complete(self, call: CallCompleted, linger_ms: int | None) -> bool:
        shown = self._calls.get(call.id)
        if shown is None:
            return self.cards.complete(call, linger_ms)
        self._send(shown, self._ended(call, shown, linger_ms), lambda: self.cards.complete(call, linger_ms))
        return True

    def show_text(self, text: TextMessageReceived, pop: Pop, linger_ms: int | None) -> None:
        if self._card_instead():
            self.cards.show_text(text, pop, linger_ms)
            return
        count = len(text.attachments)
        attached = [f"{count} attachment{'s' if count != 1 else ''}"] if count else []
        lines = [first_lines(text.body), *attached, pop.line]
        notification = self._notification(
            f"Text from {pop.name}", lines, pop, linger_ms, category="im.received"
        )
        self._send(_Shown(pop), notification, lambda: self.cards.show_text(text, pop, linger_ms))

    def place(self, corner: str, screen: str | None) -> None:
        self.cards.place(corner, screen)  # the server places its notifications itself

    def close_all(self) -> None:
        """Quitting: our notifications go (their buttons would do nothing), none counts as seen."""
        self._closing = True
        self.cards.close_all()
        self.tasks.spawn(self._close_all(), "close the notifications")

    async def _close_all(self) -> None:
        await self._in_turn(self._last)
        try:
            for notification_id in list(self._shown) if self.available else []:
                await self.server.close_notification(notification_id)
        finally:
            self.server.close()

    # --- what a notification says --------------------------------------------------------

    def _ended(self, call: CallCompleted, shown: _Shown, linger_ms: int | None) -> Notification:
        shown.missed = call.outcome == "missed"
        pop = shown.pop
        if shown.missed:  # resident, never expires: until the user dismisses it
            return self._notification(f"Missed call: {pop.name}", _caller(pop), pop, None)
        status = (
            f"Answered · {format_duration(call.duration_in_seconds)}"
            if call.outcome == "answered"
            else "Not answered"
        )
        heading = "Call" if call.direction == "inbound" else "Outgoing call"
        return self._notification(f"{heading}: {pop.name}", [*_caller(pop), status], pop, linger_ms)

    def _notification(
        self,
        summary: str,
        lines: list[str],
        pop: Pop,
        timeout_ms: int | None,  # None: until dismissed
        urgency: Urgency = Urgency.NORMAL,
        category: str = "",
    ) -> Notification:
        actions = [(DETAILS, "Details"), (CALL_BACK, "Call back"), (COPY, "Copy number")]
        if pop.actions.crm is not None:
            actions.append((CRM, "Open in CRM"))
        return Notification(  # names and bodies are untrusted: no bidi control may reorder them
            without_bidi_controls(summary),
            without_bidi_controls("\n".join(line for line in lines if line)),
            actions,
            urgency,
            resident=True,  # a button pressed does not take it away
            timeout_ms=0 if timeout_ms is None else timeout_ms,
            category=category,
            desktop_entry=APP_NAME,
            extra_hints={"suppress-sound": ("b", True)},  # the app plays its own sounds
        )

    # --- talking to the server -----------------------------------------------------------

    def _send(self, shown: _Shown, notification: Notification, instead: Callable[[], object]) -> None:
        """Show ``notification`` after those before it; ``instead`` (a card) if there is no server."""
        self._last = self.tasks.spawn(
            self._notify(shown, notification, instead, self._last), "show a notification"
        )

    async def _in_turn(self, previous: asyncio.Task[None] | None) -> None:
        """Wait for the connection and for the notification sent before (whatever became of it)."""
        await self._connected
        if previous is not None:
            await asyncio.wait([previous])

    async def _notify(
        self,
        shown: _Shown,
        notification: Notification,
        instead: Callable[[], object],
        previous: asyncio.Task[None] | None,
    ) -> None:
        await self._in_turn(previous)
        if self._closing:
            return
        if self.available:
            if "body-markup" in self.server.capabilities:  # names and bodies are untrusted: text only
                notification = replace(notification, body=html.escape(notification.body, quote=False))
            try:
                shown.id = await self.server.notify(notification, replaces_id=shown.id)
            except Exception as exc:  # the server or the bus went away: cards from now on
                log.error("pop-ups: cards from now on, showing a notification failed: %s", exc)
                self.available = False
            else:
                self._shown[shown.id] = shown
                return
        instead()

    def _on_action(self, notification_id: int, key: str) -> None:
        shown = self._shown.get(notification_id)
        if shown is None or self._closing:
            return
        actions = shown.pop.actions
        if key == DETAILS:
            shown.pop.open_details()
            if shown.missed:  # seen: shown in full in the details window
                shown.pop.seen()
                self._forget(notification_id)
                self.tasks.spawn(self.server.close_notification(notification_id), "close a notification")
        elif key == CALL_BACK:
            actions.call_back()
        elif key == COPY:
            actions.copy()
        elif key == CRM and actions.crm is not None:
            actions.crm()

    def _on_closed(self, notification_id: int, reason: Closed) -> None:
        shown = self._forget(notification_id)
        if shown is not None and shown.missed and reason is Closed.DISMISSED and not self._closing:
            shown.pop.seen()  # only the user's own dismiss

    def _forget(self, notification_id: int) -> _Shown | None:
        shown = self._shown.pop(notification_id, None)
        if shown is not None and self._calls.get(shown.call_id) is shown:
            del self._calls[shown.call_id]
        return shown


def _caller(pop: Pop) -> list[str]:
    """The lines under a call's summary, as on its card: caller ID beside a contact's name, the
    number, which line."""
    return [f"Caller ID: {pop.carrier}" if pop.carrier else "", pop.number, pop.line]
