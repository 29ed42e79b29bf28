"""The accessibility bus a screen reader listens on, for a test: a private X server (Qt's xcb
platform carries the AT-SPI bridge; offscreen has none), a private session D-Bus, the AT-SPI bus
launcher on it, and a reader of the tree the app publishes there (over jeepney)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from jeepney import DBusAddress, Properties, new_method_call
from jeepney.io.blocking import DBusConnection, open_dbus_connection

from .process import stop_process

ACCESSIBLE = "org.a11y.atspi.Accessible"


@dataclass(frozen=True)
class Node:
    role: str
    name: str


class Tree:
    """The AT-SPI tree, read over the accessibility bus."""

    def __init__(self, connection: DBusConnection) -> None:
        self.connection = connection

    def _call(self, dest: str, path: str, method: str) -> tuple:
        message = new_method_call(DBusAddress(path, dest, ACCESSIBLE), method)
        return self.connection.send_and_get_reply(message, timeout=5).body

    def nodes(self) -> list[Node]:
        """Every node of every application, depth first."""
        found: list[Node] = []

        def walk(dest: str, path: str, depth: int) -> None:
            name = self.connection.send_and_get_reply(
                Properties(DBusAddress(path, dest, ACCESSIBLE)).get("Name"), timeout=5
            ).body[0][1]
            found.append(Node(self._call(dest, path, "GetRoleName")[0], name))
            if depth < 12:
                for child_dest, child_path in self._call(dest, path, "GetChildren")[0]:
                    walk(child_dest, child_path, depth + 1)

        for dest, path in self._call(
            "org.a11y.atspi.Registry", "/org/a11y/atspi/accessible/root", "GetChildren"
        )[0]:
            walk(dest, path, 0)
        return found


def _started(stack: ExitStack, args: list[str], env: dict[str, str] | None = None) -> str:
    """Start ``args`` (stopped when ``stack`` closes); the first line it prints."""
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    def stop() -> None:
        stop_process(proc, grace=5)
        if proc.stdout is not None:
            proc.stdout.close()

    stack.callback(stop)
    assert proc.stdout is not None
    return proc.stdout.readline().strip()


@contextmanager
def accessibility_bus() -> Iterator[tuple[dict[str, str], Tree]]:
    """The environment an app needs to publish its tree (X display, session bus, Qt's switches),
    and the tree as a screen reader reads it."""
    with ExitStack() as stack:
        display = _started(
            stack, ["Xvfb", "-displayfd", "1", "-screen", "0", "1366x768x24", "-nolisten", "tcp"]
        )
        address = _started(stack, ["dbus-daemon", "--session", "--nofork", "--print-address=1"])
        env = os.environ | {
            "DISPLAY": f":{display}",
            "DBUS_SESSION_BUS_ADDRESS": address,
            "QT_QPA_PLATFORM": "xcb",
            "QT_ACCESSIBILITY": "1",
            "QT_LINUX_ACCESSIBILITY_ALWAYS_ON": "1",
        }
        launcher = subprocess.Popen(["/usr/libexec/at-spi-bus-launcher", "--launch-immediately"], env=env)
        stack.callback(lambda: (launcher.terminate(), launcher.wait()))
        session = stack.enter_context(open_dbus_connection(address))
        ask = new_method_call(DBusAddress("/org/a11y/bus", "org.a11y.Bus", "org.a11y.Bus"), "GetAddress")
        a11y = session.send_and_get_reply(ask, timeout=10).body[0]
        yield env, Tree(stack.enter_context(open_dbus_connection(a11y)))
