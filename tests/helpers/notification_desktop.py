"""A real notification server for tests: dunst on its own X display and its own session bus.

``Xvfb`` gives dunst somewhere to draw, ``dbus-daemon`` a private session bus, and a
monitor on that bus (what ``dbus-monitor`` does, through jeepney) records every ``Notify``
call with its exact D-Bus types. A user's clicks are dunst's own commands: ``dunstctl
action`` (a click: the "default" action), ``dunstctl context`` (the actions menu, answered
by a stand-in for dmenu that picks the label a test asks for) and ``dunstctl close``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jeepney import HeaderFields, MatchRule, Monitoring, message_bus
from jeepney.io.blocking import open_dbus_connection

TOOLS = ("Xvfb", "dbus-daemon", "dunst", "dunstctl")
NOTIFICATIONS = "org.freedesktop.Notifications"


@dataclass(frozen=True)
class Notified:
    """One ``Notify`` call as the server received it."""

    app_name: str
    replaces_id: int
    summary: str
    body: str
    actions: dict[str, str]  # key → label
    hints: dict[str, tuple[str, Any]]  # name → (D-Bus signature, value)
    timeout_ms: int


class NotificationDesktop:
    def __init__(self, root: Path, markup: str = "no") -> None:
        missing = [tool for tool in TOOLS if shutil.which(tool) is None]
        assert not missing, f"install {', '.join(missing)} (see .ci/install-system-libs)"
        self.root = root
        self.markup = markup  # dunst's: "full" reads bodies as markup (and says so: body-markup)
        self.root.mkdir(parents=True, exist_ok=True)
        self._processes: list[subprocess.Popen[bytes]] = []
        self._pids: list[int] = []
        self.notified: list[Notified] = []
        self.address = ""
        self.display = ""
        self._monitoring: Any = None

    def start(self) -> None:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._processes.append(xvfb)
        assert xvfb.stdout is not None
        self.display = ":" + xvfb.stdout.readline().decode().strip()
        bus = subprocess.run(
            ["dbus-daemon", "--session", "--print-address=1", "--print-pid=1", "--fork", "--nopidfile"],
            capture_output=True,
            text=True,
            check=True,
        )
        address, pid = bus.stdout.split()
        self.address = address
        self._pids.append(int(pid))
        self._monitor()
        picker = self.root / "pick"
        picker.write_text(f'#!/bin/sh\ngrep -F -- "$(cat {self.root / "choice"})" | head -n 1\n')
        picker.chmod(0o755)
        config = self.root / "dunstrc"
        config.write_text(f"[global]\ndmenu = {picker}\nmarkup = {self.markup}\n")
        with (self.root / "dunst.log").open("wb") as log:  # dunst has its own copy
            dunst = subprocess.Popen(
                ["dunst", "-config", str(config)], env=self.env(), stdout=log, stderr=subprocess.STDOUT
            )
        self._processes.append(dunst)
        self._wait_for_server()

    def env(self) -> dict[str, str]:
        return os.environ | {"DISPLAY": self.display, "DBUS_SESSION_BUS_ADDRESS": self.address}

    def _wait_for_server(self) -> None:
        probe = open_dbus_connection(bus=self.address)
        try:
            for _ in range(2000):  # up to about 20 s on a busy machine
                reply = probe.send_and_get_reply(message_bus.NameHasOwner(NOTIFICATIONS), timeout=5)
                if reply.body[0]:
                    return
                threading.Event().wait(0.01)
            raise AssertionError(f"dunst did not start: {(self.root / 'dunst.log').read_text()}")
        finally:
            probe.close()

    def _monitor(self) -> None:
        """Record each ``Notify`` call on the bus, as ``dbus-monitor`` would show it."""
        connection = self._monitoring = open_dbus_connection(bus=self.address)
        rule = MatchRule(type="method_call", interface=NOTIFICATIONS, member="Notify")
        connection.send_and_get_reply(Monitoring().BecomeMonitor([rule.serialise()]), timeout=5)

        def record() -> None:
            while True:
                try:
                    message = connection.receive()
                except (OSError, ValueError):  # the bus went away: the desktop stopped
                    return
                if message.header.fields.get(HeaderFields.member) != "Notify":
                    continue
                app, replaces, _icon, summary, body, actions, hints, timeout = message.body
                pairs = dict(zip(actions[::2], actions[1::2], strict=True))
                self.notified.append(Notified(app, replaces, summary, body, pairs, hints, timeout))

        threading.Thread(target=record, daemon=True, name="notification monitor").start()

    # --- what the user does, through dunst ----------------------------------------------

    def dunstctl(self, *args: str) -> str:
        done = subprocess.run(["dunstctl", *args], env=self.env(), capture_output=True, text=True, check=True)
        return done.stdout.strip()

    def click(self) -> None:
        """A click on the newest notification: its "default" action."""
        self.dunstctl("action", "0")

    def choose(self, label: str) -> None:
        """Open the newest notification's actions menu and pick ``label``."""
        (self.root / "choice").write_text(f"#{label} ")
        self.dunstctl("context")

    def dismiss(self) -> None:
        """The user closes the newest notification."""
        self.dunstctl("close")

    def displayed(self) -> int:
        return int(self.dunstctl("count", "displayed"))

    def stop(self) -> None:
        for process in reversed(self._processes):
            process.terminate()
            process.wait(5)
            if process.stdout is not None:
                process.stdout.close()
        for pid in self._pids:
            os.kill(pid, signal.SIGTERM)
        if self._monitoring is not None:
            self._monitoring.close()
