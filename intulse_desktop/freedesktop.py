"""The desktop's notification server, over the freedesktop Notifications D-Bus interface.

Where a window cannot place itself, stay on top or refuse the keyboard (Wayland), the
desktop's own notifications are the pop-up that works. This is the wire protocol only,
no Qt: https://specifications.freedesktop.org/notification-spec/latest/

jeepney, not QtDBus: PySide6 turns every Python int into a D-Bus ``int32`` (or, in a
``QDBusArgument``, a ``uint16``), so it cannot send the ``uint32`` ``replaces_id`` or the
``byte`` urgency the specification requires, and strict servers (dunst, mako) refuse or
ignore the call. jeepney writes each value with its declared signature, runs on the same
asyncio loop, and is already installed with keyring on Linux.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from jeepney import (
    DBusAddress,
    DBusErrorResponse,
    HeaderFields,
    MatchRule,
    Message,
    message_bus,
    new_method_call,
)
from jeepney.io.asyncio import DBusRouter, open_dbus_router
from jeepney.wrappers import unwrap_msg

log = logging.getLogger(__name__)

NAME = "org.freedesktop.Notifications"
SERVER = DBusAddress("/org/freedesktop/Notifications", bus_name=NAME, interface=NAME)


class Urgency(IntEnum):
    LOW = 0
    NORMAL = 1
    CRITICAL = 2


class Closed(IntEnum):
    """Why the server closed a notification (the ``NotificationClosed`` signal's reason)."""

    EXPIRED = 1
    DISMISSED = 2  # by the user: the only reason that means "seen"
    CLOSED_BY_CALL = 3  # by us (CloseNotification), e.g. when quitting
    UNDEFINED = 4


class NotificationsUnavailable(Exception):
    """No session bus, or nobody on it serves notifications; the message says which."""


@dataclass(frozen=True)
class Notification:
    summary: str
    body: str = ""
    actions: Sequence[tuple[str, str]] = ()  # (key, label); the key "default" is a click on it
    urgency: Urgency = Urgency.NORMAL
    resident: bool = False  # stays after an action is invoked, until dismissed
    timeout_ms: int = -1  # -1: the server decides; 0: never expires
    category: str = ""
    app_name: str = "Intulse Desktop"
    desktop_entry: str = ""
    extra_hints: dict[str, tuple[str, object]] = field(default_factory=dict)

    def hints(self) -> dict[str, tuple[str, object]]:
        hints: dict[str, tuple[str, object]] = {"urgency": ("y", int(self.urgency))}
        if self.resident:
            hints["resident"] = ("b", True)
        if self.category:
            hints["category"] = ("s", self.category)
        if self.desktop_entry:
            hints["desktop-entry"] = ("s", self.desktop_entry)
        return hints | self.extra_hints


class NotificationServer:
    """One connection to the session bus's notification server, with its two signals.

    ``on_action(id, key)`` and ``on_closed(id, reason)`` are called on the loop that
    ``connect`` ran on.
    """

    def __init__(
        self, on_action: Callable[[int, str], None], on_closed: Callable[[int, Closed], None]
    ) -> None:
        self._on_action = on_action
        self._on_closed = on_closed
        self._router: DBusRouter | None = None
        self._stack = contextlib.AsyncExitStack()
        self._listening: asyncio.Task[None] | None = None
        self.capabilities: frozenset[str] = frozenset()
        self.server_name = ""

    async def connect(self, bus: str = "SESSION") -> None:
        """Open the bus and hear the server's signals; ``NotificationsUnavailable`` says why not."""
        try:
            router = await self._stack.enter_async_context(open_dbus_router(bus))
            self._router = router
            signals: asyncio.Queue[Message] = asyncio.Queue()
            for member in ("ActionInvoked", "NotificationClosed"):
                rule = MatchRule(type="signal", interface=NAME, member=member, path=SERVER.object_path)
                self._stack.enter_context(router.filter(rule, queue=signals))
                await router.send_and_get_reply(message_bus.AddMatch(rule))
            self.capabilities = frozenset((await self._call("GetCapabilities"))[0])
            self.server_name = str((await self._call("GetServerInformation"))[0])
        except (OSError, KeyError, ValueError, RuntimeError, DBusErrorResponse) as exc:  # no bus, no server
            await self.close()
            raise NotificationsUnavailable(f"no desktop notification server: {exc}") from exc
        self._listening = asyncio.ensure_future(self._listen(signals))

    async def _call(
        self, method: str, signature: str | None = None, body: tuple[object, ...] = ()
    ) -> tuple[Any, ...]:
        if self._router is None:
            raise RuntimeError("not connected to the session bus")
        reply = await self._router.send_and_get_reply(new_method_call(SERVER, method, signature, body))
        return tuple(unwrap_msg(reply))  # DBusErrorResponse for an error reply

    async def notify(self, notification: Notification, replaces_id: int = 0) -> int:
        """Show ``notification`` (in place of ``replaces_id`` if not 0); its id."""
        actions = [part for pair in notification.actions for part in pair]
        body = (
            notification.app_name,
            replaces_id,
            "",  # app_icon: the desktop-entry hint names ours
            notification.summary,
            notification.body,
            actions,
            notification.hints(),
            notification.timeout_ms,
        )
        reply = await self._call("Notify", "susssasa{sv}i", body)
        return int(reply[0])

    async def close_notification(self, notification_id: int) -> None:
        await self._call("CloseNotification", "u", (notification_id,))

    async def _listen(self, signals: asyncio.Queue[Message]) -> None:
        while True:
            message = await signals.get()
            try:
                if message.header.fields.get(HeaderFields.member) == "ActionInvoked":
                    notification_id, key = message.body
                    self._on_action(int(notification_id), str(key))
                else:
                    notification_id, reason = message.body
                    closed = Closed(reason) if reason in Closed._value2member_map_ else Closed.UNDEFINED
                    self._on_closed(int(notification_id), closed)
            except Exception:  # one bad signal or handler must not stop the others
                log.exception("handling a notification signal failed")

    async def close(self) -> None:
        if self._listening is not None:
            self._listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listening
            self._listening = None
        self._router = None
        await self._stack.aclose()
