"""The desktop's notification server, over the freedesktop Notifications D-Bus interface.

Where a window cannot place itself, stay on top or refuse the keyboard (Wayland), the
desktop's own notifications are the pop-up that works. This is the wire protocol only,
no Qt: https://specifications.freedesktop.org/notification-spec/latest/

jeepney, not QtDBus: PySide6 turns every Python int into a D-Bus ``int32`` (or, in a
``QDBusArgument``, a ``uint16``), so it cannot send the ``uint32`` ``replaces_id`` or the
``byte`` urgency the specification requires, and strict servers (dunst, mako) refuse or
ignore the call. jeepney writes each value with its declared signature, and is already
installed with keyring on Linux. Its blocking connection is read on a thread of its own,
which hands replies and signals to the asyncio loop: nothing here needs the loop to be
"running" in asyncio's sense, which qasync does not promise for every callback it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from jeepney import (
    DBusAddress,
    HeaderFields,
    MatchRule,
    Message,
    MessageType,
    message_bus,
    new_method_call,
)
from jeepney.io.blocking import DBusConnection, open_dbus_connection
from jeepney.wrappers import unwrap_msg

log = logging.getLogger(__name__)

NAME = "org.freedesktop.Notifications"
SERVER = DBusAddress("/org/freedesktop/Notifications", bus_name=NAME, interface=NAME)
SETUP_TIMEOUT = 5.0  # seconds for the bus and the server to answer at connection


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

    ``on_action(id, key)`` and ``on_closed(id, reason)`` are called on ``loop``.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        on_action: Callable[[int, str], None],
        on_closed: Callable[[int, Closed], None],
    ) -> None:
        self._loop = loop
        self._on_action = on_action
        self._on_closed = on_closed
        self._connection: DBusConnection | None = None
        self._replies: dict[int, asyncio.Future[Message]] = {}
        self._reading: threading.Thread | None = None
        self.capabilities: frozenset[str] = frozenset()
        self.server_name = ""

    async def connect(self, bus: str = "SESSION") -> None:
        """Open the bus and hear the server's signals; ``NotificationsUnavailable`` says why not."""
        ready: asyncio.Future[None] = self._loop.create_future()
        self._reading = threading.Thread(
            target=self._read, args=(bus, ready), name="notification server", daemon=True
        )
        self._reading.start()
        await ready

    def _setup(self, bus: str) -> DBusConnection:
        connection = open_dbus_connection(bus)
        try:
            for member in ("ActionInvoked", "NotificationClosed"):
                rule = MatchRule(type="signal", interface=NAME, member=member, path=SERVER.object_path)
                unwrap_msg(connection.send_and_get_reply(message_bus.AddMatch(rule), timeout=SETUP_TIMEOUT))
            ask = connection.send_and_get_reply
            capabilities = unwrap_msg(ask(new_method_call(SERVER, "GetCapabilities"), timeout=SETUP_TIMEOUT))
            information = unwrap_msg(
                ask(new_method_call(SERVER, "GetServerInformation"), timeout=SETUP_TIMEOUT)
            )
        except BaseException:
            connection.close()
            raise
        self.capabilities, self.server_name = frozenset(capabilities[0]), str(information[0])
        return connection

    def _read(self, bus: str, ready: asyncio.Future[None]) -> None:
        """The reading thread: set up, then hand each reply and signal to the loop."""
        try:
            connection = self._setup(bus)
        except Exception as exc:  # no bus, no server, a platform without unix sockets: never hang
            failure = NotificationsUnavailable(f"no desktop notification server: {exc}")
            self._loop.call_soon_threadsafe(_settle, ready, None, failure)
            return
        self._connection = connection
        self._loop.call_soon_threadsafe(_settle, ready, None, None)
        try:
            while True:
                self._dispatch(connection.receive())
        except (OSError, ValueError, RuntimeError) as exc:  # closed, by us or the bus
            log.debug("notification server connection ended: %s", exc)
        finally:
            connection.close()
            with contextlib.suppress(RuntimeError):  # the loop closed first: nobody waits
                self._loop.call_soon_threadsafe(self._fail_waiting)

    def _dispatch(self, message: Message) -> None:
        fields = message.header.fields
        if HeaderFields.reply_serial in fields:
            self._loop.call_soon_threadsafe(self._replied, fields[HeaderFields.reply_serial], message)
        elif message.header.message_type is MessageType.signal:
            self._loop.call_soon_threadsafe(self._signalled, fields.get(HeaderFields.member), message.body)

    def _replied(self, serial: int, message: Message) -> None:
        waiting = self._replies.pop(serial, None)
        if waiting is not None:
            _settle(waiting, message, None)

    def _fail_waiting(self) -> None:
        for waiting in self._replies.values():
            _settle(waiting, None, NotificationsUnavailable("the session bus closed"))
        self._replies.clear()

    def _signalled(self, member: str | None, body: tuple[Any, ...]) -> None:
        try:
            if member == "ActionInvoked":
                notification_id, key = body
                self._on_action(int(notification_id), str(key))
            elif member == "NotificationClosed":
                notification_id, reason = body
                closed = Closed(reason) if reason in Closed._value2member_map_ else Closed.UNDEFINED
                self._on_closed(int(notification_id), closed)
        except Exception:  # one bad signal or handler must not stop the others
            log.exception("handling a notification signal failed")

    async def _call(
        self, method: str, signature: str | None = None, body: tuple[Any, ...] = ()
    ) -> tuple[Any, ...]:
        connection = self._connection
        if connection is None:
            raise NotificationsUnavailable("not connected to the session bus")
        serial = next(connection.outgoing_serial)
        reply: asyncio.Future[Message] = self._loop.create_future()
        self._replies[serial] = reply
        connection.send(new_method_call(SERVER, method, signature, body), serial=serial)
        return tuple(unwrap_msg(await reply))  # DBusErrorResponse for an error reply

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

    def close(self) -> None:
        """Stop reading; calls still waiting fail."""
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.sock.shutdown(socket.SHUT_RDWR)  # wakes the reading thread, which closes it
        if self._reading is not None:
            self._reading.join(SETUP_TIMEOUT)
            self._reading = None


def _settle(future: asyncio.Future[Any], result: object, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
